import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aFlow } from '../src/domain/fixtures.test-support.js';
import { FakeSlack } from '../doubles/slack/fake-slack.js';
import { until } from '../doubles/slack/driver.js';
import { deciderIdentity, requesterIdentity } from '../src/services/identity.js';
import { createSlackDirectory } from '../src/slack/directory.js';
import { BOT_TOKEN, startHarness, type Harness } from './support/harness.js';
import { approverMessage, forgeClick, replyTo, requestAccess } from './support/journey-steps.js';
import { PEOPLE, USERS } from './support/workspace.js';
import { startWorkspaceSlack } from './support/workspace-slack.js';

/**
 * Slack's rate limits as a real workspace applies them (the double's strict tiers): usergroups.users.list
 * is Tier 2, about 20 a minute. Busy people must never meet a 429, and a 429 on background work must
 * not hold up a modal whose trigger_id lasts 3 s.
 */
let h: Harness;
const BULK = USERS.filter((u) => u.id.startsWith('U0BULK'))
  .slice(0, 30)
  .map((u) => u.id);
const groupCalls = (group: string) => h.slack.calls('usergroups.users.list').filter((c) => c.args.usergroup === group);
const membersChanged = (group: string, added: string[], removed: string[] = []) => ({
  type: 'subteam_members_changed',
  subteam_id: group,
  team_id: h.slack.teamId,
  date_previous_update: 1,
  date_update: 2,
  added_users: added,
  added_users_count: String(added.length),
  removed_users: removed,
  removed_users_count: String(removed.length),
});

async function deliverEvent(event: Record<string, unknown>) {
  const seen = h.logs.filter((l) => l.includes('user group members changed')).length;
  const res = await h.driver.event(event);
  expect(res.status).toBe(200);
  // Bolt acks the event before its listener runs: wait for the listener, not for time.
  await until(
    () => h.logs.filter((l) => l.includes('user group members changed')).length > seen || undefined,
    'the event listener',
  );
}

beforeAll(async () => {
  h = await startHarness();
  h.slack.setUsergroupUsers('S0SUPPORT', [PEOPLE.supporter, PEOPLE.guest, ...BULK]);
  h.slack.enforceRateLimits();
});
afterAll(async () => {
  await h?.stop();
});

describe('Slack rate limits', () => {
  it('30 members of a requester group opening the form at once cost one usergroups.users.list per group, and nobody meets a 429', async () => {
    const responses = await Promise.all(BULK.map((u) => h.driver.command(u, '/access', 'request')));
    expect(responses.every((r) => r.status === 200 && !r.slackError)).toBe(true);
    for (const u of BULK) {
      const modal = await until(() => h.slack.topView(u), `the request modal of ${u}`);
      expect(JSON.stringify(modal.view)).toContain('prod-db');
    }
    expect(h.slack.calls('views.open').filter((c) => c.ok).length).toBeGreaterThanOrEqual(BULK.length);
    expect(groupCalls('S0SUPPORT')).toHaveLength(1);
    // The form asks about requester groups; approver groups at most once more, for the submit to come.
    expect(h.slack.calls('usergroups.users.list').length).toBeLessThanOrEqual(3);
    expect(h.slack.failures().filter((c) => c.error === 'ratelimited')).toEqual([]);

    // The submit is answered within Slack's 3 s with what the form open looked up: no directory call before the ack.
    // Counted up to the moment the request was written (its transaction's start): the announcement after
    // the commit may look up the approvers while the answer is still on its way back, and that is fine.
    const lookups: number[] = [];
    const off = h.slack.onCall((c) => {
      if (c.method === 'users.info' || c.method === 'usergroups.users.list') lookups.push(c.at);
    });
    const res = await h.driver.submitView(BULK[0]!, h.slack.topView(BULK[0]!)!.id, {
      'request.resources': ['prod-db'],
      'request.duration': '60',
      'request.justification': 'RL-0: submitted',
    });
    off();
    expect(res.json?.response_action).toBe('update');
    const [written] =
      await h.sql`select extract(epoch from created_at) * 1000 as at from access_requests where justification = 'RL-0: submitted'`;
    expect(lookups.filter((at) => at < Number(written!.at))).toEqual([]);
    for (const u of BULK) h.slack.clearViews(u);
    await h.settle();
  });

  it('a subteam_members_changed event lets a new approver group member approve at once, without asking Slack again', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'RL-1: rate limits',
    });
    const where = approverMessage(h, PEOPLE.approver, id!);
    await replyTo(h, () => forgeClick(h, PEOPLE.other, where, 'review.approve', id!));
    expect(h.slack.topView(PEOPLE.other)).toBeUndefined();
    const asked = groupCalls('S0DBTEAM').length;
    expect(asked).toBeGreaterThan(0);

    h.slack.setUsergroupUsers('S0DBTEAM', [PEOPLE.dba, PEOPLE.other]);
    await deliverEvent(membersChanged('S0DBTEAM', [PEOPLE.other]));
    await forgeClick(h, PEOPLE.other, where, 'review.approve', id!);
    const modal = await until(() => h.slack.topView(PEOPLE.other), 'the tuning modal');
    expect(JSON.stringify(modal.view)).toContain(id!);
    expect(groupCalls('S0DBTEAM')).toHaveLength(asked);
    h.slack.clearViews(PEOPLE.other);

    // And leaving the group takes the authority away just as fast.
    h.slack.setUsergroupUsers('S0DBTEAM', [PEOPLE.dba]);
    await deliverEvent(membersChanged('S0DBTEAM', [], [PEOPLE.other]));
    await replyTo(h, () => forgeClick(h, PEOPLE.other, where, 'review.approve', id!));
    expect(h.slack.topView(PEOPLE.other)).toBeUndefined();
  });

  it('a 429 on a background chat.update does not hold up a modal: it opens before the retried update', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'RL-2: background 429',
    });
    // Longer than the trigger_id lives: a modal waiting behind this pause could not open at all.
    h.slack.failNext('chat.update', { status: 429, retryAfterSec: 4 });
    await h.driver.clickButton(PEOPLE.approver, approverMessage(h, PEOPLE.approver, id!), 'review.approve');
    const tuning = await until(() => h.slack.topView(PEOPLE.approver), 'the tuning modal');
    await h.driver.submitView(PEOPLE.approver, tuning.id, {});
    h.slack.clearViews(PEOPLE.approver);
    // The outbox worker, kicked by the commit, refreshes the approver's message and meets the 429.
    const limited = await until(
      () => h.slack.calls('chat.update').find((c) => c.error === 'ratelimited'),
      'the rate-limited chat.update',
    );

    // Someone the bot has never looked up opens the form meanwhile (users.info must go out now).
    h.slack.addUser({ id: 'U0LATE', name: 'lee', realName: 'Lee Late' });
    h.slack.setUsergroupUsers('S0SUPPORT', [PEOPLE.supporter, PEOPLE.guest, ...BULK, 'U0LATE']);
    await deliverEvent(membersChanged('S0SUPPORT', ['U0LATE']));
    await h.driver.command('U0LATE', '/access', 'request');
    await until(() => h.slack.topView('U0LATE'), 'the request modal');
    const opened = h.slack.calls('views.open').find((c) => c.ok && c.at > limited.at)!;
    expect(h.slack.calls('views.open').filter((c) => !c.ok && c.at > limited.at)).toEqual([]);
    const retried = await until(
      () => h.slack.calls('chat.update').find((c) => c.ok && c.at > limited.at),
      'the retried chat.update',
    );
    expect(opened.at).toBeLessThan(retried.at);
    await h.settle();
    expect(h.slack.failures().filter((c) => c.error === 'ratelimited' && c.method !== 'chat.update')).toEqual([]);
  });
});

describe('the Slack directory', () => {
  let slack: FakeSlack;
  beforeAll(async () => {
    slack = await startWorkspaceSlack();
    slack.enforceRateLimits();
  });
  afterAll(async () => {
    await slack?.stop();
  });
  const fresh = () =>
    createSlackDirectory(new WebClient(BOT_TOKEN, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } }));

  it('simultaneous misses for a group or a person share one call', async () => {
    slack.clearCalls();
    const directory = fresh();
    const members = await Promise.all(Array.from({ length: 25 }, () => directory.groupMembers('S0SUPPORT')));
    const people = await Promise.all(Array.from({ length: 10 }, () => directory.person(PEOPLE.dba)));
    expect(new Set(members.map((m) => m.join()))).toEqual(new Set([[PEOPLE.supporter, PEOPLE.guest].join()]));
    expect(people.every((p) => p.id === PEOPLE.dba)).toBe(true);
    expect(slack.calls('usergroups.users.list')).toHaveLength(1);
    expect(slack.calls('users.info')).toHaveLength(1);
  });

  it('asks only about the groups a decision needs, and none for a person a flow names directly', async () => {
    slack.clearCalls();
    const directory = fresh();
    const flow = aFlow({
      name: 'f',
      approverUsers: [PEOPLE.approver],
      approverGroups: ['S0DBTEAM'],
      requesterUsers: [PEOPLE.requester],
      requesterGroups: ['S0SUPPORT'],
    });
    const other = aFlow({ name: 'g', approverGroups: ['S0OTHER'], requesterGroups: ['S0ELSE'], enabled: false });
    expect((await deciderIdentity(directory, PEOPLE.approver, flow, false)).groupIds.size).toBe(0);
    expect((await requesterIdentity(directory, PEOPLE.requester, [flow, other])).groupIds.size).toBe(0);
    expect(slack.calls('usergroups.users.list')).toHaveLength(0);
    expect([...(await deciderIdentity(directory, PEOPLE.dba, flow, false)).groupIds]).toEqual(['S0DBTEAM']);
    expect([...(await requesterIdentity(directory, PEOPLE.supporter, [flow, other])).groupIds]).toEqual(['S0SUPPORT']);
    expect(
      slack
        .calls('usergroups.users.list')
        .map((c) => c.args.usergroup)
        .sort(),
    ).toEqual(['S0DBTEAM', 'S0SUPPORT']);
  });

  it('chat.postMessage is paced per channel: a burst in one channel is limited, another channel is not', async () => {
    const post = (channel: string) =>
      fetch(`${slack.apiUrl}chat.postMessage`, {
        method: 'POST',
        headers: { authorization: `Bearer ${BOT_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ channel, text: 'hi' }),
      });
    const burst = await Promise.all(Array.from({ length: 12 }, () => post('C0GENERAL')));
    expect(burst.filter((r) => r.status === 429).length).toBeGreaterThan(0);
    expect((await post(slack.dmChannelOf(PEOPLE.dba))).status).toBe(200);
  });

  it('the strict tiers answer 429 with Retry-After once a Tier 2 method spent its minute', async () => {
    const res = await Promise.all(
      Array.from({ length: 25 }, () =>
        fetch(`${slack.apiUrl}usergroups.list`, { method: 'POST', headers: { authorization: `Bearer ${BOT_TOKEN}` } }),
      ),
    );
    const limited = res.filter((r) => r.status === 429);
    expect(res.filter((r) => r.status === 200).length).toBeLessThanOrEqual(20);
    expect(limited.length).toBeGreaterThanOrEqual(5);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited[0]!.json()).toEqual({ ok: false, error: 'ratelimited' });
    // Another method has its own budget.
    expect(
      (
        await fetch(`${slack.apiUrl}users.info?user=${PEOPLE.dba}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${BOT_TOKEN}` },
        })
      ).status,
    ).toBe(200);
  });
});
