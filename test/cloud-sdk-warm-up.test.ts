import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { awsSdkState } from '../src/provisioners/aws/aws-provisioner.js';
import { entraSdkState } from '../src/provisioners/entra/graph-client.js';
import { gcpSdkState } from '../src/provisioners/gcp/iam-client.js';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import { PEOPLE } from './support/workspace.js';

/**
 * The AWS, Azure/Graph and Google SDKs are large (together about 39 MiB of an idle bot). A deployment
 * starts importing one in the background only when the catalogue has a resource of that type, so its
 * first grant does not wait for the import; one without never loads them. The modules are loaded once
 * per process, so this file runs on its own and the test without cloud resources runs first.
 */
const withClouds = `
resources:
  - name: aws-prod
    type: cloud
    tags: [cloud]
    provisioner:
      type: aws
      instance_arn: "arn:aws:sso:::instance/ssoins-1234567890abcdef"
      identity_store_id: "d-1234567890"
      account_id: "123456789012"
      region: eu-west-1
      permission_sets: { ReadOnly: "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef" }
      access_key_id: env:ACCESS_SECRET_AWS_KEY_ID
      secret_access_key: env:ACCESS_SECRET_AWS_SECRET
  - name: gcp-payments
    type: cloud
    tags: [cloud]
    provisioner: { type: gcp, project: payments-prod, roles: [roles/logging.viewer] }
  - name: entra-admins
    type: group
    tags: [cloud]
    provisioner: { type: entra, tenant_id: 0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f, client_id: 11111111-2222-4333-8444-555555555555, client_secret: "env:ACCESS_SECRET_ENTRA_SECRET", group_id: 5b1f0c3e-7a2d-4e6b-9c8a-2f4d6e8a0b1c }
flows:
  - name: cloud
    resources: { tags: [cloud] }
    requesters: { users: [${PEOPLE.requester}] }
    approvers: { users: [${PEOPLE.approver}] }
    max_duration: 8h
`;
const secretEnv = {
  ACCESS_SECRET_AWS_KEY_ID: 'AKIAWARMUPTEST000000',
  ACCESS_SECRET_AWS_SECRET: 'warm-up-test-secret',
  ACCESS_SECRET_ENTRA_SECRET: 'warm-up-test-client-secret',
};

/** The packages of those SDKs that ship CommonJS, as Node's own module cache holds them once loaded. */
const commonJsSdks = [
  '@aws-sdk/client-sso-admin',
  '@aws-sdk/client-identitystore',
  '@microsoft/microsoft-graph-client',
  'google-auth-library',
];
const loadedCommonJs = () =>
  commonJsSdks.filter((name) =>
    Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes(`/node_modules/${name}/`)),
  );

const states = () => ({ aws: awsSdkState(), entra: entraSdkState(), gcp: gcpSdkState() });

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe('cloud SDKs are loaded at start-up only where a resource of their type exists', () => {
  it('a catalogue without AWS, Entra or GCP resources starts without loading their SDKs', async () => {
    h = await startHarness({ app: { secretEnv } });
    // start() has returned: any warm-up it was going to begin has begun.
    expect(states()).toEqual({ aws: 'not loaded', entra: 'not loaded', gcp: 'not loaded' });
    expect(loadedCommonJs()).toEqual([]);
  });

  it('AWS, Entra and GCP resources in ACCESS_CONFIG have their SDKs loaded after start, before any grant', async () => {
    h = await startHarness({ accessFile: withClouds, app: { secretEnv } });
    expect(Object.values(states())).not.toContain('not loaded');
    // The imports run in the background; waiting for them is waiting for a condition, not a budget.
    await until(() => Object.values(states()).every((s) => s === 'loaded'), 'the AWS, Entra and GCP SDKs loaded');
    expect(
      await h.sql`select name from resources where name in ('aws-prod', 'gcp-payments', 'entra-admins') order by name`,
    ).toEqual([{ name: 'aws-prod' }, { name: 'entra-admins' }, { name: 'gcp-payments' }]);
    expect(await h.sql`select count(*)::int as n from grants`).toEqual([{ n: 0 }]);
  });
});
