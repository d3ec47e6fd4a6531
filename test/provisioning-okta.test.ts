import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { startOktaDouble, type OktaDouble } from '../doubles/okta/okta-double.js';
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
 * Okta group membership end to end: a `group` resource with the okta provisioner, requested and
 * approved in Slack (the Slack double), made real in the Okta double through the official SDK.
 */
const TOKEN = '00okta-api-token-e2e-0123456789';
const NEWBIE = 'U0NEWBIE';
/** Reconcile's person: no other grant of theirs shares the membership. */
const REX = 'U0REX';
let okta: OktaDouble;
let groupId: string;
let h: Harness;

beforeAll(async () => {
  okta = await startOktaDouble({ token: TOKEN, pageSize: 3 });
  groupId = okta.addGroup({ name: 'Prod Admins', description: 'Production admin apps' }).id;
  okta.addUser({ login: 'rita@example.com', firstName: 'Rita' });
  okta.addUser({ login: 'rex@example.com', firstName: 'Rex' });
  for (let i = 0; i < 4; i++) okta.addMember(groupId, okta.addUser({ login: `admin${i}@example.com` }).login);
  const accessFile = `
resources:
  - name: okta-prod-admins
    type: group
    tags: [okta]
    description: Okta group Prod Admins
    provisioner: { type: okta, org_url: "${okta.url}", group_id: ${groupId}, token: "env:ACCESS_SECRET_OKTA_API_TOKEN" }
flows:
  - name: okta
    resources: { tags: [okta] }
    requesters: { users: [${PEOPLE.requester}, ${PEOPLE.other}, ${NEWBIE}, ${REX}] }
    approvers: { users: [${PEOPLE.approver}] }
    max_duration: 8h
`;
  h = await startHarness({ accessFile, app: { secretEnv: { ACCESS_SECRET_OKTA_API_TOKEN: TOKEN } } });
  // Someone whose Slack e-mail no Okta user has.
  h.slack.addUser({ id: NEWBIE, name: 'nina', realName: 'Nina Newbie', email: 'nina@example.com' });
  h.slack.addUser({ id: REX, name: 'rex', realName: 'Rex Reconcile', email: 'rex@example.com' });
});
afterAll(async () => {
  await h?.stop();
  await okta?.stop();
});

const ask = async (who: string, justification: string) =>
  (await requestAccess(h, who, { resources: ['okta-prod-admins'], duration: '60', justification }))[0]!;
const isMember = () => okta.members(groupId).includes('rita@example.com');
const actionsOf = async (id: string) =>
  (await h.sql`select action from audit_events where request_id = ${id} order by id`).map((r) => r.action as string);

describe('an Okta group through Slack', () => {
  let id: string;

  it('approval (nothing to tune but the time) adds the requester to the group, and tells them', async () => {
    id = await ask(PEOPLE.requester, 'INC-71 admin console');
    await h.driver.clickButton(PEOPLE.approver, approverMessage(h, PEOPLE.approver, id), 'review.approve');
    const tuning = await until(() => h.slack.topView(PEOPLE.approver), 'the tuning modal');
    expect(
      tuning.view.blocks.some((b: { block_id?: string }) => String(b.block_id ?? '').endsWith('.okta-prod-admins')),
    ).toBe(false);
    h.slack.clearViews(PEOPLE.approver);
    await approve(h, PEOPLE.approver, id);
    expect(await statusOf(h, id)).toBe('active');
    expect(isMember()).toBe(true);
    expect(okta.members(groupId)).toHaveLength(5);
    const ready = h.slack
      .dmsTo(PEOPLE.requester)
      .find((m) => allText(m.blocks).includes('is ready') && allText(m.blocks).includes(id))!;
    expect(allText(ready.blocks)).toContain('member of the Okta group Prod Admins as rita@example.com');
    const rita = okta.directory.userByLogin('rita@example.com')!;
    expect(await targetOf(h, id)).toMatchObject({
      status: 'active',
      state: { groupId, userId: rita.id, login: 'rita@example.com' },
    });
    expect(await actionsOf(id)).toContain('grant.provisioned');
  });

  it('the API token reaches neither the audit trail, the database, nor the logs', async () => {
    for (const table of ['audit_events', 'grant_targets', 'outbox', 'resources']) {
      expect(JSON.stringify(await h.sql`select * from ${h.sql(table)}`)).not.toContain(TOKEN);
    }
    expect(h.logs.join('\n')).not.toContain(TOKEN);
  });

  it('an extension keeps the membership (Okta has no end of its own to move)', async () => {
    const mine = h.slack
      .dmsTo(PEOPLE.requester)
      .find((m) => allText(m.blocks).includes(id) && allText(m.blocks).includes('You '))!;
    await h.driver.clickButton(PEOPLE.requester, { channel: mine.channel, ts: mine.ts }, 'request.extend');
    const modal = await until(() => h.slack.topView(PEOPLE.requester), 'extend modal');
    await h.driver.submitView(PEOPLE.requester, modal.id, {
      'extend.duration': '60',
      'extend.reason': 'INC-71 still open',
    });
    h.slack.clearViews(PEOPLE.requester);
    await h.settle();
    const [ext] = await h.sql`select id from access_requests where extends_request_id = ${id}`;
    const writes = () => okta.requests.filter((r) => r.method !== 'GET').length;
    const before = writes();
    await approve(h, PEOPLE.approver, ext!.id as string);
    expect(await statusOf(h, ext!.id as string)).toBe('approved');
    expect(await actionsOf(id)).toContain('grant.extended_in_target');
    expect(writes()).toBe(before);
    expect(isMember()).toBe(true);
  });

  it('revoking removes the membership', async () => {
    await revoke(h, PEOPLE.approver, id);
    expect(await statusOf(h, id)).toBe('revoked');
    expect(isMember()).toBe(false);
    expect(okta.members(groupId)).toHaveLength(4);
    expect(await actionsOf(id)).toContain('grant.deprovisioned');
  });

  it('at expiry the membership is removed', async () => {
    const next = await ask(PEOPLE.requester, 'INC-72');
    await approve(h, PEOPLE.approver, next);
    expect(isMember()).toBe(true);
    h.clock.advance(61);
    await h.app.jobs.expireNow();
    await h.settle();
    expect(await statusOf(h, next)).toBe('expired');
    expect(isMember()).toBe(false);
  });
});

describe('reconcile with Okta', () => {
  const rexIsMember = () => okta.members(groupId).includes('rex@example.com');

  it('puts back a membership removed by hand, and removes one added back by hand after the grant ended', async () => {
    const id = await ask(REX, 'INC-73');
    await approve(h, PEOPLE.approver, id);
    expect(rexIsMember()).toBe(true);
    okta.removeMember(groupId, 'rex@example.com');
    expect(await h.app.services.provisioning.reconcile()).toMatchObject({ reprovisioned: 1, removed: 0 });
    await h.settle();
    expect(rexIsMember()).toBe(true);

    await revoke(h, PEOPLE.approver, id);
    expect(rexIsMember()).toBe(false);
    okta.addMember(groupId, 'rex@example.com');
    expect(await h.app.services.provisioning.reconcile()).toMatchObject({ reprovisioned: 0, removed: 1 });
    await h.settle();
    expect(rexIsMember()).toBe(false);
    // Members the bot never granted stay.
    expect(okta.members(groupId)).toHaveLength(4);
    const actions = await actionsOf(id);
    expect(actions).toContain('reconcile.missing_access');
    expect(actions).toContain('reconcile.leftover_access');
  });
});

describe('when Okta cannot help', () => {
  it('an org that is down for a while: the outbox retries until the membership exists', async () => {
    okta.setDown(true);
    const id = await ask(PEOPLE.requester, 'INC-74');
    await approve(h, PEOPLE.approver, id);
    expect(isMember()).toBe(false);
    await retryNow(h);
    expect(isMember()).toBe(false);
    expect(await targetOf(h, id)).toMatchObject({ status: 'pending', last_error: expect.stringContaining('503') });
    okta.setDown(false);
    await retryNow(h);
    expect(isMember()).toBe(true);
    const actions = await actionsOf(id);
    expect(actions.filter((a) => a === 'grant.provision_attempt_failed')).toHaveLength(2);
    expect(actions.at(-1)).toBe('grant.provisioned');
    await revoke(h, PEOPLE.approver, id);
  });

  it('a rate limit that resets far ahead is not slept through, and not dropped: the outbox comes back', async () => {
    okta.rateLimit(3600);
    const id = await ask(PEOPLE.requester, 'INC-75');
    await approve(h, PEOPLE.approver, id);
    expect(isMember()).toBe(false);
    expect(await targetOf(h, id)).toMatchObject({
      status: 'pending',
      last_error: expect.stringContaining('rate limit'),
    });
    okta.rateLimit(0);
    await retryNow(h);
    expect(isMember()).toBe(true);
    await revoke(h, PEOPLE.approver, id);
    expect(isMember()).toBe(false);
  });

  it('no Okta user with the requester’s e-mail: requester and approver read why, and nothing is granted', async () => {
    const before = okta.members(groupId);
    const seen = okta.requests.length;
    const id = await ask(NEWBIE, 'INC-76');
    await approve(h, PEOPLE.approver, id);
    const sentence = 'No Okta user has the e-mail nina@example.com';
    expect(await targetOf(h, id)).toMatchObject({ status: 'failed', last_error: expect.stringContaining(sentence) });
    for (const person of [NEWBIE, PEOPLE.approver]) {
      expect(
        h.slack
          .dmsTo(person)
          .some((m) => allText(m.blocks).includes('could not be set up') && allText(m.blocks).includes(sentence)),
      ).toBe(true);
    }
    expect(okta.members(groupId)).toEqual(before);
    expect(okta.requests.slice(seen).filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('no e-mail in Slack at all: the same, with that sentence', async () => {
    const id = await ask(PEOPLE.other, 'INC-77');
    await approve(h, PEOPLE.approver, id);
    expect(await targetOf(h, id)).toMatchObject({
      status: 'failed',
      last_error: expect.stringContaining('no e-mail address in their Slack profile'),
    });
    expect(
      h.slack.dmsTo(PEOPLE.other).some((m) => allText(m.blocks).includes('no e-mail address in their Slack profile')),
    ).toBe(true);
    expect(okta.members(groupId)).toHaveLength(4);
  });

  it('two overlapping grants of the group: revoking the first keeps the membership for the second', async () => {
    const first = await ask(PEOPLE.requester, 'INC-78 first');
    await approve(h, PEOPLE.approver, first);
    const second = await ask(PEOPLE.requester, 'INC-79 second');
    await approve(h, PEOPLE.approver, second);
    expect(isMember()).toBe(true);
    await revoke(h, PEOPLE.approver, first);
    expect(await statusOf(h, first)).toBe('revoked');
    expect(isMember()).toBe(true);
    expect(await h.app.services.provisioning.reconcile()).toEqual({ reprovisioned: 0, removed: 0 });
    expect(isMember()).toBe(true);
    await revoke(h, PEOPLE.approver, second);
    expect(isMember()).toBe(false);
  });
});
