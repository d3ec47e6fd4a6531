import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { verifyAuditChain } from '../../src/services/audit-service.js';
import { SlackDriver, until } from '../../doubles/slack/driver.js';
import { FakeSlack } from '../../doubles/slack/fake-slack.js';
import { freePort, pidOfConnection, startBotProcess, type BotProcess } from '../support/bot-process.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { BOT_TOKEN, SIGNING_SECRET } from '../support/harness.js';
import { allText } from '../support/journey-steps.js';
import { faultSeed, prng, sleep } from '../support/seeded-random.js';
import { waitFor } from '../../doubles/support/until.js';
import { PEOPLE } from '../support/workspace.js';
import {
  startWebhookTarget,
  WEBHOOK_SECRET,
  type HeldDelivery,
  type WebhookTarget,
} from '../support/webhook-target.js';
import { startWorkspaceSlack } from '../support/workspace-slack.js';

/**
 * Three replicas of the bot on one PostgreSQL database, Slack's requests spread over them in turn (as a
 * load balancer would). One replica at a time is killed with SIGKILL while grants are provisioned and
 * while they expire: once at a random moment after an approval it received, once at a random moment
 * in the expiry window, and once each while it is inside a call to the target (the target holds that
 * call open, so the kill lands with the work in flight: its outbox item leased, its target call
 * unanswered). A killed replica comes back on its port a moment later. At the end every grant was
 * provisioned once and removed once, the audit chain verifies, every stored message shows the final
 * state, and the outbox is empty. The seed is printed; FAULT_SEED replays a run.
 */
const LIFECYCLES = 12;
const REPLICAS = 3;
/** Short, so the dead replica's leased items pass to the others within the test (production: 60 s). */
const LEASE_SECONDS = 10;
const SEED = faultSeed();
const random = prng(SEED);
const order = Array.from({ length: LIFECYCLES }, (_, i) => i).sort(() => random() - 0.5);
/** Lifecycles whose provisioning is hit: by a random kill of the approving replica, by a targeted one. */
const randomProvision = order[0]!;
const heldProvision = order[1]!;
/** The lifecycle whose removal is held in the target, and when (ms into the expiry window) the random kill lands. */
const heldExpiry = order[2]!;
const randomExpiryMs = Math.round(random() * 2500);

interface Replica {
  index: number;
  port: number;
  driver: SlackDriver;
  /** null while it is down. */
  bot: BotProcess | null;
  restarting: Promise<void> | null;
}

let db: TestDatabase;
let slack: FakeSlack;
let target: WebhookTarget;
let targetPort: number;
let sql: postgres.Sql;
let env: Record<string, string>;
const replicas: Replica[] = [];
const killLog: string[] = [];
const inFlight: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  slack = await startWorkspaceSlack();
  target = await startWebhookTarget();
  targetPort = Number(new URL(target.url).port);
  sql = postgres(db.url, { onnotice: () => {}, max: 2 });
  const dir = mkdtempSync(join(tmpdir(), 'access-replicas-'));
  const resources = [0, 1, 2].map(
    (n) =>
      `  - name: app-${n}\n    type: generic\n    tags: [apps]\n    provisioner: { type: webhook, url: "${target.url}", secret: "env:ACCESS_SECRET_HOOK_SECRET" }`,
  );
  writeFileSync(
    join(dir, 'access.yml'),
    `resources:\n${resources.join('\n')}\nflows:\n  - name: apps\n    resources: { tags: [apps] }\n    requesters: { users: [${PEOPLE.requester}] }\n    approvers: { users: [${PEOPLE.approver}] }\n    max_duration: 8h\n`,
  );
  env = {
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    DATABASE_URL: db.url,
    ACCESS_CONFIG: join(dir, 'access.yml'),
    ACCESS_ADMINS: PEOPLE.admin,
    EXPIRY_INTERVAL_SECONDS: '1',
    OUTBOX_LEASE_SECONDS: String(LEASE_SECONDS),
    ACCESS_SECRET_HOOK_SECRET: WEBHOOK_SECRET,
  };
  // One after the other: the first applies ACCESS_CONFIG to the database, the others find it applied.
  for (let index = 0; index < REPLICAS; index++) {
    const port = await freePort();
    const bot = await startBotProcess({ env, port });
    replicas.push({
      index,
      port,
      bot,
      restarting: null,
      driver: new SlackDriver({ eventsUrl: bot.eventsUrl, signingSecret: SIGNING_SECRET, slack }),
    });
  }
});

afterAll(async () => {
  await Promise.allSettled(replicas.map((r) => r.restarting));
  await Promise.all(replicas.map((r) => r.bot?.stop()));
  await sql?.end();
  await target?.stop();
  await slack?.stop();
  await db?.drop();
});

let turn = 0;
/** The next replica that is up, in turn. */
function nextReplica(): Replica {
  for (let n = 0; n < REPLICAS; n++) {
    const r = replicas[turn++ % REPLICAS]!;
    if (r.bot) return r;
  }
  throw new Error('no replica is up');
}

const restarts = () => Promise.all(replicas.map((r) => r.restarting));

/** SIGKILL (no shutdown hook runs); the replica comes back on its port a random moment later. */
async function kill(r: Replica, why: string) {
  const bot = r.bot!;
  r.bot = null;
  await bot.crash();
  killLog.push(`replica ${r.index} ${why} at ${new Date().toISOString().slice(14, 23)}`);
  r.restarting = (async () => {
    await sleep(random() * 1000);
    r.bot = await startBotProcess({ env, port: r.port });
    r.restarting = null;
  })();
}

/**
 * Kills the replica inside the held target call: found by its side of the connection. Restarting
 * replicas are waited for first, since one may have taken the work before it answered /healthz.
 */
async function killHolder(held: HeldDelivery, why: string) {
  await restarts();
  if (!held.aborted) {
    const live = replicas.filter((r) => r.bot);
    const pid = await pidOfConnection(
      held.remotePort,
      targetPort,
      live.map((r) => r.bot!.pid),
    );
    const holder = live.find((r) => r.bot!.pid === pid);
    if (!holder) throw new Error(`no replica holds the connection from port ${held.remotePort} (${why})`);
    await kill(holder, why);
  }
  // Gone with the process that made it: the call was in flight when the replica died.
  await until(() => held.aborted, `the held call of ${why} to be cut off`);
  inFlight.push(why);
}

/** Holds the first delivery `match` accepts from now on. */
function holdFirst(match: (d: { type: string; requestId: string }) => boolean) {
  let used = false;
  target.hold = (d) => (!used && match(d) ? (used = true) : false);
}

const justification = (i: number) => `RK-${i}: replica kill test`;
const requestOf = async (i: number) =>
  (await sql`select id, status from access_requests where justification = ${justification(i)}`)[0] as
    { id: string; status: string } | undefined;
const approverDm = (id: string) =>
  slack
    .dmsTo(PEOPLE.approver)
    .find((m) => JSON.stringify(m.blocks).includes(id) && JSON.stringify(m.blocks).includes('review.approve'));

/** The requester asks; a request that reached a dying replica is asked again, through the next one. */
async function submit(i: number): Promise<string> {
  for (let attempt = 0; attempt < 6; attempt++) {
    const existing = await requestOf(i);
    if (existing) return existing.id;
    slack.clearViews(PEOPLE.requester);
    await nextReplica()
      .driver.command(PEOPLE.requester, '/access', 'request')
      .catch(() => undefined);
    const modal = await until(() => slack.topView(PEOPLE.requester), 'the request modal').catch(() => null);
    if (!modal) continue;
    await nextReplica()
      .driver.submitView(PEOPLE.requester, modal.id, {
        'request.resources': [`app-${i % 3}`],
        'request.duration': '60',
        'request.justification': justification(i),
      })
      .catch(() => undefined);
  }
  throw new Error(`lifecycle ${i}: the request never went in`);
}

/** Approve… on one replica, the tuning modal submitted through the next; again if it did not take. */
async function approve(i: number, id: string) {
  let killed = false;
  for (let attempt = 0; attempt < 6; attempt++) {
    if ((await requestOf(i))?.status !== 'pending') return;
    const dm = await until(() => approverDm(id), `the approver's message about ${id}`);
    slack.clearViews(PEOPLE.approver);
    await nextReplica()
      .driver.clickButton(PEOPLE.approver, { channel: dm.channel, ts: dm.ts }, 'review.approve')
      .catch(() => undefined);
    const modal = await until(() => slack.topView(PEOPLE.approver), 'the tuning modal').catch(() => null);
    if (!modal) continue;
    const replica = nextReplica();
    const sent = replica.driver.submitView(PEOPLE.approver, modal.id, {}).catch(() => undefined);
    if (i === randomProvision && !killed) {
      killed = true;
      // The replica that took the decision kicks its own outbox at once: within a few ms it is
      // committing, or provisioning the grant it just wrote.
      await restarts();
      await sleep(random() * 80);
      await kill(replica, `after approving ${id}`);
    }
    await sent;
  }
  if ((await requestOf(i))?.status !== 'active')
    throw new Error(`lifecycle ${i}: never approved\n${await diagnose(id)}`);
}

/** What the database says about unfinished requests, for a failure message. */
async function diagnose(id?: string) {
  const rows =
    await sql`select r.id, r.justification, r.status, g.status as grant, (select json_agg(t.status) from grant_targets t where t.grant_id = g.id) as targets,
    (select json_agg(a.action order by a.id) from audit_events a where a.request_id = r.id) as audit,
    (select json_agg(json_build_object('topic', o.topic, 'done', o.done_at is not null, 'attempts', o.attempts, 'err', o.last_error) order by o.id) from outbox o where o.request_id = r.id) as outbox
    from access_requests r left join grants g on g.request_id = r.id where ${id ? sql`r.id = ${id}` : sql`r.status <> 'expired'`}`;
  const output = replicas.map((r) => `replica ${r.index}: ${(r.bot?.output ?? []).slice(-5).join('\n')}`);
  return `${JSON.stringify(rows)}\nkills: ${killLog.join(', ')}\n${output.join('\n')}`;
}

async function converged(what: string, query: () => Promise<boolean>) {
  await waitFor(query, what).catch(async (e: Error) => expect.fail(`${e.message}\n${await diagnose()}`));
}

describe(`${REPLICAS} replicas on one database, one killed at a time`, () => {
  it(`provision and remove each of ${LIFECYCLES} grants exactly once, and every message ends in the final state`, async () => {
    process.stderr.write(
      `[replica kill] FAULT_SEED=${SEED}: random kill after approving #${randomProvision}, held provisioning #${heldProvision}, held removal #${heldExpiry}, random kill ${randomExpiryMs} ms into the expiry window\n`,
    );
    const ids: string[] = [];
    for (let i = 0; i < LIFECYCLES; i++) ids.push(await submit(i));
    // Every request's messages out first: the kills are meant for provisioning and expiry.
    await converged(
      'the request messages sent',
      async () => (await sql`select count(*)::int as n from outbox where done_at is null`)[0]!.n === 0,
    );

    // Provisioning: every approval through the replicas in turn; two of them lose a replica.
    for (let i = 0; i < LIFECYCLES; i++) {
      if (i === heldProvision) holdFirst((d) => d.type === 'grant.activated' && d.requestId === ids[i]);
      await approve(i, ids[i]!);
      if (i === heldProvision) {
        const held = await until(
          () => target.held.find((h) => h.delivery.requestId === ids[i]),
          `the held provisioning of ${ids[i]}`,
        );
        target.hold = null;
        await killHolder(held, `while provisioning ${ids[i]}`);
      }
    }
    await converged(
      'every grant provisioned',
      async () =>
        (await sql`select count(*)::int as n from grant_targets where status = 'active'`)[0]!.n === LIFECYCLES,
    );

    // Expiry: every grant ends within the next ~2.5 s; the expiry job runs every second on each replica.
    await restarts();
    holdFirst((d) => d.type === 'grant.revoked' && d.requestId === ids[heldExpiry]);
    for (const id of ids)
      await sql`update grants set expires_at = now() + make_interval(secs => ${0.3 + random() * 2}) where request_id = ${id}`;
    await sleep(randomExpiryMs);
    await kill(replicas[Math.floor(random() * REPLICAS)]!, 'in the expiry window');
    const held = await until(
      () => target.held.find((h) => h.delivery.requestId === ids[heldExpiry]),
      `the held removal of ${ids[heldExpiry]}`,
    );
    target.hold = null;
    await killHolder(held, `while removing ${ids[heldExpiry]}`);
    await restarts();
    await converged('every grant expired and removed, the outbox empty', async () => {
      const [open] = await sql`select
        (select count(*)::int from access_requests where status <> 'expired') as requests,
        (select count(*)::int from grant_targets where status <> 'removed') as targets,
        (select count(*)::int from outbox where done_at is null) as outbox`;
      return open!.requests === 0 && open!.targets === 0 && open!.outbox === 0;
    });
    process.stderr.write(`[replica kill] kills: ${killLog.join('; ')}\n`);
    // Four kills, unless the random one in the expiry window already cut the held call off.
    expect(killLog.length).toBeGreaterThanOrEqual(3);
    expect(inFlight).toHaveLength(2);

    // Exactly once in the database: one request and one grant per lifecycle, one audit row per transition.
    const requests = await sql`select justification, count(*)::int as n from access_requests group by justification`;
    expect(requests).toHaveLength(LIFECYCLES);
    expect(requests.every((r) => r.n === 1)).toBe(true);
    const grants = await sql`select id, request_id from grants`;
    expect(grants).toHaveLength(LIFECYCLES);
    const audit =
      await sql`select request_id, action, count(*)::int as n from audit_events group by request_id, action`;
    for (const [i, id] of ids.entries()) {
      const actions = Object.fromEntries(
        audit.filter((a) => a.request_id === id).map((a) => [a.action as string, a.n as number]),
      );
      const expected = [
        'request.created',
        'request.approved',
        'grant.provisioned',
        'grant.expired',
        'grant.deprovisioned',
      ];
      if (!expected.every((a) => actions[a] === 1) || !Object.values(actions).every((n) => n === 1)) {
        expect.fail(
          `lifecycle ${i}: expected one audit row each of ${expected.join(', ')}, got ${JSON.stringify(actions)}\n${await diagnose(id)}`,
        );
      }
    }
    const chain = await openDatabase({ url: db.url });
    try {
      const report = await verifyAuditChain(chain.db);
      expect(report.ok, report.problem).toBe(true);
    } finally {
      await chain.close();
    }

    // Exactly once in the target: one activation and one removal message per grant (a resent call
    // carries the same webhook-id, which is how a receiver tells), and nothing left present.
    for (const g of grants) {
      expect(target.count('grant.activated', g.id as string), `activations of ${g.id}`).toBe(1);
      expect(target.count('grant.revoked', g.id as string), `removals of ${g.id}`).toBe(1);
    }
    expect(target.present().size).toBe(0);

    // No stale message: every message stored for a request shows it expired, with no button left.
    const messages = await sql`select request_id, role, channel, ts from slack_messages`;
    expect(messages.length).toBeGreaterThanOrEqual(2 * LIFECYCLES);
    for (const id of ids)
      expect(
        messages.filter((m) => m.request_id === id && m.role === 'approver'),
        `approver cards of ${id}`,
      ).toHaveLength(1);
    for (const m of messages) {
      const shown = slack.message(m.channel as string, m.ts as string);
      const text = allText(shown?.blocks);
      expect(text, `${m.role} message of ${m.request_id}`).toMatch(/the access expired|has expired/);
      expect(text).not.toMatch(/review\.(approve|deny)|request\.(release|extend|cancel|nudge)/);
    }
    const repeated = target.deliveries.length - 2 * LIFECYCLES;
    process.stderr.write(`[replica kill] target calls sent again after kills (same webhook-id): ${repeated}\n`);
  });
});
