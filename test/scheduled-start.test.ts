import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryProvisioner } from '../src/provisioners/memory/memory-provisioner.js';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approve, approverMessage, statusOf } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

const memory = createMemoryProvisioner();
const accessFile = `
resources:
  - name: app-one
    type: generic
    tags: [production]
    provisioner: { type: memory }
flows:
  - name: support-prod
    resources: { tags: [production] }
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

const unix = (minutesFromNow: number) => Math.floor(h.clock.now().getTime() / 1000) + minutesFromNow * 60;

/** `/access request`, then the form with a "Start at" (Unix seconds, as the datetimepicker sends it). */
async function requestWithStart(start: number | null) {
  h.slack.clearViews(PEOPLE.requester);
  await h.driver.command(PEOPLE.requester, '/access', 'request app-one');
  const modal = await until(() => h.slack.topView(PEOPLE.requester), 'the request modal');
  const res = await h.driver.submitView(PEOPLE.requester, modal.id, {
    'request.resources': ['app-one'],
    'request.duration': '60',
    'request.justification': 'CHG-9: the migration window',
    ...(start !== null ? { 'request.start': String(start) } : {}),
  });
  h.slack.clearViews(PEOPLE.requester);
  await h.settle();
  return { modal, res };
}

const decide = () => h.app.services.authorizationIndex.decide(PEOPLE.requester, 'app-one');
const tick = async (minutes: number) => {
  h.clock.advance(minutes);
  await h.app.jobs.lifecycleNow();
  await h.settle();
};

describe('the request form', () => {
  it('offers an optional "Start at" date-time picker', async () => {
    await h.driver.command(PEOPLE.requester, '/access', 'request');
    const modal = await until(() => h.slack.topView(PEOPLE.requester), 'the request modal');
    h.slack.clearViews(PEOPLE.requester);
    const block = (modal.view.blocks as { block_id?: string; optional?: boolean; element?: { type: string } }[]).find(
      (b) => b.block_id === 'request.start',
    );
    expect(block).toMatchObject({ optional: true, element: { type: 'datetimepicker' } });
  });

  it('refuses a start in the past or more than 30 days ahead, under the field', async () => {
    for (const [start, text] of [
      [unix(-5), 'in the future'],
      [unix(31 * 1440), 'at most 30 days'],
    ] as const) {
      const { res } = await requestWithStart(start);
      expect(res.json?.response_action).toBe('errors');
      expect(res.json.errors['request.start']).toContain(text);
    }
    expect((await h.sql`select count(*)::int as n from access_requests`)[0]!.n).toBe(0);
  });
});

describe('a scheduled request approved now', () => {
  let id: string;
  let grantId: string;
  let startsAt: number;

  it('is stored with its start, shown to the approver, and granted from the start for the full duration', async () => {
    startsAt = unix(120);
    await requestWithStart(startsAt);
    [{ id }] = (await h.sql`select id from access_requests order by created_at desc limit 1`) as unknown as [
      { id: string },
    ];
    const [request] = await h.sql`select starts_at from access_requests where id = ${id}`;
    expect((request!.starts_at as Date).getTime()).toBe(startsAt * 1000);
    expect(allText(approverMessage(h, PEOPLE.approver, id).message.blocks)).toContain(`*Starts*\\n<!date^${startsAt}^`);

    await approve(h, PEOPLE.approver, id);
    expect(await statusOf(h, id)).toBe('active');
    const [grant] = await h.sql`select id, starts_at, expires_at from grants where request_id = ${id}`;
    grantId = grant!.id as string;
    expect((grant!.starts_at as Date).getTime()).toBe(startsAt * 1000);
    expect((grant!.expires_at as Date).getTime()).toBe((startsAt + 3600) * 1000);
    const notice = h.slack.dmsTo(PEOPLE.requester).find((m) => allText(m.blocks).includes('approved your request'))!;
    expect(allText(notice.blocks)).toContain(`starts <!date^${startsAt}^`);
    expect(allText(approverMessage(h, PEOPLE.approver, id).message.blocks)).toContain(
      `Access starts <!date^${startsAt}^`,
    );
  });

  it('is neither provisioned nor authorized before its start', async () => {
    // The provisioning item waits in the outbox until the start.
    const [item] =
      await h.sql`select available_at, done_at from outbox where topic = 'grant.provision' and payload->>'grantId' = ${grantId}`;
    expect((item!.available_at as Date).getTime()).toBe(startsAt * 1000);
    expect(item!.done_at).toBeNull();
    await h.app.services.authorizationIndex.reloadAll();
    await tick(119);
    expect(memory.has(grantId, 'app-one')).toBe(false);
    expect(memory.calls.filter((c) => c.grantId === grantId)).toHaveLength(0);
    expect(decide()).toMatchObject({ allowed: false });
    expect(h.app.services.authorizationIndex.list().some((g) => g.id === grantId)).toBe(false);
  });

  it('is provisioned and authorized once its start comes (by the bot clock)', async () => {
    await tick(1);
    expect(memory.has(grantId, 'app-one')).toBe(true);
    expect(decide()).toMatchObject({ allowed: true, grant: { id: grantId } });
    const ready = h.slack.dmsTo(PEOPLE.requester).find((m) => allText(m.blocks).includes('is ready'));
    expect(ready).toBeDefined();
    const actions = (await h.sql`select action from audit_events where request_id = ${id} order by id`).map(
      (r) => r.action,
    );
    expect(actions).toContain('grant.provisioned');
  });

  it('expires as before, at start + duration', async () => {
    await tick(59);
    expect(await statusOf(h, id)).toBe('active');
    h.clock.advance(1);
    await h.app.jobs.expireNow();
    await h.settle();
    expect(await statusOf(h, id)).toBe('expired');
    expect(memory.has(grantId, 'app-one')).toBe(false);
    expect(decide()).toMatchObject({ allowed: false });
  });
});

describe('a scheduled start that passed before the approval', () => {
  it('starts at approval and is provisioned at once', async () => {
    await requestWithStart(unix(30));
    const [{ id }] = (await h.sql`select id from access_requests order by created_at desc limit 1`) as unknown as [
      { id: string },
    ];
    h.clock.advance(45);
    await approve(h, PEOPLE.approver, id);
    const [grant] = await h.sql`select id, starts_at, expires_at from grants where request_id = ${id}`;
    expect((grant!.expires_at as Date).getTime() - (grant!.starts_at as Date).getTime()).toBe(3600_000);
    expect((grant!.starts_at as Date).getTime()).toBeGreaterThan(unix(-1) * 1000);
    expect(memory.has(grant!.id as string, 'app-one')).toBe(true);
  });
});
