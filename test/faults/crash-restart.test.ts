import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { verifyAuditChain } from '../../src/services/audit-service.js';
import { SlackDriver, until } from '../../doubles/slack/driver.js';
import { FakeSlack } from '../../doubles/slack/fake-slack.js';
import { HANG_GUARD_MS, waitFor } from '../../doubles/support/until.js';
import { freePort, startBotProcess, type BotProcess } from '../support/bot-process.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { faultSeed, prng, sleep } from '../support/seeded-random.js';
import { BOT_TOKEN, SIGNING_SECRET } from '../support/harness.js';
import { allText } from '../support/journey-steps.js';
import { PEOPLE } from '../support/workspace.js';
import { startWebhookTarget, WEBHOOK_SECRET, type WebhookTarget } from '../support/webhook-target.js';
import { startWorkspaceSlack } from '../support/workspace-slack.js';

/**
 * The bot is killed with SIGKILL (no shutdown hook runs) at random points of many request lifecycles:
 * during a submission, an approval, the provisioning that follows it, and the end of the grant. After
 * each kill a new process starts on the same database, and the people simply carry on (retrying what
 * Slack told them failed). At the end nothing may be lost or doubled, every grant is gone from its
 * target, and every message shows the final state. The seed is printed; FAULT_SEED replays a run.
 */
const LIFECYCLES = 12;
const LEASE_SECONDS = 5;
const KILLS = 6;
const SEED = faultSeed();
const random = prng(SEED);
type Phase = 'submit' | 'approve' | 'provision' | 'end';
const PHASES: Phase[] = ['submit', 'approve', 'provision', 'end'];

/** KILLS points in distinct lifecycles, spread over every phase. */
const killAt = new Set<string>();
const lifecycles = Array.from({ length: LIFECYCLES }, (_, i) => i).sort(() => random() - 0.5);
for (let k = 0; k < KILLS; k++) killAt.add(`${lifecycles[k]}:${PHASES[k % PHASES.length]}`);

let db: TestDatabase;
let slack: FakeSlack;
let target: WebhookTarget;
let sql: postgres.Sql;
let bot: BotProcess;
let driver: SlackDriver;
let env: Record<string, string>;
let port: number;
let kills = 0;
const killLog: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  slack = await startWorkspaceSlack();
  target = await startWebhookTarget();
  sql = postgres(db.url, { onnotice: () => {}, max: 2 });
  const dir = mkdtempSync(join(tmpdir(), 'access-crash-'));
  const resources = [0, 1, 2].map(
    (n) =>
      `  - name: app-${n}\n    type: generic\n    tags: [apps]\n    provisioner: { type: webhook, url: "${target.url}", secret: "env:ACCESS_SECRET_HOOK_SECRET" }`,
  );
  writeFileSync(
    join(dir, 'access.yml'),
    `resources:\n${resources.join('\n')}\nflows:\n  - name: apps\n    resources: { tags: [apps] }\n    requesters: { users: [${PEOPLE.requester}] }\n    approvers: { users: [${PEOPLE.approver}] }\n    max_duration: 8h\n`,
  );
  port = await freePort();
  env = {
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    DATABASE_URL: db.url,
    ACCESS_CONFIG: join(dir, 'access.yml'),
    ACCESS_ADMINS: PEOPLE.admin,
    EXPIRY_INTERVAL_SECONDS: '1',
    // A killed process keeps the outbox items it had claimed until their lease runs out; the next one
    // takes them over only then. A short lease keeps that wait within the convergence deadline below.
    OUTBOX_LEASE_SECONDS: String(LEASE_SECONDS),
    // At Slack's real pace (50 updates a minute) twelve lifecycles' message refreshes take longer than the
    // deadline: what is tested here is that nothing is lost or doubled, not how fast Slack lets the bot
    // write (bench/approval-lanes.ts measures that).
    SLACK_UPDATES_PER_MINUTE: '1000',
    SLACK_HOME_PUBLISHES_PER_MINUTE: '1000',
    ACCESS_SECRET_HOOK_SECRET: WEBHOOK_SECRET,
  };
  bot = await startBotProcess({ env, port });
  driver = new SlackDriver({ eventsUrl: bot.eventsUrl, signingSecret: SIGNING_SECRET, slack });
});

afterAll(async () => {
  await bot?.stop();
  await sql?.end();
  await target?.stop();
  await slack?.stop();
  await db?.drop();
});

/** SIGKILL now, then a new process on the same port and database. */
async function crashAndRestart() {
  await bot.crash();
  kills += 1;
  killLog.push(new Date().toISOString().slice(14, 23));
  // A dead worker's outbox leases run for 60 s before another worker may take its items; end them now
  // instead of waiting (the same as a minute passing: only the dead process held them). Before the new
  // process starts, so no live worker's lease is cut short.
  await sql`update outbox set locked_until = null where done_at is null`;
  bot = await startBotProcess({ env, port });
}

/** Runs `act` and, at a planned kill point, kills the bot a random few milliseconds after it started. */
async function maybeKill(i: number, phase: Phase, act: () => Promise<unknown>, windowMs: number) {
  if (!killAt.has(`${i}:${phase}`)) return act().catch(() => undefined);
  killAt.delete(`${i}:${phase}`);
  const running = act().catch(() => undefined);
  await sleep(random() * windowMs);
  await crashAndRestart();
  return running;
}

const justification = (i: number) => `LC-${i}: crash test`;
const requestOf = async (i: number) =>
  (await sql`select id, status from access_requests where justification = ${justification(i)}`)[0] as
    { id: string; status: string } | undefined;

/** The requester asks; if Slack showed them an error (the bot died), they look and ask again. */
async function submit(i: number): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await requestOf(i);
    if (existing) return existing.id;
    slack.clearViews(PEOPLE.requester);
    await driver.command(PEOPLE.requester, '/access', 'request').catch(() => undefined);
    const modal = await until(() => slack.topView(PEOPLE.requester), 'the request modal').catch(() => null);
    if (!modal) continue;
    await maybeKill(
      i,
      'submit',
      () =>
        driver.submitView(PEOPLE.requester, modal.id, {
          'request.resources': [`app-${i % 3}`],
          'request.duration': '60',
          'request.justification': justification(i),
        }),
      40,
    );
  }
  throw new Error(`lifecycle ${i}: the request never went in`);
}

const approverDm = (id: string) =>
  slack
    .dmsTo(PEOPLE.approver)
    .find((m) => JSON.stringify(m.blocks).includes(id) && JSON.stringify(m.blocks).includes('review.approve'));

async function approve(i: number, id: string) {
  for (let attempt = 0; attempt < 5; attempt++) {
    // Approved by an earlier attempt (its answer lost to a kill): still wait for the activation below.
    if ((await requestOf(i))?.status !== 'pending') break;
    const dm = await until(() => approverDm(id), `the approver's message about ${id}`);
    slack.clearViews(PEOPLE.approver);
    await driver
      .clickButton(PEOPLE.approver, { channel: dm.channel, ts: dm.ts }, 'review.approve')
      .catch(() => undefined);
    const modal = await until(() => slack.topView(PEOPLE.approver), 'the tuning modal').catch(() => null);
    if (!modal) continue;
    // A kill in 'provision' lands just after the decision committed, while the grant is being provisioned.
    const phase: Phase = killAt.has(`${i}:approve`) ? 'approve' : 'provision';
    await maybeKill(i, phase, () => driver.submitView(PEOPLE.approver, modal.id, {}), phase === 'approve' ? 40 : 60);
  }
  if ((await requestOf(i))?.status !== 'active') throw new Error(`lifecycle ${i}: never approved`);
  // The requester uses the access before it ends: wait until the target has it.
  const [grant] = await sql`select id from grants where request_id = ${id}`;
  await until(() => target.count('grant.activated', grant!.id as string) > 0, `activation of ${id}`);
}

/** Even lifecycles are revoked by the approver; odd ones run out (their end moved to the next second). */
async function end(i: number, id: string) {
  if (i % 2 === 0) {
    for (let attempt = 0; attempt < 5 && (await requestOf(i))?.status === 'active'; attempt++) {
      // Like a person: send the command, read the answer, and send it again only if it did not work.
      const before = slack.responses().length;
      await maybeKill(i, 'end', () => driver.command(PEOPLE.approver, '/access', `revoke ${id}`), 40);
      await until(() => slack.responses()[before], 'the answer to revoke').catch(() => null);
    }
  } else {
    await sql`update grants set expires_at = now() + make_interval(secs => ${0.2 + random()}) where request_id = ${id}`;
    // The expiry job runs every second: a kill within the next 1.5 s may land in the middle of it.
    if (killAt.has(`${i}:end`)) await maybeKill(i, 'end', () => Promise.resolve(), 1500);
  }
}

/** What the database says about unfinished requests, for a failure message. */
async function diagnose(id?: string) {
  const rows =
    await sql`select r.id, r.justification, r.status, g.status as grant, g.expires_at, (select json_agg(t.status) from grant_targets t where t.grant_id = g.id) as targets,
    (select json_agg(a.action || ' ' || to_char(a.created_at, 'MI:SS.MS') order by a.id) from audit_events a where a.request_id = r.id) as audit,
    (select json_agg(json_build_object('topic', o.topic, 'done', o.done_at is not null, 'attempts', o.attempts, 'err', o.last_error) order by o.id) from outbox o where o.request_id = r.id) as outbox
    from access_requests r left join grants g on g.request_id = r.id where ${id ? sql`r.id = ${id}` : sql`r.status not in ('expired', 'revoked')`}`;
  const owed = id
    ? []
    : await sql`select id, topic, request_id, attempts, last_error, to_char(locked_until, 'MI:SS.MS') as locked_until, to_char(available_at, 'MI:SS.MS') as available_at from outbox where done_at is null`;
  const hooks = target.deliveries
    .filter((d) => rows.some((r) => r.id === d.requestId))
    .map((d) => `${d.type} ${new Date(d.at).toISOString().slice(14, 23)}`);
  const replies = slack.responses().map((r) => JSON.stringify(r.body).slice(0, 160));
  return `${JSON.stringify(rows)}\noutbox owed: ${JSON.stringify(owed)}\nreplies: ${replies.slice(-12).join('\n')}\nwebhook: ${hooks.join(', ')}\nkills: ${killLog.join(', ')}`;
}

// It used to fail now and then on a loaded machine: when an approval's answer was lost to a kill and
// the retry found the request already active, the test went on without waiting for the activation,
// and its revoke could land before the grant was provisioned (then, rightly, it never is: no
// grant.provisioned row). FAULT_SEED=909 under load reproduced it. Not retried: a retry would run on
// the first attempt's leftovers and prove nothing.
describe('the bot killed with SIGKILL at random points', () => {
  it(`loses and doubles nothing over ${LIFECYCLES} lifecycles and ${KILLS} kills, and converges`, async () => {
    process.stderr.write(`[crash test] FAULT_SEED=${SEED} kill points: ${[...killAt].join(', ')}\n`);
    const repeated = { notices: 0, ready: 0, webhooks: 0 };
    const ids: string[] = [];
    const t0 = Date.now();
    for (let i = 0; i < LIFECYCLES; i++) ids.push(await submit(i));
    const t1 = Date.now();
    for (let i = 0; i < LIFECYCLES; i++) await approve(i, ids[i]!);
    const t2 = Date.now();
    for (let i = 0; i < LIFECYCLES; i++) await end(i, ids[i]!);
    process.stderr.write(`[crash test] submit ${t1 - t0} ms, approve ${t2 - t1} ms, end ${Date.now() - t2} ms\n`);
    expect(kills).toBe(KILLS);

    // Converged: every request ended, its target cleared, the outbox empty.
    const deadline = Date.now() + HANG_GUARD_MS + LEASE_SECONDS * 1000;
    for (;;) {
      const open = await sql`select
        (select count(*)::int from access_requests where status not in ('expired', 'revoked')) as requests,
        (select count(*)::int from grant_targets where status <> 'removed') as targets,
        (select count(*)::int from outbox where done_at is null) as outbox`;
      if (open[0]!.requests === 0 && open[0]!.targets === 0 && open[0]!.outbox === 0) break;
      if (Date.now() > deadline)
        throw new Error(
          `did not converge: ${JSON.stringify(open[0])}\n${await diagnose()}\n${bot.output.slice(-10).join('\n')}`,
        );
      await sleep(200);
    }

    // Nothing lost or doubled: one request per lifecycle, one grant each, one audit row per transition.
    const requests = await sql`select justification, count(*)::int as n from access_requests group by justification`;
    expect(requests).toHaveLength(LIFECYCLES);
    expect(requests.every((r) => r.n === 1)).toBe(true);
    const grants = await sql`select g.id, g.request_id, g.status from grants g`;
    expect(grants).toHaveLength(LIFECYCLES);
    const audit =
      await sql`select request_id, action, count(*)::int as n from audit_events group by request_id, action`;
    for (const [i, id] of ids.entries()) {
      const actions = Object.fromEntries(
        audit.filter((a) => a.request_id === id).map((a) => [a.action as string, a.n as number]),
      );
      const ended = i % 2 === 0 ? 'grant.revoked' : 'grant.expired';
      const expected = ['request.created', 'request.approved', ended, 'grant.provisioned', 'grant.deprovisioned'];
      const exact = expected.every((a) => actions[a] === 1) && Object.values(actions).every((n) => n === 1);
      if (!exact)
        expect.fail(
          `lifecycle ${i}: expected one audit row each of ${expected.join(', ')}, got ${JSON.stringify(actions)}\n${await diagnose(id)}`,
        );
    }
    const chain = await openDatabase({ url: db.url });
    try {
      const report = await verifyAuditChain(chain.db);
      expect(report.ok, report.problem).toBe(true);
    } finally {
      await chain.close();
    }

    // Every grant that should have ended is gone from the target; each was activated (and removed) once.
    expect(target.present().size).toBe(0);
    for (const g of grants) {
      expect(target.count('grant.activated', g.id as string)).toBe(1);
      expect(target.count('grant.revoked', g.id as string)).toBe(1);
    }

    // Every message about a request shows its final state: no button left to press on an ended grant.
    for (const [i, id] of ids.entries()) {
      const about = [...slack.dmsTo(PEOPLE.approver), ...slack.dmsTo(PEOPLE.requester)].filter((m) =>
        allText(m.blocks).includes(id),
      );
      const requestMessages = about.filter((m) => allText(m.blocks).includes('Approved by'));
      expect(requestMessages.length, `messages of ${id}`).toBeGreaterThanOrEqual(2);
      for (const m of requestMessages) {
        expect(allText(m.blocks)).toMatch(i % 2 === 0 ? /revoked by/ : /expired/);
        expect(allText(m.blocks)).not.toContain('review.approve');
      }
      const approverCards =
        await sql`select count(*)::int as n from slack_messages where request_id = ${id} and role = 'approver'`;
      expect(approverCards[0]!.n).toBe(1);
      // The requester heard of the approval and of the end: at least once each (delivery is at least
      // once, ADR 0002: a notice Slack took in the instant before a kill is sent again).
      const notices = slack
        .dmsTo(PEOPLE.requester)
        .filter(
          (m) =>
            allText(m.blocks).includes(id) &&
            !allText(m.blocks).includes('Approved by') &&
            !m.text.includes('is ready'),
        );
      expect(notices.length, `notices of ${id}`).toBeGreaterThanOrEqual(2);
      repeated.notices += notices.length - 2;
      // "Access ready" is owed until Slack takes it: never lost to a kill, at worst sent twice.
      const ready = slack
        .dmsTo(PEOPLE.requester)
        .filter((m) => m.text.includes('is ready') && m.text.includes(id)).length;
      expect(ready, `"access ready" DMs of ${id}`).toBeGreaterThanOrEqual(1);
      repeated.ready += ready - 1;
    }
    repeated.webhooks = target.deliveries.length - 2 * LIFECYCLES;
    process.stderr.write(`[crash test] repeated or missing after kills: ${JSON.stringify(repeated)}\n`);
  });
});

describe('a target that is down for a while', () => {
  // The in-process version, with backoff and the "keeps failing" messages, is in test/provisioning.test.ts.
  const retryNow = () => sql`update outbox set available_at = now() where done_at is null and topic like 'grant.%'`;

  it('grants are provisioned, and revoked, once it is back', async () => {
    target.down = true;
    const id = await submit(100);
    await approve(100, id).catch(() => undefined); // approved; the activation it waits for cannot come
    const [grant] = await sql`select id from grants where request_id = ${id}`;
    await waitFor(
      async () => (await sql`select attempts from grant_targets where grant_id = ${grant!.id}`)[0]!.attempts >= 1,
      'a failed attempt',
    );
    expect(target.count('grant.activated', grant!.id as string)).toBe(0);
    target.down = false;
    await retryNow();
    await until(
      () => target.count('grant.activated', grant!.id as string) === 1,
      'the activation once the target is back',
    );

    target.down = true;
    const refused = target.refused;
    await driver.command(PEOPLE.approver, '/access', `revoke ${id}`);
    await until(() => target.refused > refused, 'a refused removal');
    expect(target.present().has(`${grant!.id}/app-1`)).toBe(true);
    target.down = false;
    await retryNow();
    await until(() => !target.present().has(`${grant!.id}/app-1`), 'the removal once the target is back');
    // The audit row follows the target's answer (same transaction as the target's status).
    await waitFor(
      async () =>
        (await sql`select 1 from grant_targets where grant_id = ${grant!.id} and status = 'removed'`).length === 1,
      'the removal recorded',
    );
    const actions = (await sql`select action from audit_events where request_id = ${id} order by id`).map(
      (r) => r.action as string,
    );
    expect(actions.filter((a) => a === 'grant.provision_attempt_failed').length).toBeGreaterThanOrEqual(1);
    expect(actions.filter((a) => a === 'grant.deprovision_attempt_failed').length).toBeGreaterThanOrEqual(1);
    expect(actions.filter((a) => a === 'grant.provisioned' || a === 'grant.deprovisioned')).toEqual([
      'grant.provisioned',
      'grant.deprovisioned',
    ]);
  });
});
