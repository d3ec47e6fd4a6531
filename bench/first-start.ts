import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/bot-process.js';
import { fmt } from './support.js';

/**
 * A newcomer's first `npm start`: a git clone of this checkout's commit (BENCH_FIRST_START_REF, default
 * HEAD: committed code only) into a temporary folder, node_modules linked to this checkout's (what
 * `npm ci` leaves; installing is not timed), no dist/, no data. The clock runs from `npm start` to the
 * first 200 from /healthz, with no Slack variables: the sandbox, on the embedded database, as the README
 * tells a newcomer to start. Quiet, then beside a CPU-bound loop on every core (a build, a browser, a
 * second test run): the goal is for that busy machine. Every output line is timed on arrival, so the
 * figure splits into the compile (until npm starts `node scripts/start.mjs`) and what the bot says it
 * waited for: creating the embedded database, the migrations.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const GOAL_SECONDS = 20;
const HANG_GUARD_MS = 300_000;

export interface FirstStart {
  /** npm start -> /healthz 200 */
  seconds: number;
  /** npm start -> npm runs `node scripts/start.mjs` (the staleness check and the compile). */
  compile: number | null;
  /** What the bot's log says opening (on a first start: creating) the embedded database took. */
  database: number | null;
  migrations: number | null;
  /** Output lines before /healthz answered (progress a person sees). */
  lines: number;
  /** The machine's 1-minute load average as the run began: what else was running (the bench's loops included). */
  load: number;
}

export interface FirstStartFigures {
  commit: string;
  quiet: FirstStart[];
  busy: FirstStart[];
}

/** A CPU-bound loop per core, as another job on the same machine would run. */
function busyLoops(): ChildProcess[] {
  return cpus().map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}

const logMs = (lines: string[], msg: string): number | null => {
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: string; ms?: number };
    if (entry.msg === msg && typeof entry.ms === 'number') return entry.ms / 1000;
  }
  return null;
};

async function once(commit: string): Promise<FirstStart> {
  const dir = mkdtempSync(join(tmpdir(), 'access-first-start-'));
  execFileSync('git', ['clone', '--quiet', '--no-checkout', ROOT, dir]);
  execFileSync('git', ['-C', dir, 'checkout', '--quiet', commit]);
  symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(dir, 'node_modules'));
  const port = await freePort();
  const load = loadavg()[0]!;
  const started = performance.now();
  // Its own process group: npm, and the bot it starts, stop together.
  const child = spawn('npm', ['start'], {
    cwd: dir,
    detached: true,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let compiled: number | null = null;
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      lines.push(line);
      if (compiled === null && line.startsWith('> node scripts/start.mjs')) compiled = performance.now() - started;
    }
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      if (exited || performance.now() - started > HANG_GUARD_MS)
        throw new Error(`npm start did not answer /healthz:\n${lines.slice(-20).join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      seconds,
      compile: compiled === null ? null : compiled / 1000,
      database: logMs(lines, 'database open'),
      migrations: logMs(lines, 'migrations applied'),
      lines: lines.length,
      load,
    };
  } finally {
    if (!exited) {
      const gone = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid!, 'SIGKILL');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchFirstStart(runs: number): Promise<FirstStartFigures> {
  const commit = execFileSync('git', ['-C', ROOT, 'rev-parse', process.env.BENCH_FIRST_START_REF ?? 'HEAD'])
    .toString()
    .trim();
  const quiet: FirstStart[] = [];
  const busy: FirstStart[] = [];
  // Interleaved, so a change in the machine's other load shows in both.
  for (let i = 0; i < runs; i += 1) {
    quiet.push(await once(commit));
    const loops = busyLoops();
    try {
      await new Promise((r) => setTimeout(r, 500));
      busy.push(await once(commit));
    } finally {
      for (const loop of loops) loop.kill('SIGKILL');
    }
  }
  return { commit, quiet, busy };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};
const medianOf = (runs: FirstStart[], pick: (r: FirstStart) => number | null) => {
  const values = runs.map(pick).filter((v): v is number => v !== null);
  return values.length === runs.length ? fmt(median(values), 1) : '-';
};

export function describeFirstStart(r: FirstStartFigures): string[] {
  return (
    [
      ['without busy loops of its own', r.quiet],
      [`beside a CPU-bound loop on each of the ${cpus().length} cores`, r.busy],
    ] as const
  ).map(([how, runs]) => {
    const total = median(runs.map((x) => x.seconds));
    const goal =
      runs === r.quiet
        ? `(the goal is for a busy machine)`
        : `<= ${GOAL_SECONDS} s: ${total <= GOAL_SECONDS ? '**met**' : '**not met**'}`;
    return (
      `| First \`npm start\` on a fresh clone (${r.commit.slice(0, 7)}) to /healthz 200, compile included, ${how} | ` +
      `median ${fmt(total, 1)} s of ${runs.length} (${runs.map((x) => fmt(x.seconds, 1)).join(', ')}): compile ${medianOf(runs, (x) => x.compile)} s, ` +
      `database created ${medianOf(runs, (x) => x.database)} s, migrations ${medianOf(runs, (x) => x.migrations)} s; ${median(runs.map((x) => x.lines))} lines of output; load average ${fmt(median(runs.map((x) => x.load)), 1)} as it began | | | ${goal} |`
    );
  });
}
