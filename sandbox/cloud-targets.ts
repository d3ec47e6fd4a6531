import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AWS_DOUBLE_CREDENTIALS, startAwsDouble } from '../doubles/aws/aws-double.js';
import { startGcpDouble } from '../doubles/gcp/gcp-double.js';
import { startOktaDouble } from '../doubles/okta/okta-double.js';
import {
  DOUBLE_CLIENT_ID,
  DOUBLE_CLIENT_SECRET,
  LEAST_PRIVILEGE,
  startEntraDouble,
} from '../doubles/entra/entra-double.js';
import { createEntraProvisioner } from '../src/provisioners/entra/entra-provisioner.js';
import { createEntraGroupListers } from '../src/provisioners/entra/entra-groups.js';
import type { GraphClientOptions } from '../src/provisioners/entra/graph-client.js';
import type { GroupSourceKind } from '../src/domain/group-source.js';
import type { GroupListers } from '../src/services/ports.js';
import type { Provisioner } from '../src/provisioners/port.js';
import { startSandboxMysql } from './mysql-target.js';
import { startGitHubTarget } from './github-target.js';
import { sandboxGroupDirectories, type GroupDirectory } from './group-sources.js';
import type { TargetView } from './snapshot.js';
import type { SandboxPerson } from './workspace.js';

/**
 * The sandbox's simulated clouds and identity providers: the AWS, Google Cloud, Okta, Entra ID and GitHub doubles on
 * loopback ports, with the sandbox's people in their directories, so the sample catalogue's cloud
 * and group resources are granted and removed through the real SDKs while the page shows each
 * assignment, binding and membership appear and go. The credentials are made here at every start
 * and never leave this process.
 */
export const AWS_ACCOUNT = '111122223333';
const GCP_PROJECT = 'sandbox-project';
const SERVICE_ACCOUNT = 'access-bot@sandbox-project.iam.gserviceaccount.com';

export interface CloudTargets {
  /** Placeholders of examples/sandbox-access.yml, each with what replaces it. */
  replacements: Record<string, string>;
  /** What the catalogue's `env:ACCESS_SECRET_NAME` references of these targets resolve to. */
  secretEnv: Record<string, string>;
  /** The process environment the Google auth library reads (application-default credentials). */
  processEnv: Record<string, string>;
  /** The Entra provisioner made to trust the Entra double's self-signed certificate (Microsoft's libraries want https). */
  provisioners: Provisioner[];
  /** The group sources' Entra lister, made to trust the same certificate. */
  groupListers: Partial<Record<GroupSourceKind, GroupListers>>;
  /** The Entra ID manager look-up, made to trust the same certificate. */
  entraManagerOptions: GraphClientOptions;
  /** The Okta and Entra doubles as the page's Group sources panel edits them. */
  groupDirectories: Record<GroupSourceKind, GroupDirectory>;
  views(): TargetView[];
  stop(): Promise<void>;
}

export async function startCloudTargets(people: readonly SandboxPerson[]): Promise<CloudTargets> {
  const withEmail = people.filter((p): p is SandboxPerson & { email: string } => typeof p.email === 'string');
  const aws = await startAwsDouble({
    accounts: [AWS_ACCOUNT],
    users: withEmail.map((p) => ({ userName: p.name, email: p.email })),
  });

  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const gcp = await startGcpDouble({
    serviceAccounts: [
      { email: SERVICE_ACCOUNT, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
    ],
    projects: [GCP_PROJECT],
    knownUsers: withEmail.map((p) => p.email),
  });
  const keyDir = mkdtempSync(join(tmpdir(), 'access-sandbox-gcp-'));
  const keyFile = join(keyDir, 'service-account.json');
  writeFileSync(
    keyFile,
    JSON.stringify({
      type: 'service_account',
      project_id: GCP_PROJECT,
      private_key_id: randomBytes(20).toString('hex'),
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: SERVICE_ACCOUNT,
      client_id: '100000000000000000001',
      token_uri: `${gcp.url}/token`,
    }),
    { mode: 0o600 },
  );

  const oktaToken = `00${randomBytes(20).toString('hex')}`;
  const okta = await startOktaDouble({ token: oktaToken });
  for (const p of withEmail) okta.addUser({ login: p.email, firstName: p.realName ?? p.name });
  const oktaGroup = okta.addGroup({ name: 'Support Admins', description: 'Admin access to the support tools' });
  // The sample's group source takes Okta groups named jit-* (Support Admins above it leaves out).
  okta.addGroup({ name: 'jit-db-readers', description: 'Read-only access to the production databases' });
  okta.addGroup({ name: 'jit-billing-admins', description: 'Admin access to the billing console' });
  okta.addGroup({ name: 'jit-deploys', description: 'May approve and run deployments' });

  const entra = await startEntraDouble({
    users: withEmail.map((p) => ({ mail: p.email, displayName: p.realName ?? p.name })),
    // Finance Analysts is the catalogue's own resource; the jit-* groups are the Entra group source's.
    groups: [
      { displayName: 'Finance Analysts' },
      { displayName: 'jit-finance-reports', description: 'Read access to the finance reports' },
      { displayName: 'jit-hr-records', description: 'Read access to the HR records' },
    ],
  });
  // The app registration also reads managers (User.Read.All), for flows that ask the requester's manager.
  entra.setAppRoles(DOUBLE_CLIENT_ID, [...LEAST_PRIVILEGE, 'User.Read.All']);
  const entraGroup = entra.groups()[0]!;
  const entraMail = (id: string) => entra.users().find((u) => u.id === id)?.mail ?? id;

  // Not a double: the machine's own MariaDB, when it answers (mysql-target.ts).
  const mysql = await startSandboxMysql();
  const github = await startGitHubTarget(people);

  const nameOf = (email: string) => withEmail.find((p) => p.email === email)?.realName ?? email;
  const awsUser = (id: string) => aws.users().find((u) => u.userId === id)?.email ?? id;
  const permissionSetName = (arn: string) => Object.entries(aws.permissionSets).find(([, a]) => a === arn)?.[0] ?? arn;
  return {
    replacements: {
      SANDBOX_AWS_URL: aws.url,
      SANDBOX_AWS_INSTANCE_ARN: aws.instanceArn,
      SANDBOX_AWS_IDENTITY_STORE_ID: aws.identityStoreId,
      SANDBOX_AWS_READONLY_ARN: aws.permissionSets.ReadOnly!,
      SANDBOX_AWS_ADMIN_ARN: aws.permissionSets.Admin!,
      SANDBOX_GCP_URL: gcp.url,
      SANDBOX_OKTA_URL: okta.url,
      SANDBOX_OKTA_GROUP_ID: oktaGroup.id,
      SANDBOX_ENTRA_URL: entra.url,
      SANDBOX_ENTRA_TENANT: entra.tenantId,
      SANDBOX_ENTRA_CLIENT_ID: DOUBLE_CLIENT_ID,
      SANDBOX_ENTRA_GROUP_ID: entraGroup.id,
      ...mysql.replacements,
      ...github.replacements,
    },
    provisioners: [createEntraProvisioner({ ca: entra.ca })],
    groupListers: { entra: createEntraGroupListers({ ca: entra.ca }) },
    entraManagerOptions: { ca: entra.ca },
    groupDirectories: sandboxGroupDirectories(okta, entra, nameOf),
    secretEnv: {
      ACCESS_SECRET_SANDBOX_AWS_KEY_ID: AWS_DOUBLE_CREDENTIALS.accessKeyId,
      ACCESS_SECRET_SANDBOX_AWS_SECRET: AWS_DOUBLE_CREDENTIALS.secretAccessKey,
      ACCESS_SECRET_SANDBOX_OKTA_TOKEN: oktaToken,
      ACCESS_SECRET_SANDBOX_ENTRA_SECRET: DOUBLE_CLIENT_SECRET,
      ...mysql.secretEnv,
      ...github.secretEnv,
    },
    processEnv: { GOOGLE_APPLICATION_CREDENTIALS: keyFile },
    views: () => [
      {
        name: `AWS account ${AWS_ACCOUNT}: Identity Center assignments`,
        items: aws
          .assignments()
          .map((a) => `${nameOf(awsUser(a.principalId))}: ${permissionSetName(a.permissionSetArn)}`),
      },
      {
        name: `Google Cloud project ${GCP_PROJECT}: conditional IAM bindings`,
        items: gcp
          .policy(`projects/${GCP_PROJECT}`)
          .bindings.filter((b) => b.condition)
          .map((b) => `${b.members.join(', ')}: ${b.role} while ${b.condition!.expression}`),
      },
      { name: `Okta group ${oktaGroup.name}: members`, items: okta.members(oktaGroup.id).map(nameOf) },
      {
        name: `Entra ID group ${entraGroup.displayName}: members`,
        items: entra.members(entraGroup.id).map((id) => nameOf(entraMail(id))),
      },
      mysql.view(),
      github.view(),
    ],
    async stop() {
      await Promise.all([aws.stop(), gcp.stop(), okta.stop(), entra.stop(), mysql.stop(), github.stop()]);
      rmSync(keyDir, { recursive: true, force: true });
    },
  };
}
