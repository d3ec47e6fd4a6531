import postgres from 'postgres';
import { HANG_GUARD_MS, until } from '../doubles/support/until.js';
import { startBenchEnv, stats, type BenchEnv } from './environment.js';
import { CpuMeter, type CpuShares } from './process-cpu.js';
import { seedEndingGrants } from './revocation.js';
import { fmt } from './support.js';

/**
 * A burst of expiries, with 1 and then 3 replicas of the bot on one database (expiry polling every
 * second on each): `grants` webhook grants seeded to end within `windowSeconds`, twice per replica
 * count. At Slack's default pacing: the time from the first end to the last removal at the target, the
 * revocation lag, where the CPU went and how many connections waited on the audit chain's lock. With
 * Slack's pacing lifted (so the paced message refreshes and App Home publishes go out in seconds, not
 * minutes: they wait, they cost the same statements): every statement the replicas sent from just
 * before the first end until the outbox was empty (expiry passes, removals, the requesters' notices,
 * message refreshes; BEGIN/COMMIT included; each replica's `access_db_statements_total`), per grant.
 * Both times check that each grant was ended exactly once (one `grant.expired` row, one removal).
 */
export interface ExpiryKnobs {
  grants: number;
  windowSeconds: number;
  counts: number[];
}

export interface Burst {
  /** First end → last removal at the target. */
  lastRemovedSeconds: number;
  lag: ReturnType<typeof stats>;
  /** Grants with exactly one `grant.expired` row and one `grant.revoked` delivery. */
  endedOnce: number;
  /** First end → last removal. */
  cpu: CpuShares;
}

export interface ExpiryRun {
  replicas: number;
  paced: Burst;
  unpaced: Burst & {
    /** Statements per grant, first end → outbox empty, and the replicas' idle polling over as long (per grant). */
    statementsPerGrant: number;
    idlePerGrant: number;
  };
}

export interface ExpiryFigures {
  knobs: ExpiryKnobs;
  runs: ExpiryRun[];
}

/** GOALS (issue 24): statements per expired grant, and seconds from the first end to the last removal. */
export const STATEMENTS_GOAL = 10;
export const LAST_REMOVED_GOAL_SECONDS = 5;

async function statementsSent(env: BenchEnv): Promise<number> {
  let total = 0;
  for (const bot of env.bots) {
    const text = await (await fetch(`${bot.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('access_db_statements_total '));
    if (!line) throw new Error(`replica ${bot.pid} exposes no access_db_statements_total`);
    total += Number(line.split(' ')[1]);
  }
  return total;
}

const seeded = (d: { type: string; grantId: string }) => d.type === 'grant.revoked' && d.grantId.startsWith('grt_rev');

async function burst(replicas: number, k: ExpiryKnobs, paced: boolean) {
  const env = await startBenchEnv({
    requesters: 50,
    replicas,
    env: {
      EXPIRY_INTERVAL_SECONDS: '1',
      ...(paced ? {} : { SLACK_UPDATES_PER_MINUTE: '10000', SLACK_HOME_PUBLISHES_PER_MINUTE: '10000' }),
    },
  });
  const sql = postgres(env.databaseUrl, { onnotice: () => {}, max: 1 });
  try {
    await new Promise((r) => setTimeout(r, 1500));
    const firstEnd = Date.now() + 4000;
    await seedEndingGrants(env.databaseUrl, k.grants, firstEnd, k.windowSeconds);
    // The replicas' idle polling (expiry, outbox lanes, lifecycle…) over the time left before the first end.
    const idleFrom = await statementsSent(env);
    const idleStart = performance.now();
    await new Promise((r) => setTimeout(r, Math.max(0, firstEnd - Date.now() - 300)));
    const idleRate = ((await statementsSent(env)) - idleFrom) / ((performance.now() - idleStart) / 1000);
    const before = await statementsSent(env);
    const started = performance.now();
    const meter = new CpuMeter(sql, { bots: env.bots.map((b) => b.pid), proxy: -1 });
    await meter.start();
    await until(
      () => env.target.deliveries.filter(seeded).length >= k.grants,
      `${k.grants} removals`,
      // A hang guard that grows with the window the removals are spread over.
      HANG_GUARD_MS + k.windowSeconds * 1000,
    );
    const cpu = await meter.stop();
    if (!paced) {
      // Then until every side effect (notices, message refreshes, App Home) is done.
      for (const deadline = Date.now() + 120_000; ;) {
        const [left] = await sql`select count(*)::int as n from outbox where done_at is null`;
        if (left!.n === 0) break;
        if (Date.now() > deadline) throw new Error(`${left!.n} outbox items still owed`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const statements = (await statementsSent(env)) - before;
    const seconds = (performance.now() - started) / 1000;
    const ends = new Map(
      (await sql`select id, expires_at from grants where id like 'grt_rev%'`).map((g) => [
        g.id as string,
        (g.expires_at as Date).getTime(),
      ]),
    );
    const removed = env.target.deliveries.filter(seeded);
    const removals = new Map<string, number>();
    for (const d of removed) removals.set(d.grantId, (removals.get(d.grantId) ?? 0) + 1);
    const expiredRows =
      await sql`select request_id, count(*)::int as n from audit_events where action = 'grant.expired' group by request_id`;
    const endedOnce = expiredRows.filter(
      (r) => r.n === 1 && removals.get((r.request_id as string).replace('req_', 'grt_')) === 1,
    ).length;
    return {
      lastRemovedSeconds: (Math.max(...removed.map((d) => d.at)) - firstEnd) / 1000,
      lag: stats(removed.map((d) => d.at - ends.get(d.grantId)!)),
      endedOnce,
      cpu,
      statementsPerGrant: statements / k.grants,
      idlePerGrant: (idleRate * seconds) / k.grants,
    };
  } finally {
    await sql.end();
    await env.stop();
  }
}

export async function benchExpiry(knobs: ExpiryKnobs): Promise<ExpiryFigures> {
  const runs: ExpiryRun[] = [];
  for (const replicas of knobs.counts)
    runs.push({ replicas, paced: await burst(replicas, knobs, true), unpaced: await burst(replicas, knobs, false) });
  return { knobs, runs };
}

const label = (r: ExpiryRun) => `${r.replicas} replica${r.replicas === 1 ? '' : 's'}`;

export function describeExpiry(f: ExpiryFigures): string[] {
  const { runs, knobs } = f;
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const row = (what: string, cell: (r: ExpiryRun) => string, goal: string) =>
    `| ${what} | ${runs.map(cell).join(' | ')} | ${goal} |`;
  const bots = (c: CpuShares) => c.seconds.filter(([g]) => g.startsWith('bot replica')).reduce((a, [, s]) => a + s, 0);
  const database = (c: CpuShares) => c.seconds.find(([g]) => g.startsWith('PostgreSQL backends'))?.[1] ?? 0;
  return [
    '## Expiry bursts',
    '',
    `${fmt(knobs.grants, 0)} webhook grants seeded to end within ${knobs.windowSeconds} s (bench/expiry.ts), the bot as ${runs.map((r) => r.replicas).join(' and then ')} processes on one database, expiry polling every second on each and waking at the next end; each configuration twice, on a fresh database: at Slack's default pacing (the times), and with the pacing lifted (\`SLACK_UPDATES_PER_MINUTE\` and \`SLACK_HOME_PUBLISHES_PER_MINUTE\` 10,000) so the outbox empties in seconds and its statements can be counted: paced, the message refreshes and App Home publishes wait minutes but cost the same statements. Statements: every statement the replicas sent (\`access_db_statements_total\`, BEGIN and COMMIT included) from just before the first end until the outbox was empty: expiry passes, removals at the target, the requesters' notices, message refreshes and App Home publishes, and the replicas' idle polling over the same time (shown apart).`,
    '',
    `| What | ${runs.map(label).join(' | ')} | Goal |`,
    `|---|${runs.map(() => '---|').join('')}---|`,
    row(
      'Statements per expired grant, first end → outbox empty (of it, idle polling)',
      (r) => `${fmt(r.unpaced.statementsPerGrant, 1)} (${fmt(r.unpaced.idlePerGrant, 1)})`,
      `≤ ${STATEMENTS_GOAL}: ${met(runs.every((r) => r.unpaced.statementsPerGrant <= STATEMENTS_GOAL))}`,
    ),
    row(
      `${fmt(knobs.grants, 0)} grants ending within ${knobs.windowSeconds} s → last removed at the target, from the first end (default Slack pacing)`,
      (r) => `${fmt(r.paced.lastRemovedSeconds, 1)} s`,
      `≤ ${LAST_REMOVED_GOAL_SECONDS} s: ${met(runs.every((r) => r.paced.lastRemovedSeconds <= LAST_REMOVED_GOAL_SECONDS))}`,
    ),
    row(
      'The same with Slack pacing lifted (the refreshes and App Home publishes compete for the CPU)',
      (r) => `${fmt(r.unpaced.lastRemovedSeconds, 1)} s`,
      '(no goal)',
    ),
    row(
      'Revocation lag in the burst, expires_at → target got `grant.revoked` (default pacing)',
      (r) => `p99 ${fmt(r.paced.lag.p99, 0)} ms (p50 ${fmt(r.paced.lag.p50, 0)} ms)`,
      '(no goal)',
    ),
    row(
      'Grants ended exactly once (one `grant.expired` row, one removal at the target), both runs',
      (r) => `${fmt(r.paced.endedOnce, 0)} and ${fmt(r.unpaced.endedOnce, 0)} of ${fmt(knobs.grants, 0)}`,
      `all: ${met(runs.every((r) => r.paced.endedOnce === knobs.grants && r.unpaced.endedOnce === knobs.grants))}`,
    ),
    row(
      "The bench database's connections waiting on the audit chain's advisory lock, mean of the samples, first end → last removal (default pacing)",
      (r) => `${fmt(r.paced.cpu.auditLockWaits, 2)} of ${fmt(r.paced.cpu.backends, 0)} connected`,
      '(no goal)',
    ),
    row(
      'CPU, first end → last removal (default pacing): bot replicas; PostgreSQL backends of the bench database; the machine busy',
      (r) =>
        `${fmt(bots(r.paced.cpu), 2)} s; ${fmt(database(r.paced.cpu), 2)} s; ${fmt(r.paced.cpu.machineBusy, 1)} of ${fmt(r.paced.cpu.machineCapacity, 1)} s`,
      '(no goal)',
    ),
    '',
  ];
}
