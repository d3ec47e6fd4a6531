import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { verifyAuditChain } from '../../src/services/audit-service.js';
import { SlackDriver, until } from '../../doubles/slack/driver.js';
import { FakeSlack } from '../../doubles/slack/fake-slack.js';
import { HANG_GUARD_MS, waitFor } from '../../doubles/support/until.js';
import { startBotProcess, type BotProcess } from '../support/bot-process.js';
import { BOT_TOKEN, SIGNING_SECRET } from '../support/harness.js';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.js';
import { ACCESS_FILE, PEOPLE } from '../support/workspace.js';
import { startWorkspaceSlack } from '../support/workspace-slack.js';

/**
 * The database goes away for a while. The bot runs against a PostgreSQL server of this test's own, which
 * the test stops (fast shutdown: every connection cut) and starts again. Meanwhile people get a clear
 * "try again" sentence, /healthz says 503 at once (/livez stays 200), and afterwards the bot carries on by itself with
 * nothing half-written.
 */
const TRY_AGAIN = "I can't reach my database right now. Please try again in a minute.";

let pg: PrivatePostgres;
let slack: FakeSlack;
let bot: BotProcess;
let driver: SlackDriver;
let sql: postgres.Sql;

beforeAll(async () => {
  pg = await startPrivatePostgres();
  slack = await startWorkspaceSlack();
  const dir = mkdtempSync(join(tmpdir(), 'access-dbdown-'));
  writeFileSync(join(dir, 'access.yml'), ACCESS_FILE);
  bot = await startBotProcess({
    env: {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      DATABASE_URL: pg.url,
      ACCESS_CONFIG: join(dir, 'access.yml'),
      EXPIRY_INTERVAL_SECONDS: '1',
      OUTBOX_LEASE_SECONDS: '5',
    },
  });
  driver = new SlackDriver({ eventsUrl: bot.eventsUrl, signingSecret: SIGNING_SECRET, slack });
  // The test's own connection; it reconnects by itself once the server is back.
  sql = postgres(pg.url, { onnotice: () => {}, max: 1, connect_timeout: 2 });
});

afterAll(async () => {
  await bot?.stop();
  await sql?.end({ timeout: 1 }).catch(() => undefined);
  await slack?.stop();
  await pg?.destroy();
});

async function openRequestModal(user: string) {
  slack.clearViews(user);
  await driver.command(user, '/access', 'request');
  // Generous: right after the server comes back, pooled connections that died with it are replaced on
  // first use, which on a loaded 2-core CI machine can take a few seconds.
  return until(() => slack.topView(user), 'the request modal');
}

/** The next ephemeral reply `act` causes (through the response_url). */
async function replyTo(act: () => Promise<unknown>): Promise<string> {
  const before = slack.responses().length;
  await act();
  const reply = await until(() => slack.responses()[before], 'a reply');
  return String(reply.body.text);
}

async function health(): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  const res = await fetch(`${bot.url}/healthz`, { signal: AbortSignal.timeout(HANG_GUARD_MS) });
  return { status: res.status, ms: Date.now() - started };
}

const counts = async () =>
  (
    await sql`select (select count(*)::int from access_requests) as requests, (select count(*)::int from audit_events) as audit, (select count(*)::int from outbox) as outbox, (select count(*)::int from grants) as grants`
  )[0]!;

describe('the database goes away and comes back', () => {
  it('people are told to try again, /healthz says 503 while /livez says 200, and the bot recovers by itself', async () => {
    // What the bot said is the first thing to read when this fails on a loaded CI machine.
    onTestFailed(() => console.log(`bot output:\n${bot.output.slice(-40).join('\n')}`));
    // Working before: one request goes through.
    const modal = await openRequestModal(PEOPLE.requester);
    await driver.submitView(PEOPLE.requester, modal.id, {
      'request.resources': ['prod-db'],
      'request.duration': '60',
      'request.justification': 'DB-1: before the outage',
    });
    await until(() => slack.dmsTo(PEOPLE.approver).length > 0, "the approver's message");
    const before = await counts();
    // A form opened before the outage and submitted during it.
    const pendingForm = await openRequestModal(PEOPLE.requester);

    await pg.stop();
    try {
      const down = await health();
      // An answer, not a hang (the route's own 2 s timeout is src/http/health.test.ts's business).
      expect(down.status).toBe(503);
      expect(await replyTo(() => driver.command(PEOPLE.requester, '/access', 'request'))).toBe(TRY_AGAIN);
      expect(await replyTo(() => driver.command(PEOPLE.requester, '/access', 'list'))).toBe(TRY_AGAIN);
      const res = await driver.submitView(PEOPLE.requester, pendingForm.id, {
        'request.resources': ['prod-db'],
        'request.duration': '60',
        'request.justification': 'DB-2: during the outage',
      });
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.json)).toContain(TRY_AGAIN);
      // The process is still there, answering: the liveness probe's route says so (a restart would not help).
      expect((await health()).status).toBe(503);
      expect((await fetch(`${bot.url}/livez`, { signal: AbortSignal.timeout(HANG_GUARD_MS) })).status).toBe(200);
    } finally {
      await pg.start();
    }

    // Back by itself: no restart, the health check turns green and the next request goes through.
    const deadline = Date.now() + HANG_GUARD_MS;
    while ((await health()).status !== 200) {
      if (Date.now() > deadline) throw new Error(`the bot did not recover:\n${bot.output.slice(-15).join('\n')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await counts()).toEqual(before);
    const after = await openRequestModal(PEOPLE.requester);
    const res = await driver.submitView(PEOPLE.requester, after.id, {
      'request.resources': ['prod-db'],
      'request.duration': '60',
      'request.justification': 'DB-3: after the outage',
    });
    expect(res.json?.response_action).toBe('update');
    expect(JSON.stringify(res.json)).not.toContain(TRY_AGAIN);
    const [created] = await sql`select id from access_requests where justification like 'DB-3%'`;
    const approverDm = await until(
      () => slack.dmsTo(PEOPLE.approver).find((m) => JSON.stringify(m.blocks).includes(created!.id as string)),
      'the new request reaching the approver',
    );
    await driver.clickButton(PEOPLE.approver, approverDm, 'review.approve');
    const tuning = await until(() => slack.topView(PEOPLE.approver), 'the tuning modal');
    await driver.submitView(PEOPLE.approver, tuning.id, {});
    await waitFor(
      async () => (await sql`select status from access_requests where id = ${created!.id}`)[0]?.status === 'active',
      'the approval',
    );

    // Nothing half-written: every request has its audit row and its announcement, every approval its
    // grant, the outbox drains, and the hash chain is whole.
    expect(
      await sql`select r.id from access_requests r where not exists (select 1 from audit_events a where a.request_id = r.id and a.action = 'request.created')`,
    ).toHaveLength(0);
    expect(
      await sql`select r.id from access_requests r where not exists (select 1 from outbox o where o.request_id = r.id and o.topic = 'request.created')`,
    ).toHaveLength(0);
    expect(
      await sql`select r.id from access_requests r where r.status = 'active' and not exists (select 1 from grants g where g.request_id = r.id)`,
    ).toHaveLength(0);
    expect(await sql`select id from access_requests where justification like 'DB-2%'`).toHaveLength(0);
    // An item the outbox had claimed when the database went away could not be released (its retry was
    // a write to the database that was gone): it waits out its lease (5 s here, 60 s by default) first.
    await waitFor(
      async () => (await sql`select count(*)::int as n from outbox where done_at is null`)[0]!.n === 0,
      'the outbox to drain',
    );
    const chain = await openDatabase({ url: pg.url });
    try {
      expect((await verifyAuditChain(chain.db)).ok).toBe(true);
    } finally {
      await chain.close();
    }
  });
});
