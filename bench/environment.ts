import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SlackDriver, until } from '../doubles/slack/driver.js';
import { FakeSlack, type FakeSlackOptions, type FakeUser } from '../doubles/slack/fake-slack.js';
import { viewSubmissionPayload } from '../doubles/slack/payloads.js';
import { stateValuesOf } from '../doubles/slack/surface.js';
import { freePort, startBotProcess, type BotProcess } from '../test/support/bot-process.js';
import { startWebhookTarget, WEBHOOK_SECRET, type WebhookTarget } from '../test/support/webhook-target.js';
import { benchDatabase } from './support.js';
import { APP_SCOPES } from '../test/support/app-scopes.js';

/**
 * What every end-to-end benchmark needs: a fresh database on the bench server, the Slack double and a
 * webhook target in this process, and the bot in its own process (as `npm start` runs it), so the load
 * generator never shares the bot's event loop.
 */
export const BOT_TOKEN = 'xoxb-bench-token';
export const SIGNING_SECRET = 'bench-signing-secret-0123456789';
export const APPROVER = 'U0APPR';
export const ADMIN = 'U0ADMIN';
export const requesterIds = (n: number) => Array.from({ length: n }, (_, i) => `U0B${String(i).padStart(3, '0')}`);

export interface BenchEnv {
  slack: FakeSlack;
  target: WebhookTarget;
  bot: BotProcess;
  /** Every replica (`replicas` of them, `bot` first), all on the same database. */
  bots: BotProcess[];
  driver: SlackDriver;
  databaseUrl: string;
  stop(): Promise<void>;
}

/** A catalogue of `resources` generic resources, each provisioned by the webhook target; anyone may ask. */
export function webhookCatalogue(targetUrl: string, resources = 20): string {
  const lines = ['resources:'];
  for (let i = 0; i < resources; i++) {
    lines.push(
      `  - name: app-${String(i).padStart(2, '0')}`,
      '    type: generic',
      '    tags: [apps]',
      `    provisioner: { type: webhook, url: "${targetUrl}", secret: "env:ACCESS_SECRET_HOOK" }`,
    );
  }
  lines.push(
    'flows:',
    '  - name: apps',
    '    resources: { tags: [apps] }',
    '    requesters: { everyone: true }',
    `    approvers: { users: [${APPROVER}] }`,
    '    max_duration: 8h',
    '',
  );
  return lines.join('\n');
}

/** `database`: a prepared one (a server database, or a DATA_DIR for the embedded default); a fresh server database by default. */
export async function startBenchEnv(opts: {
  requesters: number;
  replicas?: number;
  env?: Record<string, string>;
  accessFile?: (targetUrl: string) => string | null;
  database?: { url: string; drop(): Promise<void> } | { dataDir: string };
  /** Node flags for the bot beyond BENCH_BOT_NODE_ARGS (the memory benchmark's probe). */
  nodeArgs?: string[];
  /** More people, user groups and rate limits in the Slack double (the fan-out benchmark). */
  slack?: Pick<FakeSlackOptions, 'usergroups' | 'rateLimits'> & { users?: FakeUser[] };
}): Promise<BenchEnv> {
  const db = opts.database ?? (await benchDatabase());
  const users: FakeUser[] = [
    { id: APPROVER, name: 'alex' },
    { id: ADMIN, name: 'ada' },
    ...requesterIds(opts.requesters).map((id, i) => ({ id, name: `user${i}`, email: `user${i}@example.com` })),
  ];
  const slack = await FakeSlack.start({
    botToken: BOT_TOKEN,
    scopes: APP_SCOPES,
    ...opts.slack,
    users: [...users, ...(opts.slack?.users ?? [])],
  });
  const target = await startWebhookTarget();
  const file = (opts.accessFile ?? webhookCatalogue)(target.url);
  const env: Record<string, string> = {
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    ...('url' in db ? { DATABASE_URL: db.url } : { DATA_DIR: db.dataDir }),
    ACCESS_ADMINS: ADMIN,
    ACCESS_SECRET_HOOK: WEBHOOK_SECRET,
    LOG_LEVEL: 'error',
    ...opts.env,
  };
  if (file) {
    const dir = mkdtempSync(join(tmpdir(), 'access-bench-'));
    writeFileSync(join(dir, 'access.yml'), file);
    env.ACCESS_CONFIG = join(dir, 'access.yml');
  }
  // e.g. BENCH_BOT_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to see where the bot spends its time.
  const nodeArgs = [...(process.env.BENCH_BOT_NODE_ARGS?.split(' ').filter(Boolean) ?? []), ...(opts.nodeArgs ?? [])];
  // One after the other: the first migrates the fresh database and applies ACCESS_CONFIG. The compiled
  // bot, as npm start runs it (bench/run.ts builds it first when the sources changed).
  const bots: BotProcess[] = [];
  for (let i = 0; i < (opts.replicas ?? 1); i++)
    bots.push(await startBotProcess({ env, startTimeoutMs: 60_000, nodeArgs, entry: 'dist' }));
  const bot = bots[0]!;
  return {
    slack,
    target,
    bot,
    bots,
    driver: new SlackDriver({ eventsUrl: bot.eventsUrl, signingSecret: SIGNING_SECRET, slack }),
    databaseUrl: 'url' in db ? db.url : `embedded:${db.dataDir}`,
    async stop() {
      await Promise.all(bots.map((b) => b.stop()));
      await target.stop();
      await slack.stop();
      if ('drop' in db) await db.drop();
    },
  };
}

export interface Floor {
  pid: number;
  eventsUrl: string;
  driver: SlackDriver;
  stop(): Promise<void>;
}

/** The bare Bolt app of bench/bare-bolt.ts against the same Slack double, answering with `fixtures`. */
export async function startFloor(slack: FakeSlack, fixtures: Record<string, unknown>): Promise<Floor> {
  const dir = mkdtempSync(join(tmpdir(), 'access-floor-'));
  writeFileSync(join(dir, 'fixtures.json'), JSON.stringify(fixtures));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_FLOOR_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      '--import',
      'tsx',
      fileURLToPath(new URL('./bare-bolt.ts', import.meta.url)),
    ],
    {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: slack.apiUrl,
        PORT: String(port),
        FLOOR_FIXTURES: join(dir, 'fixtures.json'),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`the bare Bolt app exited (${code})`)));
  });
  return {
    pid: child.pid!,
    eventsUrl: `http://127.0.0.1:${port}/slack/events`,
    driver: new SlackDriver({
      eventsUrl: `http://127.0.0.1:${port}/slack/events`,
      signingSecret: SIGNING_SECRET,
      slack,
    }),
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** Resolves with the first Web API call matching `match` from now on (its recorded wall-clock time). */
export function nextCall(
  slack: FakeSlack,
  match: (method: string, args: Record<string, unknown>) => boolean,
  timeoutMs = 10_000,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('timed out waiting for a Slack call'));
    }, timeoutMs);
    const off = slack.onCall((call) => {
      if (!call.ok || !match(call.method, call.args)) return;
      clearTimeout(timer);
      off();
      resolve(call.at);
    });
  });
}

/** Wall-clock ms with a fractional part, comparable with FakeSlack's and the webhook target's times. */
export const nowMs = () => performance.timeOrigin + performance.now();

export function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  return { n: sorted.length, p50: at(50), p99: at(99), max: sorted.at(-1) ?? 0 };
}

/**
 * The approver's tuning submission for request `requestId`, as Slack posts it, for the bare app (the floor):
 * the bot's own tuning modal, its callback and metadata pointing at a request only the floor knows.
 */
export function floorSubmission(
  slack: FakeSlack,
  tuning: NonNullable<ReturnType<FakeSlack['view']>>,
  requestId: string,
): string {
  const payload = viewSubmissionPayload(slack, {
    userId: APPROVER,
    apiAppId: slack.appId,
    view: tuning,
    values: stateValuesOf(tuning.blocks, {}),
    triggerId: slack.issueTriggerId(APPROVER),
  }) as { view: Record<string, unknown> };
  payload.view = {
    ...payload.view,
    callback_id: 'review.tuning',
    private_metadata: JSON.stringify({ requestId, requesterId: requesterIds(1)[0] }),
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** The approver finds the message about request `id`, presses Approve, and has the tuning modal open. */
export async function openTuningModal(env: BenchEnv, id: string, approver = APPROVER, driver = env.driver) {
  const dm = await until(
    () => env.slack.dmsTo(approver).find((m) => JSON.stringify(m.blocks).includes(id)),
    `the approver's message about ${id}`,
  );
  env.slack.clearViews(approver);
  await driver.clickButton(approver, { channel: dm.channel, ts: dm.ts }, 'review.approve');
  return until(() => env.slack.topView(approver), 'the tuning modal');
}

/** The bare app answering an approval with the least it needs: one transaction, the webhook, one DM. */
export function startApprovalFloor(env: BenchEnv): Promise<Floor> {
  return startFloor(env.slack, {
    modal: {},
    home: {},
    options: [],
    webhook: { url: env.target.url, secret: WEBHOOK_SECRET },
    databaseUrl: env.databaseUrl,
  });
}
