import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { benchApproval, describeApproval } from './approval.js';
import { benchApprovalLanes, describeApprovalLanes } from './approval-lanes.js';
import { benchApprovalCost, describeApprovalCost } from './approval-cost.js';
import { benchAuthorization, describeAuthorization } from './authorization.js';
import { benchExpiry, describeExpiry } from './expiry.js';
import { benchReplicas, describeReplicas } from './replicas.js';
import { benchRequestModal, describeRequestModal } from './request-modal.js';
import { benchRevocation, describeRevocation } from './revocation.js';
import { benchMemory, describeMemory } from './memory.js';
import { benchFanout, describeFanout } from './fanout.js';
import { benchFirstStart, describeFirstStart } from './first-start.js';
import { benchScale, describeScale } from './scale.js';
import { fmt, machine } from './support.js';

/**
 * `npm run bench`: runs every benchmark against a real PostgreSQL (BENCH_DATABASE_URL, default the local
 * server) and writes BENCHMARKS.md with the machine, the command and each figure beside its goal (and,
 * for the end-to-end ones, beside its floor). Sizes are overridable for quick runs, e.g.
 * `BENCH_ONLY=scale BENCH_SCALE_REQUESTS=10000 BENCH_SCALE_AUDIT=100000 npm run bench`.
 * BENCH_OUT writes the file elsewhere (e.g. /tmp/bench.md for a run on a busy machine).
 */
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const only = new Set(
  (
    process.env.BENCH_ONLY ??
    'memory,first-start,authorization,modal,approval,lanes,fanout,revocation,expiry,replicas,scale,scale-embedded'
  ).split(','),
);
const started = new Date();
const seconds = env('BENCH_SECONDS', 10);
const knobs = {
  rounds: env('BENCH_ROUNDS', 40),
  approvals: env('BENCH_APPROVALS', 200),
  revocations: env('BENCH_REVOCATIONS', 1000),
  window: env('BENCH_REVOCATION_WINDOW', 60),
  scale: {
    resources: env('BENCH_SCALE_RESOURCES', 10_000),
    requests: env('BENCH_SCALE_REQUESTS', 100_000),
    audit: env('BENCH_SCALE_AUDIT', 1_000_000),
  },
  // The embedded database is the default for a small team trying the bot: a tenth of the size.
  embedded: {
    resources: env('BENCH_EMBEDDED_RESOURCES', 1_000),
    requests: env('BENCH_EMBEDDED_REQUESTS', 10_000),
    audit: env('BENCH_EMBEDDED_AUDIT', 100_000),
  },
  samples: env('BENCH_SAMPLES', 300),
  replicas: {
    approvals: env('BENCH_REPLICA_APPROVALS', 120),
    expiries: env('BENCH_REPLICA_EXPIRIES', 400),
    windowSeconds: env('BENCH_REPLICA_WINDOW', 1),
    lanes: env('BENCH_REPLICA_LANES', 8),
    counts: (process.env.BENCH_REPLICA_COUNTS ?? '1,3').split(',').map(Number),
  },
  expiry: {
    grants: env('BENCH_EXPIRY_GRANTS', 400),
    windowSeconds: env('BENCH_EXPIRY_WINDOW', 2),
    counts: (process.env.BENCH_EXPIRY_COUNTS ?? '1,3').split(',').map(Number),
  },
};
const step = (what: string) => process.stderr.write(`[bench] ${new Date().toISOString().slice(11, 19)} ${what}\n`);

// The bot runs compiled, as npm start runs it: build first when the sources changed.
if (
  spawnSync(process.execPath, ['scripts/build-if-stale.mjs'], { cwd: new URL('..', import.meta.url), stdio: 'inherit' })
    .status !== 0
)
  process.exit(1);

const authz: string[] = [];
const endToEnd: string[] = [];
const notes: string[] = [];
if (only.has('memory')) {
  step('memory of the production start');
  const memory = describeMemory(await benchMemory());
  endToEnd.push(...memory.rows);
  notes.push(...memory.notes);
}
if (only.has('first-start')) {
  step('first npm start on a fresh clone, quiet and busy');
  endToEnd.push(...describeFirstStart(await benchFirstStart(env('BENCH_FIRST_START_RUNS', 3))));
}
const replicas: string[] = [];
const expiry: string[] = [];
if (only.has('authorization')) {
  step('authorization');
  authz.push(...describeAuthorization(await benchAuthorization(seconds, env('BENCH_CONNECTIONS', 16))));
}
if (only.has('modal')) {
  step('request modal');
  endToEnd.push(...describeRequestModal(await benchRequestModal(knobs.rounds, 50)));
}
if (only.has('approval')) {
  step('approval');
  endToEnd.push(...describeApproval(await benchApproval(knobs.approvals)));
  step('what an approval costs: bot CPU and SQL statements');
  endToEnd.push(...describeApprovalCost(await benchApprovalCost(env('BENCH_COST_APPROVALS', 100))));
}
if (only.has('lanes')) {
  step('approvals back to back at the default pacing');
  endToEnd.push(...describeApprovalLanes(await benchApprovalLanes(env('BENCH_LANE_APPROVALS', 30))));
}
if (only.has('fanout')) {
  step('decision fan-out');
  endToEnd.push(...describeFanout(await benchFanout(env('BENCH_FANOUT_APPROVERS', 200))));
}
if (only.has('revocation')) {
  step('revocation');
  endToEnd.push(...describeRevocation(await benchRevocation(knobs.revocations, knobs.window)));
}
if (only.has('expiry')) {
  step('expiry bursts');
  expiry.push(...describeExpiry(await benchExpiry(knobs.expiry)));
}
if (only.has('replicas')) {
  step('replicas');
  replicas.push(...describeReplicas(await benchReplicas(knobs.replicas)));
}
if (only.has('scale')) {
  step('scale');
  const scale = await benchScale(knobs.scale, knobs.samples);
  endToEnd.push(...describeScale(scale));
  notes.push(
    `Scale data generated in ${fmt(scale.seedSeconds, 1)} s with INSERT … SELECT generate_series; its audit rows carry placeholder hashes (reads are measured; the chain is not valid over them).`,
  );
}
if (only.has('scale-embedded')) {
  step('scale on the embedded default');
  const scale = await benchScale(knobs.embedded, knobs.samples, 'embedded');
  endToEnd.push(...describeScale(scale));
  notes.push(
    `On the embedded default (its data directory handed to the bot after seeding; the bot's RSS without its server's) the data set took ${fmt(scale.seedSeconds, 1)} s to generate.`,
  );
}
const elapsed = (Date.now() - started.getTime()) / 1000;

const lines = [
  '# Benchmarks',
  '',
  `Measured ${started.toISOString()} on ${machine()} with \`npm run bench\` (BENCH_SECONDS=${seconds}, BENCH_ROUNDS=${knobs.rounds}, BENCH_APPROVALS=${knobs.approvals}, BENCH_REVOCATIONS=${knobs.revocations}, BENCH_SAMPLES=${knobs.samples}; ${fmt(elapsed, 0)} s in all).`,
  'PostgreSQL: the local server. Each figure is from one run; rerun to compare.',
  '',
  ...(authz.length ? ['| What | Throughput | Latency | Goal |', '|---|---|---|---|', ...authz, ''] : []),
  ...(endToEnd.length
    ? [
        '## End to end, as Slack and the targets see it',
        '',
        'The bot runs in its own process, compiled (`node dist/main.js`, as `npm start` and the Docker image run it), against the Slack double and a webhook target that run in the benchmark process (so does the load generator, but for the 50-requester bursts): all on the same 2 cores, with PostgreSQL.',
        'Each figure stands beside its floor: a bare Bolt app (bench/bare-bolt.ts, also its own process, same receiver and WebClient) that answers the same Slack requests with the same Slack and webhook calls and no logic or database (but for an approval: one transaction, the least a decision needs); for the revocation lag, a timer at each end that only POSTs the webhook; for the trail, the bare SQL query. Ratio = figure / floor.',
        "With 50 requesters at once the requests come from a lean client in its own process (bench/burst-client.ts, raw sockets, timed to the first byte of the answer); the Slack double, PostgreSQL, the client and the bot still share the same 2 cores, so a burst queues behind whichever of them holds a core: both the bot's and the floor's tails carry that.",
        '',
        '| What | Value | Floor | Ratio | Goal |',
        '|---|---|---|---|---|',
        ...endToEnd,
        '',
        ...notes,
        '',
      ]
    : []),
  ...expiry,
  ...replicas,
];
writeFileSync(process.env.BENCH_OUT ?? new URL('../BENCHMARKS.md', import.meta.url), lines.join('\n'));
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(0);
