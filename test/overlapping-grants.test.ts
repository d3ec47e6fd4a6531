import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryProvisioner } from '../src/provisioners/memory/memory-provisioner.js';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import { approve, myMessage, replyTo, requestAccess, statusOf } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/**
 * Ending one grant never removes access another live grant still gives (AWS TEAM #279): a per-person
 * target (one account assignment, one group membership per person) shared by two overlapping grants.
 * The memory provisioner's `shared: true` mode is such a target.
 */
const memory = createMemoryProvisioner();
const accessFile = `
resources:
  - { name: okta-admins, type: group, tags: [idp], provisioner: { type: memory, shared: true } }
  - name: aws-prod
    type: cloud
    tags: [idp]
    provisioner: { type: memory, shared: true, roles: [ReadOnly, Admin] }
flows:
  - name: idp
    resources: { tags: [idp] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ accessFile, app: { extraProvisioners: [memory.provisioner] } });
});
afterAll(async () => {
  await h?.stop();
});
beforeEach(async () => {
  // Each case starts with no live grant: earlier ones are ended.
  h.clock.advance(60 * 24);
  await h.app.jobs.expireNow();
  await h.settle();
});

const member = () => memory.holds(PEOPLE.requester, 'okta-admins');
const grantOf = async (id: string) => (await h.sql`select id from grants where request_id = ${id}`)[0]!.id as string;
async function granted(
  minutes: string,
  justification: string,
  resource = 'okta-admins',
  tuning: Record<string, string[]> = {},
) {
  const [id] = await requestAccess(h, PEOPLE.requester, { resources: [resource], duration: minutes, justification });
  await approve(h, PEOPLE.approver, id!, tuning);
  await h.settle();
  expect(await statusOf(h, id!)).toBe('active');
  return id!;
}
const deprovisioned = async (id: string) =>
  (await h.sql`select details from audit_events where request_id = ${id} and action = 'grant.deprovisioned'`).map(
    (r) => r.details as Record<string, unknown>,
  );

describe('two overlapping grants of one per-person object', () => {
  it('the first expiring leaves the membership to the second, which removes it at its own end', async () => {
    const first = await granted('60', 'INC-1 first');
    const second = await granted('240', 'INC-2 second');
    h.clock.advance(61);
    await h.app.jobs.expireNow();
    await h.settle();
    expect(await statusOf(h, first)).toBe('expired');
    expect(member()).toBe(true);
    expect(await deprovisioned(first)).toEqual([
      expect.objectContaining({ kept: 1, keptFor: [await grantOf(second)] }),
    ]);
    // Reconcile agrees: the ended grant's object is the live grant's access, not a leftover.
    expect(await h.app.services.provisioning.reconcile()).toEqual({ reprovisioned: 0, removed: 0 });
    expect(member()).toBe(true);

    h.clock.advance(180);
    await h.app.jobs.expireNow();
    await h.settle();
    expect(await statusOf(h, second)).toBe('expired');
    expect(member()).toBe(false);
    expect(await deprovisioned(second)).toEqual([expect.not.objectContaining({ kept: expect.anything() })]);
  });

  it('revoking the first keeps access for the second', async () => {
    const first = await granted('60', 'INC-3 first');
    await granted('60', 'INC-4 second');
    const done = await replyTo(h, () => h.driver.command(PEOPLE.approver, '/access', `revoke ${first}`));
    expect(done.text).toMatch(/^Revoked/);
    await h.settle();
    expect(await statusOf(h, first)).toBe('revoked');
    expect(member()).toBe(true);
  });

  it('releasing the first keeps access for the second', async () => {
    const first = await granted('60', 'INC-5 first');
    await granted('60', 'INC-6 second');
    await replyTo(h, () =>
      h.driver.clickButton(PEOPLE.requester, myMessage(h, PEOPLE.requester, first), 'request.release'),
    );
    await h.settle();
    expect(await statusOf(h, first)).toBe('revoked');
    expect(member()).toBe(true);
  });

  it('extending one of two: the other ends on time and the extended one keeps the membership', async () => {
    const first = await granted('60', 'INC-7 first');
    const second = await granted('60', 'INC-8 second');
    await h.driver.clickButton(PEOPLE.requester, myMessage(h, PEOPLE.requester, second), 'request.extend');
    const modal = await until(() => h.slack.topView(PEOPLE.requester), 'extend modal');
    await h.driver.submitView(PEOPLE.requester, modal.id, {
      'extend.duration': '120',
      'extend.reason': 'INC-8 needs two more hours',
    });
    h.slack.clearViews(PEOPLE.requester);
    await h.settle();
    const [ext] = await h.sql`select id from access_requests where extends_request_id = ${second}`;
    await approve(h, PEOPLE.approver, ext!.id as string);
    await h.settle();
    h.clock.advance(61);
    await h.app.jobs.expireNow();
    await h.settle();
    expect(await statusOf(h, first)).toBe('expired');
    expect(await statusOf(h, second)).toBe('active');
    expect(member()).toBe(true);
    h.clock.advance(121);
    await h.app.jobs.expireNow();
    await h.settle();
    expect(await statusOf(h, second)).toBe('expired');
    expect(member()).toBe(false);
  });

  it('both ending together remove the membership, whichever goes first', async () => {
    const first = await granted('60', 'INC-9 first');
    const second = await granted('60', 'INC-10 second');
    h.clock.advance(61);
    await h.app.jobs.expireNow();
    await h.settle();
    expect([await statusOf(h, first), await statusOf(h, second)]).toEqual(['expired', 'expired']);
    expect(member()).toBe(false);
    expect(await h.app.services.provisioning.reconcile()).toEqual({ reprovisioned: 0, removed: 0 });
  });

  it('a failure between the two removals: the retry finishes, nothing is left and nothing removed early', async () => {
    const first = await granted('60', 'INC-11 first');
    const second = await granted('120', 'INC-12 second');
    h.clock.advance(61);
    await h.app.jobs.expireNow();
    await h.settle();
    expect(member()).toBe(true);
    // The second removal dies in the target (as if the bot were killed mid-call); the outbox retries it.
    memory.failNext(1);
    h.clock.advance(60);
    await h.app.jobs.expireNow();
    await h.settle();
    expect(await statusOf(h, second)).toBe('expired');
    await h.sql`update outbox set available_at = now() where done_at is null`;
    await h.settle();
    expect(member()).toBe(false);
    expect((await h.sql`select status from grant_targets where grant_id = ${await grantOf(second)}`)[0]!.status).toBe(
      'removed',
    );
    expect(await deprovisioned(first)).toHaveLength(1);
  });

  it('only the roles the other grant still holds are kept; the rest go', async () => {
    const both = await granted('60', 'INC-13 both', 'aws-prod', { 'tune.roles.aws-prod': ['ReadOnly', 'Admin'] });
    await granted('240', 'INC-14 read-only', 'aws-prod', { 'tune.roles.aws-prod': ['ReadOnly'] });
    h.clock.advance(61);
    await h.app.jobs.expireNow();
    await h.settle();
    expect(await statusOf(h, both)).toBe('expired');
    expect(memory.holds(PEOPLE.requester, 'aws-prod', 'ReadOnly')).toBe(true);
    expect(memory.holds(PEOPLE.requester, 'aws-prod', 'Admin')).toBe(false);
  });

  it('reconcile puts back an object the live grant relies on after someone removed it by hand', async () => {
    const only = await granted('60', 'INC-15');
    memory.dropObject(PEOPLE.requester, 'okta-admins');
    expect(await h.app.services.provisioning.reconcile()).toEqual({ reprovisioned: 1, removed: 0 });
    await h.settle();
    expect(member()).toBe(true);
    expect(await statusOf(h, only)).toBe('active');
  });
});
