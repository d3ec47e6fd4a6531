import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryProvisioner } from '../src/provisioners/memory/memory-provisioner.js';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approverMessage, requestAccess } from './support/journey-steps.js';
import { waitFor } from '../doubles/support/until.js';
import { PEOPLE } from './support/workspace.js';

/**
 * Slack paces message updates (50 chat.update a minute); a decision refreshes every approver's message.
 * Grants run in their own outbox lane, so back-to-back approvals become active in their targets while
 * the refreshes of the earlier approvals still wait for Slack.
 */
const memory = createMemoryProvisioner();
const APPS = ['lane-one', 'lane-two', 'lane-three'];
const accessFile = `
resources:
${APPS.map((name) => `  - { name: ${name}, type: generic, tags: [lanes], provisioner: { type: memory } }`).join('\n')}
flows:
  - name: lanes
    resources: { tags: [lanes] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR], groups: [S0DBTEAM] }
    max_duration: 8h
`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ accessFile, app: { extraProvisioners: [memory.provisioner] } });
});
afterAll(async () => {
  // A failed run leaves updates waiting for Slack: let them through so the bot can stop.
  h?.slack.rateLimit('chat.update', 10_000, 1);
  await h?.stop();
});

const activeTargets = async (ids: string[]) =>
  (
    await h.sql`select g.request_id from grant_targets t join grants g on g.id = t.grant_id
                where g.request_id in ${h.sql(ids)} and t.status = 'active'`
  ).map((r) => r.request_id as string);

describe('outbox lanes', () => {
  it('back-to-back approvals become active while Slack still holds the approver message refreshes', async () => {
    const ids: string[] = [];
    for (const app of APPS)
      ids.push(
        ...(await requestAccess(h, PEOPLE.requester, {
          resources: [app],
          duration: '60',
          justification: `LANE ${app}`,
        })),
      );
    const [{ last }] = (await h.sql`select coalesce(max(id), 0)::int as last from outbox`) as unknown as [
      { last: number },
    ];
    // Slack lets one chat.update through in 15 s: a decision's refresh (several messages) waits for it.
    h.slack.rateLimit('chat.update', 1, 15_000);
    for (const id of ids) {
      await h.driver.clickButton(PEOPLE.approver, approverMessage(h, PEOPLE.approver, id), 'review.approve');
      const modal = await until(() => h.slack.topView(PEOPLE.approver), 'the tuning modal');
      await h.driver.submitView(PEOPLE.approver, modal.id, {});
      h.slack.clearViews(PEOPLE.approver);
    }

    // Every grant is active in its target, or else the first refresh got through first (the old single lane).
    const firstRefreshDone = async () =>
      (
        await h.sql`select done_at from outbox where topic = 'messages.refresh' and request_id = ${ids[0]!}
                    and id > ${last} order by id limit 1`
      )[0]?.done_at != null;
    await waitFor(
      async () => (await activeTargets(ids)).length === ids.length || (await firstRefreshDone()),
      'the grants active, or the first approval messages refreshed',
    );
    expect((await activeTargets(ids)).sort()).toEqual([...ids].sort());
    expect(await firstRefreshDone()).toBe(false);
    expect(APPS.every((app) => memory.calls.some((c) => c.op === 'provision' && c.resource === app))).toBe(true);

    // Slack lets updates through again: the approver's messages catch up with the decisions.
    h.slack.rateLimit('chat.update', 10_000, 1);
    await h.settle();
    for (const id of ids) expect(allText(approverMessage(h, PEOPLE.approver, id).message.blocks)).toMatch(/approved/i);
    expect(Number((await h.sql`select count(*)::int as n from outbox where done_at is null`)[0]!.n)).toBe(0);
  });

  it('a new request reaches its approvers while Slack still holds the refreshes of an earlier decision', async () => {
    const [decided] = await requestAccess(h, PEOPLE.requester, {
      resources: ['lane-one'],
      duration: '60',
      justification: 'LANE decided first',
    });
    const [{ last }] = (await h.sql`select coalesce(max(id), 0)::int as last from outbox`) as unknown as [
      { last: number },
    ];
    h.slack.rateLimit('chat.update', 1, 15_000);
    await h.driver.clickButton(PEOPLE.approver, approverMessage(h, PEOPLE.approver, decided!), 'review.approve');
    const modal = await until(() => h.slack.topView(PEOPLE.approver), 'the tuning modal');
    await h.driver.submitView(PEOPLE.approver, modal.id, {});
    h.slack.clearViews(PEOPLE.approver);
    const refreshDone = async () =>
      (
        await h.sql`select done_at from outbox where topic = 'messages.refresh' and request_id = ${decided!}
                    and id > ${last} order by id limit 1`
      )[0]?.done_at != null;

    // The decision's refresh is waiting for Slack; a new request is made meanwhile (sent as a person sends
    // it: requestAccess would settle every lane, the paced one too).
    const before = new Set((await h.sql`select id from access_requests`).map((r) => r.id as string));
    await h.driver.command(PEOPLE.requester, '/access', 'request');
    const form = await until(() => h.slack.topView(PEOPLE.requester), 'the request modal');
    await h.driver.submitView(PEOPLE.requester, form.id, {
      'request.resources': ['lane-two'],
      'request.duration': '60',
      'request.justification': 'LANE asked while Slack paces updates',
    });
    h.slack.clearViews(PEOPLE.requester);
    const fresh = (await h.sql`select id from access_requests`)
      .map((r) => r.id as string)
      .find((id) => !before.has(id));
    const reached = () => h.slack.dmsTo(PEOPLE.approver).some((m) => JSON.stringify(m.blocks).includes(fresh!));
    await waitFor(async () => reached() || (await refreshDone()), 'the new request DM, or the old refresh');
    expect(reached()).toBe(true);
    expect(await refreshDone()).toBe(false);

    h.slack.rateLimit('chat.update', 10_000, 1);
    await h.settle();
    expect(allText(approverMessage(h, PEOPLE.approver, decided!).message.blocks)).toMatch(/approved/i);
  });
});
