import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { SlackDriver } from '../doubles/slack/driver.js';
import { HANG_GUARD_MS, until } from '../doubles/support/until.js';
import { rssMiB } from '../test/support/bot-process.js';
import {
  nowMs,
  openTuningModal,
  requesterIds,
  SIGNING_SECRET,
  startBenchEnv,
  stats,
  type BenchEnv,
} from './environment.js';
import { CpuMeter, type CpuShares } from './process-cpu.js';
import { seedEndingGrants } from './revocation.js';

/**
 * Several replicas of the bot on one PostgreSQL database, behind a round-robin proxy (its own process)
 * that Slack's requests go to: the same load with 1 and then 3 replicas. Approvals: `lanes` approvers
 * at once, each approving one request after another (a person has one modal open at a time), timed
 * from the first click to the last grant active in the webhook target. Expiry: `expiries` grants
 * seeded to end within `windowSeconds`, timed from the first end to the last removal at the target.
 * Beside each, where the CPU went (process-cpu.ts) and each replica's memory, so a ratio short of the
 * goal comes with its cause.
 */
export interface ReplicaKnobs {
  approvals: number;
  expiries: number;
  windowSeconds: number;
  lanes: number;
  counts: number[];
}
export interface ReplicaRun {
  replicas: number;
  submitted: { n: number; seconds: number };
  approved: { n: number; seconds: number; cpu: CpuShares };
  expired: { n: number; seconds: number; lag: ReturnType<typeof stats>; cpu: CpuShares };
  rssIdle: number[];
  rssPeak: number[];
}
export interface ReplicaFigures {
  knobs: ReplicaKnobs;
  runs: ReplicaRun[];
}

const USERS = requesterIds(50);
const requesterOf = (lane: number) => USERS[lane]!;
const approverOf = (lane: number) => USERS[25 + lane]!;

/** app-00…app-19, app-j in lane j % lanes; one flow per lane with its own approver. */
function laneCatalogue(lanes: number) {
  return (targetUrl: string) => {
    const lines = ['resources:'];
    for (let j = 0; j < 20; j++) {
      lines.push(
        `  - name: app-${String(j).padStart(2, '0')}`,
        '    type: generic',
        `    tags: [lane-${j % lanes}]`,
        `    provisioner: { type: webhook, url: "${targetUrl}", secret: "env:ACCESS_SECRET_HOOK" }`,
      );
    }
    lines.push('flows:');
    for (let k = 0; k < lanes; k++)
      lines.push(
        `  - name: lane-${k}`,
        `    resources: { tags: [lane-${k}] }`,
        '    requesters: { everyone: true }',
        `    approvers: { users: [${approverOf(k)}] }`,
        '    max_duration: 8h',
      );
    return `${lines.join('\n')}\n`;
  };
}

async function startProxy(urls: string[]) {
  const script = fileURLToPath(new URL('./round-robin-proxy.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...urls], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve((JSON.parse(chunk.toString()) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`the proxy exited (${code})`)));
  });
  return {
    pid: child.pid!,
    eventsUrl: `http://127.0.0.1:${port}/slack/events`,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** Lane `lane`'s requester asks for app-<lane> `n` times; the ids in order. */
async function submitLane(env: BenchEnv, driver: SlackDriver, lane: number, n: number): Promise<string[]> {
  const user = requesterOf(lane);
  const ids: string[] = [];
  for (let j = 0; j < n; j++) {
    env.slack.clearViews(user);
    await driver.command(user, '/access', 'request');
    const modal = await until(() => env.slack.topView(user), 'the request modal');
    await driver.submitView(user, modal.id, {
      'request.resources': [`app-${String(lane).padStart(2, '0')}`],
      'request.duration': '60',
      'request.justification': `BENCH-${lane}-${j}`,
    });
    const id = /req_[0-9a-z]+/.exec(JSON.stringify(env.slack.topView(user)?.view ?? {}))?.[0];
    if (!id) throw new Error(`request ${lane}/${j} was not created`);
    ids.push(id);
  }
  return ids;
}

/** Lane `lane`'s approver approves each request in turn, as asked (the tuning modal left as it opens). */
async function approveLane(env: BenchEnv, driver: SlackDriver, lane: number, ids: string[]) {
  const approver = approverOf(lane);
  for (const id of ids) {
    const modal = await openTuningModal(env, id, approver, driver);
    await driver.submitView(approver, modal.id, {});
  }
}

/** When the target first heard of each request's activation; resolves once it has heard of all. */
async function activations(env: BenchEnv, ids: string[]): Promise<number[]> {
  const want = new Set(ids);
  const at = new Map<string, number>();
  let seen = 0;
  await until(() => {
    for (; seen < env.target.deliveries.length; seen++) {
      const d = env.target.deliveries[seen]!;
      if (d.type === 'grant.activated' && want.has(d.requestId) && !at.has(d.requestId)) at.set(d.requestId, d.at);
    }
    return at.size === want.size;
  }, `${ids.length} activations`);
  return [...at.values()];
}

async function runWith(replicas: number, k: ReplicaKnobs): Promise<ReplicaRun> {
  const lanes = Math.max(1, Math.min(20, k.lanes));
  const perLane = Math.max(1, Math.ceil(k.approvals / lanes));
  const env = await startBenchEnv({
    requesters: 50,
    replicas,
    accessFile: laneCatalogue(lanes),
    // Slack pacing lifted: what is measured is the bot's own work. At the default 50 chat.update a minute
    // per process, one replica's messages lane posts the approvers' new requests behind the paced
    // refreshes of decided ones, and the approvers here wait for those (9.8 approvals/s instead of 40).
    env: { EXPIRY_INTERVAL_SECONDS: '1', SLACK_UPDATES_PER_MINUTE: '10000', SLACK_HOME_PUBLISHES_PER_MINUTE: '10000' },
  });
  const proxy = await startProxy(env.bots.map((b) => b.url));
  const sql = postgres(env.databaseUrl, { onnotice: () => {}, max: 1 });
  const pids = { bots: env.bots.map((b) => b.pid), proxy: proxy.pid };
  try {
    const driver = new SlackDriver({ eventsUrl: proxy.eventsUrl, signingSecret: SIGNING_SECRET, slack: env.slack });
    await new Promise((r) => setTimeout(r, 1000));
    const rssIdle = await Promise.all(pids.bots.map((pid) => rssMiB(pid)));
    const laneIds = Array.from({ length: lanes }, (_, lane) => lane);

    // Warm-up (JIT, pools, the proxy's connections): one approval per lane, not timed.
    const warm = await Promise.all(laneIds.map((lane) => submitLane(env, driver, lane, 1)));
    await Promise.all(laneIds.map((lane) => approveLane(env, driver, lane, warm[lane]!)));
    await activations(env, warm.flat());

    const submitStart = nowMs();
    const ids = await Promise.all(laneIds.map((lane) => submitLane(env, driver, lane, perLane)));
    const submitted = { n: lanes * perLane, seconds: (nowMs() - submitStart) / 1000 };

    const approvalMeter = new CpuMeter(sql, pids);
    await approvalMeter.start();
    const approveStart = nowMs();
    await Promise.all(laneIds.map((lane) => approveLane(env, driver, lane, ids[lane]!)));
    const active = await activations(env, ids.flat());
    const approved = {
      n: lanes * perLane,
      seconds: (Math.max(...active) - approveStart) / 1000,
      cpu: await approvalMeter.stop(),
    };

    // Expiry: grants seeded straight into the tables, ending a few seconds from now.
    const firstEnd = Date.now() + 3000;
    await seedEndingGrants(env.databaseUrl, k.expiries, firstEnd, k.windowSeconds, 'lane-0');
    await new Promise((r) => setTimeout(r, Math.max(0, firstEnd - Date.now() - 200)));
    const expiryMeter = new CpuMeter(sql, pids);
    await expiryMeter.start();
    const seeded = (d: { type: string; grantId: string }) =>
      d.type === 'grant.revoked' && d.grantId.startsWith('grt_rev');
    await until(
      () => env.target.deliveries.filter(seeded).length >= k.expiries,
      `${k.expiries} removals`,
      // A hang guard that grows with the window the removals are spread over.
      HANG_GUARD_MS + k.windowSeconds * 1000,
    );
    const cpu = await expiryMeter.stop();
    const ends = new Map(
      (await sql`select id, expires_at from grants where id like 'grt_rev%'`).map((g) => [
        g.id as string,
        (g.expires_at as Date).getTime(),
      ]),
    );
    const removed = env.target.deliveries.filter(seeded);
    const last = Math.max(...removed.map((d) => d.at));
    const expired = {
      n: k.expiries,
      seconds: (last - firstEnd) / 1000,
      lag: stats(removed.map((d) => d.at - ends.get(d.grantId)!)),
      cpu,
    };
    const rssPeak = pids.bots.map((_, i) => Math.max(rssIdle[i]!, approved.cpu.rssPeak[i]!, cpu.rssPeak[i]!));
    return { replicas, submitted, approved, expired, rssIdle, rssPeak };
  } finally {
    await sql.end();
    await proxy.stop();
    await env.stop();
  }
}

export async function benchReplicas(knobs: ReplicaKnobs): Promise<ReplicaFigures> {
  const runs: ReplicaRun[] = [];
  for (const replicas of knobs.counts) runs.push(await runWith(replicas, knobs));
  return { knobs, runs };
}

export { describeReplicas } from './replicas-report.js';
