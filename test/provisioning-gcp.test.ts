import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { startGcpDouble, type GcpDouble } from '../doubles/gcp/gcp-double.js';
import { makeServiceAccount, type TestServiceAccount } from './support/gcp-key.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approve, myMessage, requestAccess, retryNow, revoke, statusOf } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/**
 * Google Cloud IAM through Slack: the approver picks a role, the requester's binding appears in
 * "Google" (the double) with a condition ending at the grant's end, and moves, goes and comes back
 * as the grant does. Credentials are application-default, from the key file GOOGLE_APPLICATION_CREDENTIALS names.
 */
const PROJECT = 'projects/payments-prod';
const RITA = 'user:rita@example.com';
let sa: TestServiceAccount;
let double: GcpDouble;
/** A Google that knows the bot's account by another key: the bot's key is the wrong one there. */
let stranger: GcpDouble;
let otherKey: TestServiceAccount;
let h: Harness;

beforeAll(async () => {
  sa = makeServiceAccount();
  double = await startGcpDouble({
    serviceAccounts: [sa],
    projects: ['payments-prod'],
    knownUsers: ['rita@example.com'],
  });
  otherKey = makeServiceAccount(sa.email);
  stranger = await startGcpDouble({ serviceAccounts: [otherKey], projects: ['payments-prod'] });
  vi.stubEnv('GOOGLE_APPLICATION_CREDENTIALS', sa.writeKeyFile(`${double.url}/token`));
  const accessFile = `
resources:
  - name: gcp-payments
    type: cloud
    tags: [cloud]
    defaults: { roles: [roles/logging.viewer] }
    provisioner: { type: gcp, project: payments-prod, roles: [roles/logging.viewer, roles/compute.viewer], api_url: "${double.url}" }
  - name: gcp-elsewhere
    type: cloud
    tags: [cloud]
    provisioner: { type: gcp, project: payments-prod, roles: [roles/logging.viewer], api_url: "${stranger.url}" }
flows:
  - name: cloud
    resources: { tags: [cloud] }
    requesters: { users: [U0REQ, U0OTHER] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
`;
  h = await startHarness({ accessFile });
});
afterAll(async () => {
  await h?.stop();
  await double?.stop();
  await stranger?.stop();
  sa?.remove();
  otherKey?.remove();
  vi.unstubAllEnvs();
});

const grantOf = async (id: string) =>
  (await h.sql`select id, expires_at from grants where request_id = ${id}`)[0] as { id: string; expires_at: Date };
const cel = (d: Date) =>
  `request.time < timestamp("${new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z')}")`;
const bindingsFor = (grantId: string) =>
  double.policy(PROJECT).bindings.filter((b) => b.condition?.title === `Access Requests grant ${grantId}`);
const audit = async (id: string) =>
  (await h.sql`select action from audit_events where request_id = ${id} order by id`).map((r) => r.action as string);
const ask = async (justification: string, who: string = PEOPLE.requester) =>
  (await requestAccess(h, who, { resources: ['gcp-payments'], duration: '60', justification }))[0]!;

describe('Google Cloud IAM through Slack', () => {
  let id: string;
  let grantId: string;

  it('approval with a role picked: the binding appears with the condition at the grant’s end, and the requester hears how to use it', async () => {
    id = await ask('INC-100 billing export');
    await approve(h, PEOPLE.approver, id, { 'tune.roles.gcp-payments': ['roles/compute.viewer'] });
    await h.settle();
    expect(await statusOf(h, id)).toBe('active');
    const grant = await grantOf(id);
    grantId = grant.id;
    expect(bindingsFor(grantId)).toEqual([
      {
        role: 'roles/compute.viewer',
        members: [RITA],
        condition: {
          title: `Access Requests grant ${grantId}`,
          description: expect.stringContaining(`Made by Access Requests for ${id}`),
          expression: cel(grant.expires_at),
        },
      },
    ]);
    expect(double.hasAccess(RITA, 'roles/compute.viewer', h.clock.now())).toBe(true);
    expect(double.hasAccess(RITA, 'roles/compute.viewer', grant.expires_at)).toBe(false);
    expect(double.hasAccess(RITA, 'roles/logging.viewer', h.clock.now())).toBe(false);
    const ready = h.slack
      .dmsTo(PEOPLE.requester)
      .find((m) => allText(m.blocks).includes('is ready') && allText(m.blocks).includes(id));
    expect(allText(ready?.blocks)).toContain(
      'roles/compute.viewer on Google Cloud project payments-prod as user:rita@example.com',
    );
    // Tokens stay out of the record.
    for (const table of ['audit_events', 'grant_targets', 'outbox'] as const)
      expect(JSON.stringify(await h.sql`select * from ${h.sql(table)}`)).not.toMatch(/ya29\./);
    expect(h.logs.join('\n')).not.toMatch(/ya29\.|PRIVATE KEY/);
  });

  it('an approved extension moves the condition to the new end, with no gap', async () => {
    const before = await grantOf(id);
    await h.driver.clickButton(PEOPLE.requester, myMessage(h, PEOPLE.requester, id), 'request.extend');
    const modal = await until(() => h.slack.topView(PEOPLE.requester), 'extend modal');
    await h.driver.submitView(PEOPLE.requester, modal.id, {
      'extend.duration': '120',
      'extend.reason': 'INC-100 needs two more hours',
    });
    h.slack.clearViews(PEOPLE.requester);
    await h.settle();
    const [ext] = await h.sql`select id from access_requests where extends_request_id = ${id}`;
    await approve(h, PEOPLE.approver, ext!.id as string);
    await h.settle();
    const after = await grantOf(id);
    expect(after.expires_at.getTime() - before.expires_at.getTime()).toBe(120 * 60_000);
    expect(bindingsFor(grantId).map((b) => b.condition?.expression)).toEqual([cel(after.expires_at)]);
    expect(double.hasAccess(RITA, 'roles/compute.viewer', before.expires_at)).toBe(true);
    expect(await audit(id)).toContain('grant.extended_in_target');
  });

  it('revoke removes the binding from Google at once', async () => {
    await revoke(h, PEOPLE.approver, id);
    expect(await statusOf(h, id)).toBe('revoked');
    expect(bindingsFor(grantId)).toEqual([]);
    expect(double.hasAccess(RITA, 'roles/compute.viewer', h.clock.now())).toBe(false);
    expect(await audit(id)).toContain('grant.deprovisioned');
  });

  it('at expiry, even while the bot cannot reach Google, the access has ended there; the binding goes once Google answers', async () => {
    const next = await ask('INC-101');
    await approve(h, PEOPLE.approver, next);
    await h.settle();
    const grant = await grantOf(next);
    expect(bindingsFor(grant.id).map((b) => b.role)).toEqual(['roles/logging.viewer']);
    double.setDown(true);
    h.clock.advance(61);
    await h.app.jobs.expireNow();
    await h.settle();
    expect(await statusOf(h, next)).toBe('expired');
    expect(await audit(next)).toContain('grant.deprovision_attempt_failed');
    // The bot's removal failed, the binding is still in the policy, and Google grants nothing.
    expect(bindingsFor(grant.id)).toHaveLength(1);
    expect(double.hasAccess(RITA, 'roles/logging.viewer', h.clock.now())).toBe(false);
    double.setDown(false);
    await retryNow(h);
    expect(bindingsFor(grant.id)).toEqual([]);
    expect(await audit(next)).toContain('grant.deprovisioned');
  });

  it('reconcile puts back a binding removed by hand, and removes one left behind for an ended grant', async () => {
    const next = await ask('INC-102');
    await approve(h, PEOPLE.approver, next);
    await h.settle();
    const grant = await grantOf(next);
    const title = `Access Requests grant ${grant.id}`;
    double.editPolicy(PROJECT, (bindings) => bindings.filter((b) => b.condition?.title !== title));
    expect(await h.app.services.provisioning.reconcile()).toEqual({ reprovisioned: 1, removed: 0 });
    await h.settle();
    expect(bindingsFor(grant.id).map((b) => b.condition?.expression)).toEqual([cel(grant.expires_at)]);

    await revoke(h, PEOPLE.approver, next);
    expect(bindingsFor(grant.id)).toEqual([]);
    const leftover = {
      role: 'roles/logging.viewer',
      members: [RITA],
      condition: { title, expression: cel(grant.expires_at) },
    };
    double.editPolicy(PROJECT, (bindings) => [...bindings, leftover]);
    expect(double.hasAccess(RITA, 'roles/logging.viewer', h.clock.now())).toBe(true);
    expect(await h.app.services.provisioning.reconcile()).toEqual({ reprovisioned: 0, removed: 1 });
    await h.settle();
    expect(bindingsFor(grant.id)).toEqual([]);
    expect(double.hasAccess(RITA, 'roles/logging.viewer', h.clock.now())).toBe(false);
    const actions = await audit(next);
    expect(actions).toContain('reconcile.missing_access');
    expect(actions).toContain('reconcile.leftover_access');
  });

  it('Google down for a while: the outbox retries, people hear it keeps failing, then the binding appears', async () => {
    double.setDown(true);
    const next = await ask('INC-103');
    await approve(h, PEOPLE.approver, next);
    await h.settle();
    await retryNow(h);
    await retryNow(h);
    const grant = await grantOf(next);
    expect(bindingsFor(grant.id)).toEqual([]);
    expect(h.slack.dmsTo(PEOPLE.requester).some((m) => m.text.includes('keeps failing') && m.text.includes(next))).toBe(
      true,
    );
    expect((await audit(next)).filter((a) => a === 'grant.provision_attempt_failed')).toHaveLength(3);
    double.setDown(false);
    await retryNow(h);
    expect(bindingsFor(grant.id)).toHaveLength(1);
    expect(
      h.slack
        .dmsTo(PEOPLE.requester)
        .some((m) => allText(m.blocks).includes('is ready') && allText(m.blocks).includes(next)),
    ).toBe(true);
    await revoke(h, PEOPLE.approver, next);
  });

  it('another writer changes the policy between the bot’s read and write: the bot retries and both changes stand', async () => {
    double.concurrentWriteAfterNextReads(1);
    const next = await ask('INC-104');
    await approve(h, PEOPLE.approver, next);
    await h.settle();
    const grant = await grantOf(next);
    expect(bindingsFor(grant.id)).toHaveLength(1);
    expect(
      double.calls
        .filter((c) => c.method === 'setIamPolicy')
        .slice(-2)
        .map((c) => c.status),
    ).toEqual([409, 200]);
    expect(double.policy(PROJECT).bindings.some((b) => b.members.some((m) => m.startsWith('user:other-writer-')))).toBe(
      true,
    );
    await revoke(h, PEOPLE.approver, next);
  });

  it('a requester with no e-mail in Slack: requester and approver are told why, and nothing is granted', async () => {
    const before = double.calls.length;
    const next = await ask('INC-105', PEOPLE.other);
    await approve(h, PEOPLE.approver, next);
    await h.settle();
    const [target] =
      await h.sql`select t.status, t.last_error from grant_targets t join grants g on g.id = t.grant_id where g.request_id = ${next}`;
    const sentence =
      'the requester has no e-mail address in their Slack profile, so no Google account can be named for them; nothing was granted';
    expect(target).toEqual({ status: 'failed', last_error: sentence });
    for (const person of [PEOPLE.other, PEOPLE.approver])
      expect(
        h.slack
          .dmsTo(person)
          .some((m) => m.text.includes('could not be set up') && m.text.includes('no Google account can be named')),
      ).toBe(true);
    expect(double.calls.length).toBe(before);
  });

  it('a key Google does not accept: the token request is refused, the approver hears why, nothing is granted', async () => {
    const [next] = await requestAccess(h, PEOPLE.requester, {
      resources: ['gcp-elsewhere'],
      duration: '60',
      justification: 'INC-106',
    });
    await approve(h, PEOPLE.approver, next!);
    await h.settle();
    const [target] =
      await h.sql`select t.status, t.last_error from grant_targets t join grants g on g.id = t.grant_id where g.request_id = ${next!}`;
    expect(target!.status).toBe('failed');
    expect(target!.last_error).toContain(
      "Google refused the bot's service-account credentials while reading the IAM policy of projects/payments-prod (invalid_grant: Invalid JWT Signature.)",
    );
    expect(
      h.slack
        .dmsTo(PEOPLE.approver)
        .some((m) => m.text.includes('could not be set up') && m.text.includes('Invalid JWT Signature')),
    ).toBe(true);
    expect(stranger.tokenRequests).toEqual([{ status: 400, error: 'invalid_grant: Invalid JWT Signature.' }]);
    expect(stranger.calls).toEqual([]);
  });
});
