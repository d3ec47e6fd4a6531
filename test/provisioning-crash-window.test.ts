import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAwsProvisioner } from '../src/provisioners/aws/aws-provisioner.js';
import { createEntraProvisioner } from '../src/provisioners/entra/entra-provisioner.js';
import { createGcpProvisioner } from '../src/provisioners/gcp/gcp-provisioner.js';
import { createOktaProvisioner } from '../src/provisioners/okta/okta-provisioner.js';
import type { Provisioner } from '../src/provisioners/port.js';
import { startAwsDouble, type AwsDouble } from '../doubles/aws/aws-double.js';
import {
  DOUBLE_CLIENT_ID,
  DOUBLE_CLIENT_SECRET,
  startEntraDouble,
  type EntraDouble,
} from '../doubles/entra/entra-double.js';
import { startGcpDouble, type GcpDouble } from '../doubles/gcp/gcp-double.js';
import { startOktaDouble, type OktaDouble } from '../doubles/okta/okta-double.js';
import { makeServiceAccount, type TestServiceAccount } from './support/gcp-key.js';
import { startHarness, type Harness } from './support/harness.js';
import { approve, requestAccess, retryNow, revoke, statusOf, targetOf } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/**
 * The window between the target's success and the bot's commit, for the four cloud and identity
 * targets: the target made the access, then the bot died before recording it (the outbox item stays,
 * the grant's state was never saved). Either the retry finds the access already there and records it
 * (one object, not two), or the grant ended meanwhile and its removal, with no state to go by, still
 * finds and removes what the dead attempt made: no orphaned access.
 */
const ACCOUNT = '111122223333';
const ENTRA_GROUP = '5b1f0c3e-7a2d-4e6b-9c8a-2f4d6e8a0b1c';
const ACCESS_SECRET_OKTA_TOKEN = '00okta-crash-window-token-0123456';
let aws: AwsDouble;
let gcp: GcpDouble;
let sa: TestServiceAccount;
let okta: OktaDouble;
let oktaGroup: string;
let entra: EntraDouble;
let h: Harness;

/** The real provisioner, which can be told to "die" once right after the target said yes. */
function dyingAfterSuccess(p: Provisioner) {
  let armed = false;
  const wrapped: Provisioner = {
    ...p,
    async provision(ctx) {
      const result = await p.provision(ctx);
      if (armed) {
        armed = false;
        throw new Error('the bot was killed before it recorded the grant');
      }
      return result;
    },
  };
  return { provisioner: wrapped, arm: () => void (armed = true) };
}

const dying = {
  aws: dyingAfterSuccess(createAwsProvisioner({ pollIntervalMs: 5 })),
  gcp: dyingAfterSuccess(createGcpProvisioner()),
  okta: dyingAfterSuccess(createOktaProvisioner()),
  // Replaced once the Entra double is up: it must trust that double's certificate.
  entra: dyingAfterSuccess(createEntraProvisioner()),
};

beforeAll(async () => {
  aws = await startAwsDouble({ accounts: [ACCOUNT], users: [{ userName: 'rita', email: 'rita@example.com' }] });
  sa = makeServiceAccount();
  gcp = await startGcpDouble({ serviceAccounts: [sa], projects: ['payments-prod'], knownUsers: ['rita@example.com'] });
  vi.stubEnv('GOOGLE_APPLICATION_CREDENTIALS', sa.writeKeyFile(`${gcp.url}/token`));
  okta = await startOktaDouble({ token: ACCESS_SECRET_OKTA_TOKEN });
  oktaGroup = okta.addGroup({ name: 'Prod Admins' }).id;
  okta.addUser({ login: 'rita@example.com' });
  entra = await startEntraDouble({
    users: [{ mail: 'rita@example.com' }],
    groups: [{ id: ENTRA_GROUP, displayName: 'Prod admins' }],
  });
  dying.entra = dyingAfterSuccess(createEntraProvisioner({ ca: entra.ca }));
  const accessFile = `
resources:
  - name: aws-prod
    type: cloud
    tags: [cloud]
    provisioner:
      type: aws
      instance_arn: "${aws.instanceArn}"
      identity_store_id: "${aws.identityStoreId}"
      account_id: "${ACCOUNT}"
      region: ${aws.region}
      permission_sets: { ReadOnly: "${aws.permissionSets.ReadOnly}" }
      endpoint: "${aws.url}"
      access_key_id: env:ACCESS_SECRET_AWS_KEY_ID
      secret_access_key: env:ACCESS_SECRET_AWS_SECRET
  - name: gcp-payments
    type: cloud
    tags: [cloud]
    provisioner: { type: gcp, project: payments-prod, roles: [roles/logging.viewer], api_url: "${gcp.url}" }
  - name: okta-admins
    type: group
    tags: [cloud]
    provisioner: { type: okta, org_url: "${okta.url}", group_id: ${oktaGroup}, token: "env:ACCESS_SECRET_OKTA_TOKEN" }
  - name: entra-admins
    type: group
    tags: [cloud]
    provisioner: { type: entra, tenant_id: ${entra.tenantId}, client_id: ${DOUBLE_CLIENT_ID}, client_secret: "env:ACCESS_SECRET_ENTRA_SECRET", group_id: ${ENTRA_GROUP}, authority_host: "${entra.url}", graph_url: "${entra.url}" }
flows:
  - name: cloud
    resources: { tags: [cloud] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
`;
  h = await startHarness({
    accessFile,
    app: {
      secretEnv: {
        ACCESS_SECRET_AWS_KEY_ID: aws.credentials.accessKeyId,
        ACCESS_SECRET_AWS_SECRET: aws.credentials.secretAccessKey,
        ACCESS_SECRET_OKTA_TOKEN,
        ACCESS_SECRET_ENTRA_SECRET: DOUBLE_CLIENT_SECRET,
      },
      extraProvisioners: Object.values(dying).map((d) => d.provisioner),
    },
  });
});
afterAll(async () => {
  await h?.stop();
  await Promise.all([aws?.stop(), gcp?.stop(), okta?.stop(), entra?.stop()]);
  sa?.remove();
  vi.unstubAllEnvs();
});

/** How many objects the person holds in each target. */
const held: Record<keyof typeof dying, () => number> = {
  aws: () => aws.assignments().length,
  gcp: () =>
    gcp
      .policy('projects/payments-prod')
      .bindings.filter((b) => b.condition && b.members.includes('user:rita@example.com')).length,
  okta: () => okta.members(oktaGroup).filter((m) => m === 'rita@example.com').length,
  entra: () => entra.members(ENTRA_GROUP).length,
};
const resourceOf = { aws: 'aws-prod', gcp: 'gcp-payments', okta: 'okta-admins', entra: 'entra-admins' } as const;
const roles: Record<keyof typeof dying, Record<string, string[]>> = {
  aws: { 'tune.roles.aws-prod': ['ReadOnly'] },
  gcp: { 'tune.roles.gcp-payments': ['roles/logging.viewer'] },
  okta: {},
  entra: {},
};

describe.each(Object.keys(dying) as (keyof typeof dying)[])(
  '%s: killed between the target’s yes and the commit',
  (type) => {
    const granted = async (justification: string) => {
      const [id] = await requestAccess(h, PEOPLE.requester, {
        resources: [resourceOf[type]],
        duration: '60',
        justification,
      });
      dying[type].arm();
      await approve(h, PEOPLE.approver, id!, { ...roles[type] });
      // The access exists in the target; the bot has no record of it yet.
      expect(held[type]()).toBe(1);
      expect(await targetOf(h, id!)).toMatchObject({ status: 'pending', state: {} });
      return id!;
    };

    it('the retry records the access that is already there: one object, not two', async () => {
      const id = await granted('INC-1 retry');
      await retryNow(h);
      expect(await targetOf(h, id)).toMatchObject({ status: 'active' });
      expect(held[type]()).toBe(1);
      await revoke(h, PEOPLE.approver, id);
      expect(held[type]()).toBe(0);
    });

    it('revoked before any retry: the removal, with no state, still takes away what the dead attempt made', async () => {
      const id = await granted('INC-2 revoked');
      await revoke(h, PEOPLE.approver, id);
      await retryNow(h);
      expect(await statusOf(h, id)).toBe('revoked');
      expect(held[type]()).toBe(0);
      expect(await targetOf(h, id)).toMatchObject({ status: 'removed' });
    });
  },
);
