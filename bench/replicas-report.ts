import type { CpuShares } from './process-cpu.js';
import type { ReplicaFigures, ReplicaRun } from './replicas.js';
import { fmt } from './support.js';

/**
 * The replica benchmark's section of BENCHMARKS.md: throughput per replica count and the ratio, then
 * where the CPU went in each phase, then the bottleneck in one paragraph worked out from those figures.
 */
const GOAL = 2.5;
const pct = (part: number, whole: number) => `${fmt((100 * part) / Math.max(whole, 1e-9), 0)} %`;
const label = (r: ReplicaRun) => `${r.replicas} replica${r.replicas === 1 ? '' : 's'}`;

/** The work of one unit (an approval, a removal): everything but other work on the machine. */
function ownSeconds(c: CpuShares): number {
  return c.seconds.filter(([g]) => !g.startsWith('rest of the PostgreSQL')).reduce((a, [, s]) => a + s, 0);
}

function cpuTable(
  title: string,
  runs: ReplicaRun[],
  phase: (r: ReplicaRun) => { n: number; cpu: CpuShares },
  unit: string,
): string[] {
  const groups = [
    ...new Set(
      runs.flatMap((r) =>
        phase(r)
          .cpu.seconds.map(([g]) => g)
          .filter((g) => !g.startsWith('bot replica')),
      ),
    ),
  ];
  const cell = (r: ReplicaRun, f: (c: CpuShares, n: number) => string) => f(phase(r).cpu, phase(r).n);
  const row = (what: string, f: (c: CpuShares, n: number) => string) =>
    `| ${what} | ${runs.map((r) => cell(r, f)).join(' | ')} |`;
  const of = (c: CpuShares, g: string) => c.seconds.find(([x]) => x === g)?.[1] ?? 0;
  const bots = (c: CpuShares) => c.seconds.filter(([g]) => g.startsWith('bot replica')).map(([, s]) => s);
  const known = (c: CpuShares) => c.seconds.reduce((a, [, s]) => a + s, 0);
  return [
    `| ${title}: CPU seconds, and their share of the machine's busy time | ${runs.map(label).join(' | ')} |`,
    `|---|${runs.map(() => '---|').join('')}`,
    row(
      'Wall time; the machine busy (CPU seconds of the seconds it had)',
      (c) =>
        `${fmt(c.wallSeconds, 1)} s; ${fmt(c.machineBusy, 1)} of ${fmt(c.machineCapacity, 1)} s (${pct(c.machineBusy, c.machineCapacity)})`,
    ),
    row(
      'Bot replicas (each)',
      (c) =>
        `${fmt(
          bots(c).reduce((a, b) => a + b, 0),
          2,
        )} s (${bots(c)
          .map((s) => fmt(s, 2))
          .join(' + ')}): ${pct(
          bots(c).reduce((a, b) => a + b, 0),
          c.machineBusy,
        )}`,
    ),
    ...groups.map((g) => row(g, (c) => `${fmt(of(c, g), 2)} s: ${pct(of(c, g), c.machineBusy)}`)),
    row(
      'Anything else on the machine (other processes)',
      (c) =>
        `${fmt(Math.max(0, c.machineBusy - known(c)), 2)} s: ${pct(Math.max(0, c.machineBusy - known(c)), c.machineBusy)}`,
    ),
    row(
      `CPU per ${unit} (replicas + proxy + bench process + the bench database's backends)`,
      (c, n) =>
        `${fmt((1000 * ownSeconds(c)) / n, 1)} ms (bots ${fmt((1000 * bots(c).reduce((a, b) => a + b, 0)) / n, 1)} ms)`,
    ),
    row(
      "The bench database's connections waiting on a lock, mean of the samples (audit chain's advisory lock; rows)",
      (c) => `${fmt(c.auditLockWaits, 2)}; ${fmt(c.otherLockWaits, 2)} of ${fmt(c.backends, 0)} connected`,
    ),
  ];
}

function bottleneck(f: ReplicaFigures): string {
  const one = f.runs[0]!;
  const many = f.runs.at(-1)!;
  const share = (c: CpuShares, match: (group: string) => boolean) =>
    pct(
      c.seconds.filter(([g]) => match(g)).reduce((a, [, s]) => a + s, 0),
      c.machineBusy,
    );
  const shares = (c: CpuShares) =>
    `the bot replicas ${share(c, (g) => g.startsWith('bot replica'))}, PostgreSQL ${share(c, (g) => g.includes('PostgreSQL'))}, the Slack double, webhook target and driver ${share(c, (g) => g.startsWith('bench process'))}, the proxy ${share(c, (g) => g.includes('proxy'))}, other processes ${pct(Math.max(0, c.machineBusy - c.seconds.reduce((a, [, s]) => a + s, 0)), c.machineBusy)}`;
  const c = many.approved.cpu;
  const perApproval = ownSeconds(c) / many.approved.n;
  const cores = c.machineCapacity / c.wallSeconds;
  const approvals = (r: ReplicaRun) => r.approved.n / r.approved.seconds;
  const removals = (r: ReplicaRun) => r.expired.n / r.expired.seconds;
  const e = many.expired.cpu;
  return [
    `**Why ${fmt(approvals(many) / approvals(one))}× for approvals** (${label(many)} against ${label(one)}): the machine was busy ${pct(c.machineBusy, c.machineCapacity)} of its ${fmt(cores, 0)} cores during the ${label(many)} run, of which ${shares(c)}.`,
    `One approval cost ${fmt(1000 * perApproval, 1)} ms of CPU in all (${fmt((1000 * ownSeconds(one.approved.cpu)) / one.approved.n, 1)} ms with ${label(one)}), so ${fmt(cores, 0)} cores cap approvals near ${fmt(cores / perApproval, 0)}/s however many replicas share them (measured ${fmt(approvals(many), 1)}/s):`,
    c.machineBusy > 0.85 * c.machineCapacity
      ? 'a replica adds throughput only while a core is idle, which on this machine happens when one replica waits on PostgreSQL, Slack or the target. A machine with a core per replica plus cores for PostgreSQL and the load is needed to measure the goal itself.'
      : 'the cores were not saturated, so the limit was waiting (on PostgreSQL locks, Slack or the target), not CPU.',
    `**Expiry, ${fmt(removals(many) / removals(one))}×**: busy ${pct(e.machineBusy, e.machineCapacity)} (${shares(e)}); on average ${fmt(e.auditLockWaits, 2)} of the bench database's connections waited on the audit chain's advisory lock (${fmt(one.expired.cpu.auditLockWaits, 2)} with ${label(one)}).`,
    e.auditLockWaits > one.expired.cpu.auditLockWaits + 0.2
      ? "Every audited change holds that one lock from its audit insert until it commits (an expiry pass and a batch of removals write their rows last, in one insert each), so the replicas' audited writes queue behind one another's commits."
      : 'The audit lock was not where they waited.',
  ].join(' ');
}

export function describeReplicas(f: ReplicaFigures): string[] {
  const { runs, knobs } = f;
  const first = runs[0]!;
  const last = runs.at(-1)!;
  const rate = (n: number, s: number) => n / Math.max(s, 1e-9);
  const row = (
    what: string,
    value: (r: ReplicaRun) => number,
    shown: (r: ReplicaRun) => string,
    goal: (ratio: number) => string,
  ) => {
    const ratio = value(last) / value(first);
    return `| ${what} | ${runs.map(shown).join(' | ')} | ${fmt(ratio)}× | ${goal(ratio)} |`;
  };
  const approvals = (r: ReplicaRun) => rate(r.approved.n, r.approved.seconds);
  const removals = (r: ReplicaRun) => rate(r.expired.n, r.expired.seconds);
  const submissions = (r: ReplicaRun) => rate(r.submitted.n, r.submitted.seconds);
  return [
    '## Several replicas on one PostgreSQL',
    '',
    `The bot as ${runs.map((r) => r.replicas).join(' and then ')} processes on one database (each configuration on a fresh one), in HTTP mode behind a round-robin proxy on loopback (bench/round-robin-proxy.ts, its own process, kept-alive connections) that the Slack double's requests go to. ${knobs.lanes} approvers approve at once, each one request after another; the grants are webhook grants (active = the target got \`grant.activated\`). All processes share the machine's cores with the Slack double and the load driver (this process) and PostgreSQL; CPU from /proc (user + system), sampled every 250 ms.`,
    '',
    `| What | ${runs.map(label).join(' | ')} | ${last.replicas}:${first.replicas} | Goal |`,
    `|---|${runs.map(() => '---|').join('')}---|---|`,
    row(
      `Approvals/s, first Approve click → every grant active in the target (${fmt(first.approved.n, 0)} approvals)`,
      approvals,
      (r) => `${fmt(approvals(r), 1)}/s (${fmt(r.approved.seconds, 1)} s)`,
      (x) => `${last.replicas} replicas ≥ ${GOAL}× one: ${x >= GOAL ? 'met' : 'NOT met'}`,
    ),
    row(
      'Requests submitted/s (command → modal → submission, same lanes)',
      submissions,
      (r) => `${fmt(submissions(r), 1)}/s`,
      () => '(no goal)',
    ),
    row(
      `Removals/s, ${fmt(knobs.expiries, 0)} grants ending within ${knobs.windowSeconds} s → the last removed at the target (expiry polls every second on each replica)`,
      removals,
      (r) => `${fmt(removals(r), 1)}/s (${fmt(r.expired.seconds, 1)} s)`,
      () => '(no goal)',
    ),
    row(
      'Revocation lag in that burst, expires_at → target got `grant.revoked`',
      (r) => r.expired.lag.p99,
      (r) => `p99 ${fmt(r.expired.lag.p99, 0)} ms (p50 ${fmt(r.expired.lag.p50, 0)} ms)`,
      () => '(no goal)',
    ),
    `| Memory (RSS) of each replica, idle after start-up → peak | ${runs.map((r) => r.rssIdle.map((m, i) => `${fmt(m, 0)} → ${fmt(r.rssPeak[i]!, 0)} MiB`).join('; ')).join(' | ')} | | (no goal) |`,
    '',
    ...cpuTable('Where the CPU went during the approvals', runs, (r) => r.approved, 'approval'),
    '',
    ...cpuTable('Where the CPU went during the expiry burst', runs, (r) => r.expired, 'removal'),
    '',
    bottleneck(f),
    '',
  ];
}
