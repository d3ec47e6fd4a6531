import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessApp } from '../src/app.js';
import { startHarness, type Harness } from './support/harness.js';
import {
  allText,
  approve,
  approverMessage,
  forgeClick,
  replyTo,
  requestAccess,
  statusOf,
} from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

let h: Harness;
let replica: AccessApp;
beforeAll(async () => {
  h = await startHarness();
  // A second replica on the same database (started first: each start applies ACCESS_CONFIG again).
  replica = await h.replica();
  // Escalation goes to Oscar by name and to the members of a group of its own (Ada).
  h.slack.addUsergroup({ id: 'S0ESCAL', handle: 'escalation', name: 'Escalation', users: [PEOPLE.admin] });
  // Until the flow settings land in ACCESS_CONFIG and App Home, the lifecycle is set in the database.
  const lifecycle = {
    remindAfterMinutes: 30,
    escalationUsers: [PEOPLE.other],
    escalationGroups: ['S0ESCAL'],
    escalateAfterMinutes: 60,
    pendingTtlMinutes: 240,
    autoApprove: [],
    breakGlass: null,
  };
  await h.sql`update flows set lifecycle = ${h.sql.json(lifecycle)} where name = 'support-prod'`;
});
afterAll(async () => {
  await h?.stop();
});

const justification = 'INC-42: payments are failing';
const tick = async (minutes: number) => {
  h.clock.advance(minutes);
  await h.app.jobs.lifecycleNow();
  await h.settle();
};
/** Thread replies under a message (the double records `thread_ts` as threadTs). */
const repliesTo = (where: { channel: string; ts: string }) =>
  h.slack.messagesIn(where.channel).filter((m) => m.threadTs === where.ts);
const topLevel = (userId: string) => h.slack.dmsTo(userId).filter((m) => !m.threadTs);
const actions = async (id: string) =>
  (await h.sql`select action from audit_events where request_id = ${id} order by id`).map((r) => r.action as string);

describe('reminders and escalation of a pending request', () => {
  let id: string;

  it('reminds each approver once, as a reply in the thread of their message, after remindAfterMinutes', async () => {
    [id] = (await requestAccess(h, PEOPLE.requester, { resources: ['prod-db'], duration: '60', justification })) as [
      string,
    ];
    const messages = [approverMessage(h, PEOPLE.approver, id), approverMessage(h, PEOPLE.dba, id)];
    const before = topLevel(PEOPLE.approver).length;

    await tick(29);
    for (const where of messages) expect(repliesTo(where)).toHaveLength(0);

    // A second replica runs the job at the same moment: SKIP LOCKED means one of them reminds, once.
    h.clock.advance(1);
    await Promise.all([h.app.jobs.lifecycleNow(), replica.jobs.lifecycleNow()]);
    await h.settle();
    await replica.jobs.drainOutbox();
    for (const where of messages) {
      const replies = repliesTo(where);
      expect(replies).toHaveLength(1);
      expect(replies[0]!.threadTs).toBe(where.ts);
      expect(allText(replies[0]!.blocks)).toContain('Reminder');
      expect(allText(replies[0]!.blocks)).toContain(id);
    }
    // A reply, not a new top-level message.
    expect(topLevel(PEOPLE.approver)).toHaveLength(before);
    const [row] = await h.sql`select reminded_at, escalated_at from access_requests where id = ${id}`;
    expect(row!.reminded_at).not.toBeNull();
    expect(row!.escalated_at).toBeNull();

    await tick(15);
    for (const where of messages) expect(repliesTo(where)).toHaveLength(1);
    expect((await actions(id)).filter((a) => a === 'request.reminded')).toHaveLength(1);
  });

  it('escalation approvers may not decide before the request is escalated', async () => {
    const reply = await replyTo(h, () =>
      forgeClick(h, PEOPLE.other, approverMessage(h, PEOPLE.approver, id), 'review.approve', id),
    );
    expect(reply.text).toBe('Only an approver of this request can do that.');
    expect(h.slack.dmsTo(PEOPLE.other).some((m) => allText(m.blocks).includes(id))).toBe(false);
    expect(await statusOf(h, id)).toBe('pending');
  });

  it('after escalateAfterMinutes the escalation users and group members get an approver message, once', async () => {
    await tick(15); // 60 minutes after the request
    for (const person of [PEOPLE.other, PEOPLE.admin]) {
      const message = approverMessage(h, person, id).message;
      expect(message.threadTs).toBeUndefined();
      expect(allText(message.blocks)).toContain('review.approve');
      expect(allText(message.blocks)).toContain('Escalated');
    }
    // Stored like the others, so later updates re-render them; the first approvers see the escalation too.
    const refs =
      await h.sql`select user_id from slack_messages where request_id = ${id} and role = 'approver' order by id`;
    expect(refs.map((r) => r.user_id)).toEqual([PEOPLE.approver, PEOPLE.dba, PEOPLE.other, PEOPLE.admin]);
    expect(allText(approverMessage(h, PEOPLE.approver, id).message.blocks)).toContain('Escalated');
    const [row] = await h.sql`select notified_approvers, escalated_at from access_requests where id = ${id}`;
    expect(row!.notified_approvers).toEqual([PEOPLE.approver, PEOPLE.dba, PEOPLE.other, PEOPLE.admin]);
    expect(row!.escalated_at).not.toBeNull();

    await tick(30);
    expect(h.slack.dmsTo(PEOPLE.other).filter((m) => !m.threadTs && allText(m.blocks).includes(id))).toHaveLength(1);
    expect((await actions(id)).filter((a) => a === 'request.escalated')).toHaveLength(1);
  });

  it('an escalation approver can then approve, and every message shows it', async () => {
    await approve(h, PEOPLE.other, id);
    expect(await statusOf(h, id)).toBe('active');
    for (const person of [PEOPLE.approver, PEOPLE.dba, PEOPLE.other, PEOPLE.admin]) {
      const text = allText(approverMessage(h, person, id).message.blocks);
      expect(text).toContain(`Approved by <@${PEOPLE.other}>`);
      expect(text).not.toContain('review.approve');
    }
  });
});

describe('pending TTL', () => {
  it('a request nobody decides expires after pendingTtlMinutes: requester told, messages updated, audited', async () => {
    const [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['web-1'],
      duration: '60',
      justification,
    })) as [string];
    await tick(239);
    expect(await statusOf(h, id)).not.toBe('timed_out');

    await tick(1);
    expect(await statusOf(h, id)).toBe('timed_out');
    const notice = h.slack.dmsTo(PEOPLE.requester).at(-1)!;
    expect(allText(notice.blocks)).toContain('expired without a decision');
    for (const person of [PEOPLE.approver, PEOPLE.dba, PEOPLE.other, PEOPLE.admin]) {
      const text = allText(approverMessage(h, person, id).message.blocks);
      expect(text).toContain('Expired without a decision');
      expect(text).not.toContain('review.approve');
    }
    const requesterCopy = h.slack
      .dmsTo(PEOPLE.requester)
      .find((m) => allText(m.blocks).includes('You requested access') && allText(m.blocks).includes(id))!;
    expect(allText(requesterCopy.blocks)).toContain('Expired without a decision');
    expect(await actions(id)).toContain('request.timed_out');

    // A late click on the old message changes nothing.
    const reply = await replyTo(h, () =>
      forgeClick(h, PEOPLE.approver, approverMessage(h, PEOPLE.approver, id), 'review.approve', id),
    );
    expect(reply.text).toContain('expired without a decision');
    expect(await statusOf(h, id)).toBe('timed_out');
  });
});

describe('end warning', () => {
  it('warns the requester once, 10 minutes before the access ends, with the end time', async () => {
    const [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification,
    })) as [string];
    await approve(h, PEOPLE.approver, id);
    const warnings = () =>
      h.slack
        .dmsTo(PEOPLE.requester)
        .filter((m) => allText(m.blocks).includes('ends at') && allText(m.blocks).includes(id));
    const [grant] = await h.sql`select expires_at from grants where request_id = ${id}`;
    const endUnix = Math.floor((grant!.expires_at as Date).getTime() / 1000);

    await tick(49);
    expect(warnings()).toHaveLength(0);
    await tick(1);
    expect(warnings()).toHaveLength(1);
    expect(allText(warnings()[0]!.blocks)).toContain(`<!date^${endUnix}^`);
    expect(allText(warnings()[0]!.blocks)).toContain('"action_id":"request.extend"');
    const [row] = await h.sql`select warned_at from grants where request_id = ${id}`;
    expect(row!.warned_at).not.toBeNull();

    await tick(5);
    expect(warnings()).toHaveLength(1);

    // The end moves (as an approved extension moves it): the new end is warned about once more.
    await h.sql`update grants set expires_at = expires_at + interval '60 minutes' where request_id = ${id}`;
    await tick(54);
    expect(warnings()).toHaveLength(1);
    await tick(1);
    expect(warnings()).toHaveLength(2);
    expect(allText(warnings()[1]!.blocks)).toContain(`<!date^${endUnix + 3600}^`);

    h.clock.advance(10);
    await h.app.jobs.expireNow();
    await tick(1);
    expect(await statusOf(h, id)).toBe('expired');
    expect(warnings()).toHaveLength(2);
  });
});
