import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { createAccessApp } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { FakeSlack } from '../doubles/slack/fake-slack.js';
import { startBotProcess } from '../test/support/bot-process.js';
import { benchDatabase, fmt, percentile, run } from './support.js';

const GRANTS = 10_000;
const USERS = 2_000;
const RESOURCES = 500;

export interface HttpFigures {
  offered: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface AuthorizationFigures {
  grants: number;
  inProcessPerSecond: number;
  inProcessP99Micros: number;
  http: HttpFigures[];
  connections: number;
  seconds: number;
}

/** Seeds grants straight into the tables (the bench measures decisions, not approvals). */
async function seed(url: string) {
  const sql = postgres(url, { onnotice: () => {}, max: 2 });
  const now = Date.now();
  const rows = Array.from({ length: GRANTS }, (_, i) => {
    const id = `req_bench${String(i).padStart(6, '0')}`;
    const resource = `res-${i % RESOURCES}`;
    return {
      request: {
        id,
        requester_id: `U${String(i % USERS).padStart(6, '0')}`,
        flow_id: 'flw_bench',
        flow_name: 'bench',
        status: 'active',
        justification: 'bench',
        duration_minutes: 480,
        created_at: new Date(now),
      },
      grant: {
        id: `grt_bench${String(i).padStart(6, '0')}`,
        request_id: id,
        requester_id: `U${String(i % USERS).padStart(6, '0')}`,
        requester_email: `user${i % USERS}@example.com`,
        policy: {
          durationMinutes: 480,
          resources: [{ type: 'database', resource, access: 'read-only', databases: [] }],
        },
        approved_by: 'U0APPR',
        status: 'active',
        starts_at: new Date(now),
        expires_at: new Date(now + 8 * 3600_000),
      },
    };
  });
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000);
    await sql`insert into access_requests ${sql(chunk.map((r) => r.request))}`;
    await sql`insert into grants ${sql(chunk.map((r) => ({ ...r.grant, policy: sql.json(r.grant.policy) })))}`;
  }
  // Now, so autovacuum does not wake after 20,000 inserts in the middle of the measurement.
  await sql`vacuum analyze`;
  await sql.end();
}

export async function benchAuthorization(
  seconds = 10,
  connections = 16,
  rates = [10_000, 5_000],
): Promise<AuthorizationFigures> {
  const db = await benchDatabase();
  const slack = await FakeSlack.start({ botToken: 'xoxb-bench', users: [{ id: 'U0ADMIN', name: 'admin' }] });
  const config = parseConfig({
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_SIGNING_SECRET: 'bench-signing-secret',
    SLACK_API_URL: slack.apiUrl,
    DATABASE_URL: db.url,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    ACCESS_ADMINS: 'U0ADMIN',
  });
  const app = await createAccessApp({ config, logger: createLogger('silent') });
  let stopped = false;
  try {
    await app.database.migrate();
    await seed(db.url);
    await app.start();
    const index = app.services.authorizationIndex;
    if (index.size() !== GRANTS) throw new Error(`index holds ${index.size()} grants, expected ${GRANTS}`);

    // In process: the decision itself, timed in batches of 1,000 so the timer's own cost stays small.
    const batchMicros: number[] = [];
    const start = process.hrtime.bigint();
    let decisions = 0;
    for (let b = 0; b < 1000; b++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 1000; i++) {
        const n = (b * 1000 + i) * 7919;
        index.decide(`U${String(n % USERS).padStart(6, '0')}`, `res-${n % RESOURCES}`);
      }
      batchMicros.push(Number(process.hrtime.bigint() - t0) / 1000 / 1000);
      decisions += 1000;
    }
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    batchMicros.sort((a, b) => a - b);

    // Over HTTP: the bot in its own process (as `npm start` runs it, on the same database), and an
    // open-loop client in another, at a fixed rate, timing in microseconds.
    const { token } = await app.services.apiKeys!.create('U0ADMIN', 'bench');
    await app.stop();
    stopped = true;
    const bot = await startBotProcess({
      env: {
        SLACK_BOT_TOKEN: 'xoxb-bench',
        SLACK_SIGNING_SECRET: 'bench-signing-secret',
        SLACK_API_URL: slack.apiUrl,
        DATABASE_URL: db.url,
        LOG_LEVEL: 'error',
        ACCESS_ADMINS: 'U0ADMIN',
      },
      startTimeoutMs: 60_000,
      nodeArgs: process.env.BENCH_BOT_NODE_ARGS?.split(' ').filter(Boolean) ?? [],
      entry: 'dist',
    });
    const body = JSON.stringify({ user: 'U000042', resource: 'res-42' });
    const client = fileURLToPath(new URL('./load-client.ts', import.meta.url));
    const http: HttpFigures[] = [];
    try {
      for (const offered of rates) {
        const { stdout } = await run(
          process.execPath,
          [
            '--import',
            'tsx',
            client,
            `${bot.url}/api/v1/authorize`,
            body,
            `Bearer ${token}`,
            String(offered),
            String(seconds),
            String(connections),
          ],
          {
            maxBuffer: 16 * 1024 * 1024,
          },
        );
        const result = JSON.parse(stdout) as {
          kinds: Record<string, number>;
          completed: number;
          errors: number;
          perSecond: number;
          p50: number;
          p99: number;
        };
        if (result.errors > 0)
          throw new Error(`HTTP load had ${result.errors} failed requests: ${JSON.stringify(result.kinds)}`);
        http.push({ offered, perSecond: result.perSecond, p50Ms: result.p50 / 1000, p99Ms: result.p99 / 1000 });
      }
    } finally {
      await bot.stop();
    }
    return {
      grants: GRANTS,
      inProcessPerSecond: decisions / elapsed,
      inProcessP99Micros: percentile(batchMicros, 99),
      http,
      connections,
      seconds,
    };
  } finally {
    if (!stopped) await app.stop();
    await slack.stop();
    await db.drop();
  }
}

export function describeAuthorization(f: AuthorizationFigures): string[] {
  return [
    `| Authorization decisions, in process (${fmt(f.grants, 0)} active grants) | ${fmt(f.inProcessPerSecond, 0)} decisions/s | p99 ${fmt(f.inProcessP99Micros)} µs per decision | goal ≥ 10,000/s, p99 < 2 ms: ${f.inProcessPerSecond >= 10_000 && f.inProcessP99Micros < 2000 ? 'met' : 'NOT met'} |`,
    ...f.http.map(
      (h) =>
        `| Authorization API over HTTP, offered ${fmt(h.offered, 0)}/s for ${f.seconds} s (the bot in its own process as \`npm start\` runs it; ${f.connections} keep-alive connections; the load generator runs on the same 2 cores) | ${fmt(h.perSecond, 0)} requests/s | p50 ${fmt(h.p50Ms)} ms, p99 ${fmt(h.p99Ms)} ms | p99 < 2 ms: ${h.p99Ms < 2 ? 'met' : 'NOT met'} |`,
    ),
  ];
}
