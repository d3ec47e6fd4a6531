import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from '../doubles/slack/driver.js';
import { rssMiB, treeRssMiB } from '../test/support/bot-process.js';
import { requesterIds, startBenchEnv, webhookCatalogue } from './environment.js';
import { fmt } from './support.js';

/**
 * The production start's memory: the compiled bot (`node dist/main.js`, as npm start and the image run
 * it) idle after start-up and one `/access request`, on PostgreSQL and on the embedded default (no
 * DATABASE_URL: bot and the database it starts, counted together, on the first start that creates the
 * database and on a restart that finds it); then where that memory goes: V8's heap and the rest from
 * inside the process (a probe answers SIGUSR2), and what each large dependency costs on its own in a bare
 * Node process.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Issue 24: the bot on PostgreSQL, idle. */
const GOAL_MIB = 110;
/**
 * V8 keeps the heap pages start-up grew into until its memory reducer runs, some 20-40 s into an idle
 * spell (measured: 119 MiB from 3 s to 20 s after the last request, 87 MiB from 40 s on). An operator's
 * bot is idle far longer than that, so the goal is read after this long; the 3 s figure stands beside it.
 */
const SETTLE_SECONDS = 45;
/** Issue 24: the embedded default, bot and database together, on the first start and on a restart. */
const EMBEDDED_GOAL_MIB = 250;

export interface MemoryFigures {
  kind: 'postgres' | 'embedded, first start' | 'embedded, restart';
  /** The bot and every process it started (the embedded database's), in MiB, 3 s after the last request. */
  rssIdle: number;
  /** The same after SETTLE_SECONDS idle (measured on PostgreSQL only), in MiB. */
  rssSettled: number | null;
  bot: number;
  database: { rss: number; processes: number };
  /** Bot and database by proportional set size: each shared page split among the processes mapping it. */
  pss: number;
  usage: { heapUsed: number; heapTotal: number; external: number; arrayBuffers: number } | null;
}
export interface DependencyCost {
  what: string;
  rss: number;
}

/** Writes process.memoryUsage() to stderr on SIGUSR2 (loaded with --import; bench only). */
const PROBE = `process.on('SIGUSR2', () => { global.gc?.(); process.stderr.write('MEMORY ' + JSON.stringify(process.memoryUsage()) + '\\n'); });`;

async function measure(kind: MemoryFigures['kind'], dataDir?: string): Promise<MemoryFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'access-mem-'));
  const probe = join(dir, 'probe.mjs');
  writeFileSync(probe, PROBE);
  const env = await startBenchEnv({
    requesters: 5,
    accessFile: (url) => webhookCatalogue(url, 20),
    nodeArgs: ['--expose-gc', '--import', probe],
    ...(dataDir ? { database: { dataDir } } : {}),
  });
  try {
    const user = requesterIds(1)[0]!;
    await env.driver.command(user, '/access', 'request');
    await until(() => env.slack.topView(user), 'the request modal');
    // Idle: the workers have run their first rounds; what stays resident is what an operator pays.
    await new Promise((r) => setTimeout(r, 3000));
    const tree = await treeRssMiB(env.bot.pid);
    let rssSettled: number | null = null;
    if (kind === 'postgres') {
      await new Promise((r) => setTimeout(r, (SETTLE_SECONDS - 3) * 1000));
      const settled = await treeRssMiB(env.bot.pid);
      rssSettled = settled.self + settled.children;
    }
    const before = env.bot.output.length;
    process.kill(env.bot.pid, 'SIGUSR2');
    const line = await until(
      () => env.bot.output.slice(before).find((l) => l.startsWith('MEMORY ')),
      'the memory probe',
    ).catch(() => null);
    const mib = (n: number) => n / 2 ** 20;
    const raw = line ? (JSON.parse(line.slice('MEMORY '.length)) as Record<string, number>) : null;
    const usage = raw
      ? {
          heapUsed: mib(raw.heapUsed!),
          heapTotal: mib(raw.heapTotal!),
          external: mib(raw.external!),
          arrayBuffers: mib(raw.arrayBuffers!),
        }
      : null;
    return {
      kind,
      rssIdle: tree.self + tree.children,
      rssSettled,
      bot: tree.self,
      database: { rss: tree.children, processes: tree.processes },
      pss: tree.pss,
      usage,
    };
  } finally {
    await env.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The embedded default twice on one data directory: created on the first start, found on the second. */
async function measureEmbedded(): Promise<MemoryFigures[]> {
  const dir = mkdtempSync(join(tmpdir(), 'access-mem-data-'));
  try {
    return [await measure('embedded, first start', dir), await measure('embedded, restart', dir)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** RSS of a bare Node process after importing `modules` (nothing else running), in MiB. */
async function importCost(modules: string[]): Promise<number> {
  const code = `${modules.map((m) => `await import(${JSON.stringify(m)});`).join(' ')} process.stdout.write('ready\\n'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => c.toString().includes('ready') && resolve());
      child.once('exit', (c) => reject(new Error(`import of ${modules.join(', ')} exited ${c}`)));
    });
    await new Promise((r) => setTimeout(r, 500));
    return await rssMiB(child.pid!);
  } finally {
    child.kill('SIGKILL');
  }
}

export async function benchMemory(): Promise<{ figures: MemoryFigures[]; costs: DependencyCost[] }> {
  const figures = [await measure('postgres'), ...(await measureEmbedded())];
  const costs: DependencyCost[] = [];
  const bare = await importCost([]);
  costs.push({ what: 'bare Node process', rss: bare });
  for (const [what, modules] of [
    ['@slack/bolt (with @slack/web-api, axios)', ['@slack/bolt']],
    ['drizzle-orm + postgres (postgres-js)', ['drizzle-orm/postgres-js', 'postgres']],
    ['pino + zod + date-fns + yaml', ['pino', 'zod', 'date-fns', 'yaml']],
    ['the whole compiled app (dist/app.js), nothing started', ['./dist/app.js']],
  ] as const) {
    costs.push({ what, rss: (await importCost([...modules])) - bare });
  }
  return { figures, costs };
}

export function describeMemory(r: { figures: MemoryFigures[]; costs: DependencyCost[] }): {
  rows: string[];
  notes: string[];
} {
  const rows = r.figures.map((f) => {
    const embedded = f.kind !== 'postgres';
    const goalMiB = embedded ? EMBEDDED_GOAL_MIB : GOAL_MIB;
    const judged = f.rssSettled ?? f.rssIdle;
    const goal = `<= ${goalMiB} MiB${f.rssSettled === null ? '' : ` after ${SETTLE_SECONDS} s`}: ${judged <= goalMiB ? '**met**' : '**not met**'}`;
    const inside = f.usage
      ? `V8 heap ${fmt(f.usage.heapUsed, 0)} of ${fmt(f.usage.heapTotal, 0)} MiB, external ${fmt(f.usage.external, 0)} MiB (array buffers ${fmt(f.usage.arrayBuffers, 0)})`
      : 'probe gave no answer';
    const split = embedded
      ? `bot ${fmt(f.bot, 0)} MiB + database ${fmt(f.database.rss, 0)} MiB (${f.database.processes} processes); by PSS, shared pages split among the processes mapping them, ${fmt(f.pss, 0)} MiB together; `
      : '';
    const what = embedded
      ? `embedded default (no DATABASE_URL), ${f.kind === 'embedded, first start' ? 'first start (database created)' : 'restart (database found)'}, bot + database`
      : 'PostgreSQL';
    const value =
      f.rssSettled === null
        ? `${fmt(f.rssIdle, 0)} MiB`
        : `${fmt(f.rssSettled, 0)} MiB after ${SETTLE_SECONDS} s idle (${fmt(f.rssIdle, 0)} MiB 3 s after the request)`;
    return `| Production start (\`node dist/main.js\`), RSS idle after start-up and one /access request, ${what} | ${value} | ${split}${inside} | | ${goal} |`;
  });
  const notes = [
    `Where the production start's memory goes, measured in a bare Node process per dependency (RSS above a bare process): ${r.costs.map((c) => `${c.what} ${fmt(c.rss, 0)} MiB`).join('; ')}.`,
  ];
  return { rows, notes };
}
