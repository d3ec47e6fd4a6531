import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { buildFlowModal } from '../src/slack/admin/flow-modal.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approve, replyTo, requestAccess, retryNow, statusOf } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/**
 * A real workspace refuses some posts for good: a channel the bot was never invited to, an archived
 * one, a deactivated approver, a bot user. Each recipient is delivered on its own, so one refusal never
 * keeps the others from hearing about a request, and the admins are told once how to fix it.
 */
const DEAD = 'U0DEAD';
const ROBOT = 'U0ROBOT';
const BULK = Array.from({ length: 6 }, (_, i) => `U0BULK${String(i).padStart(3, '0')}`);

const accessFile = `
resources:
  - { name: ops-db, type: database }
  - { name: old-db, type: database }
  - { name: team-db, type: database }
  - { name: bulk-db, type: database }
  - { name: war-db, type: database }
  - { name: secret-db, type: database }
  - { name: late-db, type: database }
flows:
  - { name: ops, resources: { names: [ops-db] }, requesters: { users: [U0REQ] }, approvers: { users: [U0APPR, U0DBA1] }, notify_channel: C0OPS, max_duration: 8h }
  - { name: old, resources: { names: [old-db] }, requesters: { users: [U0REQ] }, approvers: { users: [U0APPR] }, notify_channel: C0OLD, max_duration: 8h }
  - { name: team, resources: { names: [team-db] }, requesters: { users: [U0REQ] }, approvers: { users: [U0APPR, ${DEAD}, ${ROBOT}] }, max_duration: 8h }
  - { name: bulk, resources: { names: [bulk-db] }, requesters: { users: [U0REQ] }, approvers: { users: [${BULK.join(', ')}] }, max_duration: 8h }
  - { name: secret, resources: { names: [secret-db] }, requesters: { users: [U0REQ] }, approvers: { users: [U0APPR, U0DBA1] }, notify_channel: C0SECRET, max_duration: 8h }
  - { name: late, resources: { names: [late-db] }, requesters: { users: [U0REQ] }, approvers: { users: [U0APPR, U0DBA1] }, notify_channel: C0LATE, max_duration: 8h }
  - name: war
    resources: { names: [war-db] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR, U0DBA1] }
    max_duration: 8h
    break_glass: { users: [U0OTHER], max_duration: 1h, channel: C0WAR }
`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ accessFile });
  h.slack.addChannel({ id: 'C0OPS', name: 'ops', botIsMember: false });
  h.slack.addChannel({ id: 'C0OLD', name: 'old-approvals', isArchived: true });
  h.slack.addChannel({ id: 'C0WAR', name: 'war-room', botIsMember: false });
  h.slack.addChannel({ id: 'C0SECRET', name: 'secret-approvals', botIsMember: false, isPrivate: true });
  h.slack.addChannel({ id: 'C0LATE', name: 'late-approvals', botIsMember: false });
  h.slack.addUser({ id: DEAD, name: 'dora', realName: 'Dora Departed', deleted: true });
  h.slack.addUser({ id: ROBOT, name: 'robot', isBot: true });
});
afterAll(async () => {
  await h?.stop();
});

const ask = async (resource: string, why: string) =>
  (await requestAccess(h, PEOPLE.requester, { resources: [resource], duration: '60', justification: why }))[0]!;
const dmsAbout = (user: string, id: string) => h.slack.dmsTo(user).filter((m) => allText(m.blocks).includes(id));
const adminNotes = (needle: string) => h.slack.dmsTo(PEOPLE.admin).filter((m) => m.text.includes(needle));
const pendingOutbox = async () =>
  (await h.sql`select count(*)::int as n from outbox where done_at is null`)[0]!.n as number;

describe('a notify channel Slack refuses', () => {
  it('the approvers get DMs although the channel says not_in_channel, and the admin is told how to fix it', async () => {
    const id = await ask('ops-db', 'OPS-1 checking the queue');
    expect(
      h.slack
        .failures()
        .some((c) => c.method === 'chat.postMessage' && c.args.channel === 'C0OPS' && c.error === 'not_in_channel'),
    ).toBe(true);
    expect(h.slack.messagesIn('C0OPS')).toHaveLength(0);
    for (const approver of [PEOPLE.approver, PEOPLE.dba])
      expect(allText(dmsAbout(approver, id)[0]?.blocks)).toContain('review.approve');
    expect(dmsAbout(PEOPLE.requester, id)).toHaveLength(1);
    const [note] = adminNotes('<#C0OPS>');
    expect(note?.text).toContain('I am not a member');
    expect(note?.text).toContain('/invite @Access Requests');
    expect(await pendingOutbox()).toBe(0);
  });

  it('the admin is told once per channel, not on every request', async () => {
    const id = await ask('ops-db', 'OPS-2 again');
    expect(dmsAbout(PEOPLE.approver, id)).toHaveLength(1);
    expect(adminNotes('<#C0OPS>')).toHaveLength(1);
  });

  it('an archived channel: DMs instead, and the admin hears it is archived', async () => {
    const id = await ask('old-db', 'OLD-1 archived channel');
    expect(h.slack.failures().some((c) => c.args.channel === 'C0OLD' && c.error === 'is_archived')).toBe(true);
    expect(dmsAbout(PEOPLE.approver, id)).toHaveLength(1);
    expect(adminNotes('<#C0OLD>')[0]?.text).toContain('archived');
  });

  it('a private channel the bot was not added to (channel_not_found): the request is kept and approved from a DM', async () => {
    const id = await ask('secret-db', 'SEC-1 private channel');
    expect(
      h.slack
        .failures()
        .some(
          (c) => c.method === 'chat.postMessage' && c.args.channel === 'C0SECRET' && c.error === 'channel_not_found',
        ),
    ).toBe(true);
    expect(await statusOf(h, id)).toBe('pending');
    const [note] = adminNotes('<#C0SECRET>');
    expect(note?.text).toContain('private and I was not added to it');
    expect(note?.text).toContain('`/invite @Access Requests`');
    expect(note?.text).toContain('Meanwhile its approvers get a DM instead.');
    await approve(h, PEOPLE.dba, id);
    expect(await statusOf(h, id)).not.toBe('pending');
    expect(allText(dmsAbout(PEOPLE.approver, id)[0]!.blocks)).toContain('Approved');
    expect(await pendingOutbox()).toBe(0);
  });

  it('once the bot is invited, the next request is posted in the channel and nobody is DMed about it', async () => {
    const first = await ask('late-db', 'LATE-1 before the invitation');
    expect(dmsAbout(PEOPLE.approver, first)).toHaveLength(1);
    expect(adminNotes('<#C0LATE>')).toHaveLength(1);
    h.slack.updateChannel('C0LATE', { botIsMember: true }); // someone typed /invite @Access Requests
    const second = await ask('late-db', 'LATE-2 after the invitation');
    expect(h.slack.messagesIn('C0LATE').filter((m) => allText(m.blocks).includes(second))).toHaveLength(1);
    expect(dmsAbout(PEOPLE.approver, second)).toHaveLength(0);
    expect(dmsAbout(PEOPLE.dba, second)).toHaveLength(0);
    expect(adminNotes('<#C0LATE>')).toHaveLength(1);
  });

  it('a channel archived after the post: chat.update says is_inactive, the decision goes through and nothing waits for a retry', async () => {
    const [row] = await h.sql`select id from access_requests where justification = 'LATE-2 after the invitation'`;
    const id = row!.id as string;
    const posted = h.slack.messagesIn('C0LATE').find((m) => allText(m.blocks).includes(id))!;
    h.slack.updateChannel('C0LATE', { isArchived: true });
    h.slack.clearCalls();
    await h.driver.clickButton(PEOPLE.approver, { channel: 'C0LATE', ts: posted.ts }, 'review.approve');
    const modal = await until(() => h.slack.topView(PEOPLE.approver), 'the tuning modal');
    await h.driver.submitView(PEOPLE.approver, modal.id, {});
    h.slack.clearViews(PEOPLE.approver);
    await h.settle();
    expect(await statusOf(h, id)).not.toBe('pending');
    expect(
      h.slack
        .failures()
        .filter((c) => c.method === 'chat.update')
        .map((c) => c.error),
    ).toEqual(['is_inactive']);
    expect(await pendingOutbox()).toBe(0);
  });

  it('the flow editor says to invite the bot beside every channel picker', () => {
    const modal = allText(buildFlowModal(undefined, []).blocks);
    expect(modal.match(/\/invite @Access Requests/g)?.length).toBe(2);
  });
});

describe('approvers who cannot be DMed', () => {
  let id: string;
  it('a deactivated approver and a bot user are skipped, the others delivered', async () => {
    id = await ask('team-db', 'TEAM-1 with a departed approver');
    expect(dmsAbout(PEOPLE.approver, id)).toHaveLength(1);
    // Slack would take a post to a deactivated user's DM without a word: none was sent.
    expect(
      h.slack.calls('chat.postMessage').filter((c) => c.args.channel === DEAD || c.args.channel === ROBOT),
    ).toHaveLength(0);
    expect(adminNotes(`<@${DEAD}>`)[0]?.text).toContain('deactivated');
    expect(adminNotes(`<@${ROBOT}>`)[0]?.text).toContain('bot user');
    expect(await pendingOutbox()).toBe(0);
  });

  it('the decision updates the others and publishes no Home for the skipped ones', async () => {
    // All three had opened their App Home (only readers get it re-published): the deactivated approver
    // and the bot are skipped for being out of reach.
    await h.sql`insert into home_state (user_id, opened_at) values (${PEOPLE.requester}, now()), (${DEAD}, now()), (${ROBOT}, now())
                on conflict (user_id) do update set opened_at = now()`;
    h.slack.clearCalls();
    await approve(h, PEOPLE.approver, id);
    expect(dmsAbout(PEOPLE.approver, id)[0]!.updateCount).toBeGreaterThan(0);
    expect(
      h.slack.calls('views.publish').filter((c) => c.args.user_id === DEAD || c.args.user_id === ROBOT),
    ).toHaveLength(0);
    expect(h.slack.calls('views.publish').some((c) => c.args.user_id === PEOPLE.requester)).toBe(true);
  });
});

describe('a failure half-way through a fan-out', () => {
  let id: string;
  it('a retry of the announcement sends only to the approver not reached yet', async () => {
    // Two 500s in a row outlast WebClient's own retry: the outbox item fails for BULK[2] alone.
    h.slack.failNext('chat.postMessage', { status: 500 }, 2, (a) => a.channel === BULK[2]);
    [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['bulk-db'],
      duration: '60',
      justification: 'BULK-1 fan-out',
    })) as [string];
    expect(dmsAbout(BULK[2]!, id)).toHaveLength(0);
    for (const u of BULK.filter((x) => x !== BULK[2])) expect(dmsAbout(u, id)).toHaveLength(1);
    expect(await pendingOutbox()).toBe(1);
    await retryNow(h);
    for (const u of BULK) expect(dmsAbout(u, id)).toHaveLength(1);
    expect(await pendingOutbox()).toBe(0);
  });

  it('a retry of the decision does not update again the messages already updated', async () => {
    h.slack.clearCalls();
    const failAt = h.slack.dmChannelOf(BULK[4]!);
    h.slack.failNext('chat.update', { status: 500 }, 2, (a) => a.channel === failAt);
    await approve(h, BULK[0]!, id);
    expect(await pendingOutbox()).toBeGreaterThan(0);
    await retryNow(h);
    expect(await pendingOutbox()).toBe(0);
    for (const u of BULK) {
      const [m] = dmsAbout(u, id);
      expect(allText(m!.blocks)).toContain('Approved');
      const updates = h.slack.calls('chat.update').filter((c) => c.ok && c.args.ts === m!.ts);
      expect(updates, `${u}'s message`).toHaveLength(1);
    }
  });
});

describe('rate limits on a decision', () => {
  it('chat.update answering 429 still leaves every message updated and nothing parked', async () => {
    const id = await ask('bulk-db', 'BULK-2 under rate limits');
    h.slack.clearCalls();
    h.slack.rateLimit('chat.update', 3, 1000);
    await approve(h, BULK[1]!, id);
    for (let pass = 0; pass < 10 && (await pendingOutbox()) > 0; pass++) await retryNow(h);
    h.slack.rateLimit('chat.update', 1000, 1000);
    expect(h.slack.failures().some((c) => c.method === 'chat.update' && c.error === 'ratelimited')).toBe(true);
    for (const u of BULK) expect(allText(dmsAbout(u, id)[0]!.blocks)).toContain('Approved');
    expect(await pendingOutbox()).toBe(0);
  });
});

describe('break-glass when its channel fails', () => {
  it('the alert still reaches every approver by DM, and the admin is told', async () => {
    const reply = await replyTo(h, () =>
      h.driver.command(PEOPLE.other, '/access', 'break-glass war-db 30m INC-7 the database is on fire'),
    );
    expect(reply.text).toContain('Break-glass access granted');
    await h.settle();
    const [row] =
      await h.sql`select id from access_requests where kind = 'break_glass' order by created_at desc limit 1`;
    const id = row!.id as string;
    expect(h.slack.messagesIn('C0WAR')).toHaveLength(0);
    for (const approver of [PEOPLE.approver, PEOPLE.dba])
      expect(dmsAbout(approver, id)[0]?.text).toContain(':rotating_light:');
    expect(adminNotes('<#C0WAR>')[0]?.text).toContain('break-glass alert');
    expect(await pendingOutbox()).toBe(0);
  });
});
