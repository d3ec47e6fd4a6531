import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type SQL } from 'drizzle-orm';
import { openDatabase, type Db } from '../src/db/client.js';
import { createAuditViewService } from '../src/services/audit-view-service.js';
import type { ServiceDeps } from '../src/services/deps.js';
import { until } from '../doubles/slack/driver.js';
import { rssMiB } from '../test/support/bot-process.js';
import { WEBHOOK_SECRET } from '../test/support/webhook-target.js';
import { nextCall, nowMs, requesterIds, startBenchEnv, startFloor, stats } from './environment.js';
import { benchDatabase, fmt } from './support.js';

/**
 * Reads at scale: `resources` resources, `requests` requests and `audit` audit events in PostgreSQL
 * (or in the embedded default's server, at a size that suits it),
 * generated with INSERT … SELECT generate_series. The audit rows carry placeholder hashes (the chain is
 * not valid over them): this measures reads, and hashing a million rows one by one would only measure
 * the generator. Timed as Slack sees it (type-ahead, App Home) or in process (one request's trail),
 * each beside its floor; the bot's memory (RSS) idle and at its peak under that load.
 */
export interface ScaleSizes {
  resources: number;
  requests: number;
  audit: number;
}
type S = ReturnType<typeof stats>;
export interface ScaleFigures {
  kind: ScaleDatabase;
  sizes: ScaleSizes;
  seedSeconds: number;
  typeahead: S;
  typeaheadFloor: S;
  home: S;
  homeFloor: S;
  trail: S;
  trailFloor: S;
  rssIdle: number;
  rssPeak: number;
}

const USERS = 2000;

/** Generates the data set in the database itself (INSERT … SELECT generate_series), on either driver. */
export async function seed(db: Db, s: ScaleSizes) {
  const perRequest = Math.max(1, Math.round(s.audit / s.requests));
  const run = (query: SQL) => db.execute(query);
  await run(sql`insert into resources (id, name, type, tags, description, managed_by)
    select 'res_s' || lpad(i::text, 6, '0'), 'res-' || lpad(i::text, 5, '0'), (array['ssh','database','kubernetes','http','generic'])[1 + i % 5],
      jsonb_build_array('team-' || (i % 10), case when i % 3 = 0 then 'production' else 'staging' end), 'Resource number ' || i, 'app'
    from generate_series(0, ${s.resources - 1}) i`);
  await run(sql`insert into flows (id, name, resource_tags, requester_everyone, approver_users, max_duration_minutes)
    select 'flw_team' || t, 'team-' || t, jsonb_build_array('team-' || t), true, '["U0APPR"]'::jsonb, 480 from generate_series(0, 9) t`);
  // The first 50 of USERS are the bench's Slack users (U0B000…): each has requests/USERS requests.
  await run(sql`insert into access_requests (id, requester_id, flow_id, flow_name, status, justification, duration_minutes, notified_approvers, created_at, decided_at, decided_by, ended_at)
    select 'req_s' || lpad(i::text, 8, '0'),
      case when i % ${USERS} < 50 then 'U0B' || lpad((i % ${USERS})::text, 3, '0') else 'U2' || lpad((i % ${USERS})::text, 5, '0') end,
      'flw_team' || (i % ${s.resources} % 10), 'team-' || (i % ${s.resources} % 10),
      case when i % 100 = 0 then 'pending' when i % 100 < 3 then 'active' when i % 100 < 11 then 'denied' else 'expired' end,
      'INC-' || i || ': generated for the benchmark', 60, '["U0APPR"]'::jsonb, now() - i * interval '30 seconds',
      case when i % 100 = 0 then null else now() - i * interval '30 seconds' + interval '5 minutes' end,
      case when i % 100 = 0 then null else 'U0APPR' end,
      case when i % 100 < 3 then null else now() - i * interval '30 seconds' + interval '65 minutes' end
    from generate_series(0, ${s.requests - 1}) i`);
  await run(sql`insert into request_resources (request_id, position, resource_id, name, type)
    select 'req_s' || lpad(i::text, 8, '0'), 0, 'res_s' || lpad((i % ${s.resources})::text, 6, '0'), 'res-' || lpad((i % ${s.resources})::text, 5, '0'), (array['ssh','database','kubernetes','http','generic'])[1 + (i % ${s.resources}) % 5]
    from generate_series(0, ${s.requests - 1}) i`);
  await run(sql`insert into grants (id, request_id, requester_id, policy, approved_by, status, starts_at, expires_at, ended_at)
    select 'grt_s' || substr(r.id, 6), r.id, r.requester_id, jsonb_build_object('durationMinutes', 60, 'resources', jsonb_build_array(jsonb_build_object('type', 'generic', 'resource', rr.name))),
      'U0APPR', case when r.status = 'active' then 'active' else 'expired' end, r.decided_at,
      case when r.status = 'active' then now() + interval '8 hours' else r.decided_at + interval '1 hour' end, r.ended_at
    from access_requests r join request_resources rr on rr.request_id = r.id where r.status in ('active', 'expired')`);
  await run(sql`insert into audit_events (request_id, actor, action, details, created_at, prev_hash, hash)
    select 'req_s' || lpad((n / ${perRequest})::text, 8, '0'), 'system',
      (array['request.created', 'request.approved', 'grant.provisioned', 'session.started', 'session.ended', 'grant.expired', 'grant.deprovisioned', 'request.viewed', 'grant.warned', 'request.note'])[1 + n % ${perRequest} % 10],
      jsonb_build_object('n', n), now() - (n / ${perRequest}) * interval '30 seconds' + (n % ${perRequest}) * interval '1 second', 'bench-placeholder', 'bench-placeholder'
    from generate_series(0, ${s.audit - 1}) n`);
  // Vacuum now, so autovacuum does not wake in the middle of the measurements after a million inserts.
  await run(sql`vacuum analyze`);
}

/** Where the data lives: the bench's PostgreSQL server, or the embedded server the bot starts by default. */
export type ScaleDatabase = 'postgres' | 'embedded';

export async function benchScale(
  sizes: ScaleSizes,
  samples: number,
  kind: ScaleDatabase = 'postgres',
): Promise<ScaleFigures> {
  // Seed and read the trail first, in this process; the embedded server's data directory then passes to
  // the bot, which starts its own server on it.
  const server = kind === 'postgres' ? await benchDatabase() : null;
  const dataDir = kind === 'embedded' ? mkdtempSync(join(tmpdir(), 'access-bench-embedded-')) : null;
  const database = await openDatabase(server ? { url: server.url } : { dataDir: dataDir! });
  let seedSeconds: number;
  let trail: S;
  let trailFloor: S;
  try {
    await database.migrate();
    const seeded = Date.now();
    await seed(database.db, sizes);
    seedSeconds = (Date.now() - seeded) / 1000;
    // One request's trail, in process: the audit view service the Slack modal and the page use.
    const audit = createAuditViewService({ db: database.db } as ServiceDeps, () => null);
    const ids = Array.from(
      { length: samples + 10 },
      (_, i) => `req_s${String((i * 7919) % sizes.requests).padStart(8, '0')}`,
    );
    const timed = async (read: (id: string) => Promise<unknown>) => {
      const times: number[] = [];
      for (const [i, id] of ids.entries()) {
        const started = nowMs();
        await read(id);
        if (i >= 10) times.push(nowMs() - started);
      }
      return stats(times);
    };
    trail = await timed((id) => audit.record(id));
    trailFloor = await timed((id) =>
      database.db.execute(sql`select * from audit_events where request_id = ${id} order by id`),
    );
  } finally {
    await database.close();
  }

  const env = await startBenchEnv({
    requesters: 50,
    accessFile: () => null,
    database: server ?? { dataDir: dataDir! },
  });
  let peak = 0;
  const sampler = setInterval(
    () =>
      void rssMiB(env.bot.pid).then(
        (m) => (peak = Math.max(peak, m)),
        () => undefined,
      ),
    50,
  );
  try {
    const users = requesterIds(50);
    const user = users[0]!;
    await env.driver.command(user, '/access', 'request');
    const modal = await until(() => env.slack.topView(user), 'the request modal');
    await new Promise((r) => setTimeout(r, 500));
    const rssIdle = await rssMiB(env.bot.pid);
    peak = rssIdle;

    const queries = Array.from(
      { length: samples + 10 },
      (_, i) =>
        [
          'res-0',
          `res-${i % 100}`,
          'team-3',
          'staging',
          `number ${i}`,
          'prod',
          `res-${String(i * 37)
            .padStart(5, '0')
            .slice(0, 4)}`,
        ][i % 7]!,
    );
    const suggest = async (driver: typeof env.driver) => {
      const times: number[] = [];
      for (const [i, q] of queries.entries()) {
        const started = nowMs();
        const res = await driver.suggest(user, modal.id, 'request.resources.select', q);
        if (res.status !== 200) throw new Error(`type-ahead answered ${res.status}`);
        if (i >= 10) times.push(nowMs() - started);
      }
      return times;
    };
    const typeahead = stats(await suggest(env.driver));
    const options = JSON.parse((await env.driver.suggest(user, modal.id, 'request.resources.select', 'res-1')).text)
      .options as unknown[];

    const openHome = async (driver: typeof env.driver) => {
      const times: number[] = [];
      for (let i = 0; i < samples + 10; i++) {
        const who = users[i % users.length]!;
        const published = nextCall(env.slack, (m, a) => m === 'views.publish' && a.user_id === who);
        const started = nowMs();
        await driver.appHomeOpened(who);
        const at = await published;
        if (i >= 10) times.push(at - started);
      }
      return times;
    };
    const home = stats(await openHome(env.driver));
    const rssPeak = peak;
    const homeView = env.slack
      .calls('views.publish')
      .filter((c) => c.ok)
      .at(-1)!.args.view as Record<string, unknown>;

    const floor = await startFloor(env.slack, {
      modal: {},
      home: homeView,
      options,
      webhook: { url: env.target.url, secret: WEBHOOK_SECRET },
    });
    try {
      const typeaheadFloor = stats(await suggest(floor.driver));
      const homeFloor = stats(await openHome(floor.driver));
      return {
        kind,
        sizes,
        seedSeconds,
        typeahead,
        typeaheadFloor,
        home,
        homeFloor,
        trail,
        trailFloor,
        rssIdle,
        rssPeak,
      };
    } finally {
      await floor.stop();
    }
  } finally {
    clearInterval(sampler);
    await env.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

export function describeScale(f: ScaleFigures): string[] {
  const size = `${f.kind === 'embedded' ? 'embedded default, ' : ''}${fmt(f.sizes.resources, 0)} resources, ${fmt(f.sizes.requests, 0)} requests, ${fmt(f.sizes.audit, 0)} audit events`;
  const row = (what: string, v: S, floor: S, goal: number) =>
    `| ${what} (${size}; ${v.n} samples) | p99 ${fmt(v.p99)} ms (p50 ${fmt(v.p50)} ms) | p99 ${fmt(floor.p99)} ms | ${fmt(v.p99 / floor.p99)}× | p99 < ${goal} ms: ${v.p99 < goal ? 'met' : 'NOT met'} |`;
  return [
    row(
      'Resource type-ahead (block_suggestion → options), a requester who may ask for every resource',
      f.typeahead,
      f.typeaheadFloor,
      50,
    ),
    row('App Home publish (app_home_opened → views.publish reaches Slack)', f.home, f.homeFloor, 150),
    row(
      "One request's audit trail, read and told as a story (in process; floor: the bare SQL query)",
      f.trail,
      f.trailFloor,
      10,
    ),
    `| Bot memory (RSS), idle after start-up → peak during the type-ahead and App Home load (${size}) | ${fmt(f.rssIdle, 0)} MiB → ${fmt(f.rssPeak, 0)} MiB | | | (no goal) |`,
  ];
}
