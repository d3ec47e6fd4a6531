import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsProvisioner } from '../src/provisioners/aws/aws-provisioner.js';
import { startAwsDouble, type AwsDouble } from '../doubles/aws/aws-double.js';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import {
  allText,
  approve,
  approverMessage,
  requestAccess,
  retryNow,
  revoke,
  statusOf,
  targetOf,
} from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/**
 * An AWS account in IAM Identity Center, end to end: Slack double -> bot -> the real AWS SDK -> the
 * AWS double (SigV4 checked on every call). Rita (rita@example.com in Slack) is a user of the identity store.
 */
const ACCOUNT = '111122223333';
const RITA_ID = '9067-rita-0001';
let d: AwsDouble;
let h: Harness;

beforeAll(async () => {
  d = await startAwsDouble({
    accounts: [ACCOUNT],
    users: [{ userName: 'rita', email: 'rita@example.com', userId: RITA_ID }],
  });
  const accessFile = `
resources:
  - name: aws-prod
    type: cloud
    tags: [cloud]
    defaults: { roles: [ReadOnly] }
    provisioner:
      type: aws
      instance_arn: "${d.instanceArn}"
      identity_store_id: "${d.identityStoreId}"
      account_id: "${ACCOUNT}"
      region: ${d.region}
      permission_sets: { ReadOnly: "${d.permissionSets.ReadOnly}", Admin: "${d.permissionSets.Admin}" }
      portal_url: https://d-9067000000.awsapps.com/start
      endpoint: "${d.url}"
      access_key_id: env:ACCESS_SECRET_AWS_IDC_KEY_ID
      secret_access_key: env:ACCESS_SECRET_AWS_IDC_SECRET
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
        ACCESS_SECRET_AWS_IDC_KEY_ID: d.credentials.accessKeyId,
        ACCESS_SECRET_AWS_IDC_SECRET: d.credentials.secretAccessKey,
      },
      // The production provisioner with a short status poll (it replaces the registered one of the same type).
      extraProvisioners: [createAwsProvisioner({ pollIntervalMs: 5 })],
    },
  });
});
afterAll(async () => {
  await h?.stop();
  await d?.stop();
});

const rita = (permissionSet: 'ReadOnly' | 'Admin') => ({
  accountId: ACCOUNT,
  permissionSetArn: d.permissionSets[permissionSet]!,
  principalType: 'USER' as const,
  principalId: RITA_ID,
});
const ask = async (justification: string) =>
  (await requestAccess(h, PEOPLE.requester, { resources: ['aws-prod'], duration: '60', justification }))[0]!;
const actionsOf = async (id: string) =>
  (await h.sql`select action from audit_events where request_id = ${id} order by id`).map((r) => r.action as string);

describe('AWS IAM Identity Center access through Slack', () => {
  it('the approver picks a permission set in the tuning modal; the assignment appears and the requester is told how to use it', async () => {
    const id = await ask('INC-100 billing alarm');
    const where = approverMessage(h, PEOPLE.approver, id);
    await h.driver.clickButton(PEOPLE.approver, where, 'review.approve');
    const modal = await until(() => h.slack.topView(PEOPLE.approver), 'the tuning modal');
    const roles = modal.blocks.find((b) => b.block_id === 'tune.roles.aws-prod') as {
      element: { options: { value: string }[] };
    };
    // (jsonb keeps map keys in its own order, so no order is asserted.)
    expect(roles.element.options.map((o) => o.value).sort()).toEqual(['Admin', 'ReadOnly']);
    await h.driver.submitView(PEOPLE.approver, modal.id, { 'tune.roles.aws-prod': ['Admin'] });
    h.slack.clearViews(PEOPLE.approver);
    await h.settle();

    expect(await statusOf(h, id)).toBe('active');
    expect(d.assignments()).toEqual([rita('Admin')]);
    const ready = h.slack
      .dmsTo(PEOPLE.requester)
      .find((m) => allText(m.blocks).includes('is ready') && allText(m.blocks).includes(id))!;
    expect(allText(ready.blocks)).toContain(
      'Sign in through the AWS access portal, https://d-9067000000.awsapps.com/start, and pick account 111122223333 with the permission set Admin.',
    );
    expect(await targetOf(h, id)).toMatchObject({
      status: 'active',
      state: { userId: RITA_ID, accountId: ACCOUNT, permissionSets: { Admin: d.permissionSets.Admin } },
    });
    for (const table of ['audit_events', 'grant_targets', 'outbox', 'resources'] as const) {
      expect(JSON.stringify(await h.sql`select * from ${h.sql(table)}`)).not.toContain(d.credentials.secretAccessKey);
    }
    expect(h.logs.join('\n')).not.toContain(d.credentials.secretAccessKey);

    await revoke(h, PEOPLE.approver, id);
    expect(d.assignments()).toEqual([]);
    expect(d.calls()).toContain('DescribeAccountAssignmentDeletionStatus');
    expect(await actionsOf(id)).toContain('grant.deprovisioned');
  });

  it('an extension keeps the assignment (AWS holds no expiry); at expiry it is removed', async () => {
    const id = await ask('INC-101');
    h.slack.clearViews(PEOPLE.approver);
    await approve(h, PEOPLE.approver, id); // the default, ReadOnly
    expect(d.assignments()).toEqual([rita('ReadOnly')]);

    const mine = h.slack
      .dmsTo(PEOPLE.requester)
      .find((x) => allText(x.blocks).includes(id) && allText(x.blocks).includes('You '))!;
    await h.driver.clickButton(PEOPLE.requester, { channel: mine.channel, ts: mine.ts }, 'request.extend');
    const modal = await until(() => h.slack.topView(PEOPLE.requester), 'extend modal');
    await h.driver.submitView(PEOPLE.requester, modal.id, {
      'extend.duration': '60',
      'extend.reason': 'INC-101 still open',
    });
    h.slack.clearViews(PEOPLE.requester);
    await h.settle();
    const [ext] = await h.sql`select id from access_requests where extends_request_id = ${id}`;
    await approve(h, PEOPLE.approver, ext!.id as string);
    expect(await actionsOf(id)).toContain('grant.extended_in_target');
    expect(d.assignments()).toEqual([rita('ReadOnly')]);

    h.clock.advance(121);
    await h.app.jobs.expireNow();
    await h.settle();
    expect(await statusOf(h, id)).toBe('expired');
    expect(d.assignments()).toEqual([]);
  });

  it('a FAILED creation reaches requester and approver with AWS reason, and nothing stays granted', async () => {
    const reason = 'Received a 409 status error: The IAM role AWSReservedSSO_ReadOnly could not be created.';
    d.failNextCreation(d.permissionSets.ReadOnly!, reason);
    const id = await ask('INC-102');
    await approve(h, PEOPLE.approver, id);
    expect(d.assignments()).toEqual([]);
    expect(await targetOf(h, id)).toMatchObject({ status: 'failed', last_error: expect.stringContaining(reason) });
    for (const person of [PEOPLE.requester, PEOPLE.approver]) {
      const told = h.slack.dmsTo(person).find((m) => m.text.includes(id) && m.text.includes('could not be set up'))!;
      expect(told.text).toContain(
        'AWS could not complete the creation of the assignment of permission set ReadOnly in account 111122223333',
      );
      expect(told.text).toContain('The IAM role AWSReservedSSO_ReadOnly could not be created');
    }
    await revoke(h, PEOPLE.approver, id);
  });

  it('a requester with no Identity Center user hears it in one sentence, and nothing is granted', async () => {
    const removed = d.removeUser('rita@example.com')!;
    try {
      const before = d.requests.length;
      const id = await ask('INC-103');
      await approve(h, PEOPLE.approver, id);
      expect(d.assignments()).toEqual([]);
      // AWS was only asked who Rita is: no assignment was attempted.
      const asked = d.requests.slice(before).map((r) => `${r.target} ${r.status}`);
      expect(asked.length).toBeGreaterThan(0);
      expect(new Set(asked)).toEqual(new Set(['AWSIdentityStore.GetUserId 404']));
      const told = h.slack
        .dmsTo(PEOPLE.requester)
        .find((m) => m.text.includes(id) && m.text.includes('could not be set up'))!;
      expect(told.text).toContain(
        'No AWS Identity Center user has the e-mail rita@example.com (identity store d-9067000000), so nothing was granted on aws-prod',
      );
      await revoke(h, PEOPLE.approver, id);
    } finally {
      d.addUser(removed);
    }
  });

  it('reconcile puts back a removed assignment and removes one left behind by an ended grant', async () => {
    const id = await ask('INC-104');
    await approve(h, PEOPLE.approver, id);
    d.removeAssignment(rita('ReadOnly'));
    expect(await h.app.services.provisioning.reconcile()).toMatchObject({ reprovisioned: 1 });
    await h.settle();
    expect(d.assignments()).toEqual([rita('ReadOnly')]);

    await revoke(h, PEOPLE.approver, id);
    expect(d.assignments()).toEqual([]);
    d.addAssignment(rita('ReadOnly'));
    // Every recently ended grant of Rita's ReadOnly names this one assignment: each reports it as left behind.
    const { removed, reprovisioned } = await h.app.services.provisioning.reconcile();
    expect(reprovisioned).toBe(0);
    expect(removed).toBeGreaterThanOrEqual(1);
    await h.settle();
    expect(d.assignments()).toEqual([]);
    expect(await actionsOf(id)).toContain('reconcile.missing_access');
    expect(await h.sql`select 1 from audit_events where action = 'reconcile.leftover_access'`).toHaveLength(removed);
  });

  it('while AWS is down the outbox keeps retrying; when it is back the assignment is made', async () => {
    d.setDown(true);
    const id = await ask('INC-105');
    await approve(h, PEOPLE.approver, id);
    await retryNow(h);
    expect(d.assignments()).toEqual([]);
    expect(await targetOf(h, id)).toMatchObject({ status: 'pending', last_error: expect.stringContaining('503') });
    d.setDown(false);
    await retryNow(h);
    expect(d.assignments()).toEqual([rita('ReadOnly')]);
    expect(await targetOf(h, id)).toMatchObject({ status: 'active' });
    const actions = await actionsOf(id);
    expect(actions.filter((a) => a === 'grant.provision_attempt_failed').length).toBeGreaterThanOrEqual(2);
    expect(h.slack.dmsTo(PEOPLE.requester).some((m) => m.text.includes(id) && m.text.includes('is ready'))).toBe(true);
    await revoke(h, PEOPLE.approver, id);
    expect(d.assignments()).toEqual([]);
  });

  it('two overlapping grants: ending the first keeps the assignment the second relies on; only its own extra goes', async () => {
    const pick = async (justification: string, roles: string[]) => {
      const id = await ask(justification);
      await approve(h, PEOPLE.approver, id, { 'tune.roles.aws-prod': roles });
      expect(await statusOf(h, id)).toBe('active');
      return id;
    };
    const both = await pick('INC-110 both', ['ReadOnly', 'Admin']);
    const readOnly = await pick('INC-111 read-only', ['ReadOnly']);
    expect(d.assignments()).toHaveLength(2);
    await revoke(h, PEOPLE.approver, both);
    expect(d.assignments()).toEqual([rita('ReadOnly')]);
    // Reconcile agrees: the ReadOnly assignment is the live grant's access, not a leftover.
    expect(await h.app.services.provisioning.reconcile()).toEqual({ reprovisioned: 0, removed: 0 });
    expect(d.assignments()).toEqual([rita('ReadOnly')]);
    await revoke(h, PEOPLE.approver, readOnly);
    expect(d.assignments()).toEqual([]);
  });
});
