import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { HANG_GUARD_MS } from '../../doubles/support/until.js';

/**
 * The bot as its own operating-system process: the fault tests kill it with SIGKILL, and the
 * benchmarks measure it without the load generator sharing its event loop. `entry: 'source'` (the
 * default, for tests: nothing to compile) runs `node --import tsx src/main.ts`; `entry: 'dist'` runs
 * the compiled `node dist/main.js` exactly as `npm start` and the Docker image do (build it first).
 * No vitest import here, so bench/ uses it too.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface BotProcess {
  port: number;
  pid: number;
  /** http://127.0.0.1:PORT */
  url: string;
  eventsUrl: string;
  /** stdout and stderr lines (JSON logs), newest last; for failure messages. */
  output: string[];
  /** Resolves when the process has exited (with its signal or code). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL, then wait until the process is gone: no shutdown hook runs, as in a crash. */
  crash(): Promise<void>;
  /** SIGTERM (a clean shutdown), SIGKILL if it has not ended after 5 s. */
  stop(): Promise<void>;
}

export interface BotProcessOptions {
  /** The bot's environment (SLACK_*, DATABASE_URL, ACCESS_CONFIG…); PORT and HOST are filled in. */
  env: Record<string, string>;
  /** Reuse a port across restarts so the driver's URL stays valid; a free one otherwise. */
  port?: number;
  /** A hang guard (default HANG_GUARD_MS), not a budget. */
  startTimeoutMs?: number;
  /** Extra node flags (the benchmarks pass --cpu-prof and the like, which NODE_OPTIONS refuses). */
  nodeArgs?: string[];
  /** The TypeScript sources through tsx (default) or the compiled dist/ that npm start runs. */
  entry?: 'source' | 'dist';
}

/** Starts the bot and resolves once GET /healthz answers 200. */
export async function startBotProcess(options: BotProcessOptions): Promise<BotProcess> {
  const port = options.port ?? (await freePort());
  const main = options.entry === 'dist' ? ['dist/main.js'] : ['--import', 'tsx', 'src/main.ts'];
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), ...main], {
    cwd: ROOT,
    // Only what the bot needs: the test runner's own variables (NODE_OPTIONS, VITEST…) stay out.
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      LOG_LEVEL: 'warn',
      ...options.env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) output.push(line);
    if (output.length > 400) output.splice(0, output.length - 400);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? HANG_GUARD_MS);
  for (;;) {
    if (gone) throw new Error(`the bot exited during start-up:\n${output.slice(-20).join('\n')}`);
    const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the bot did not answer /healthz within the start timeout:\n${output.slice(-20).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    pid: child.pid!,
    url,
    eventsUrl: `${url}/slack/events`,
    output,
    exited,
    async crash() {
      if (!gone) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (gone) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resident memory of a process in MiB (Linux /proc), for the benchmarks. */
export async function rssMiB(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** `pid` and every process below it (Linux /proc: each process's parent from its stat line). */
export async function processTree(pid: number): Promise<number[]> {
  const { readFile, readdir } = await import('node:fs/promises');
  const children = new Map<number, number[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // The command name (2nd field) may hold spaces and parentheses: the parent pid follows the last ')'.
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (parent) children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const tree: number[] = [];
  const walk = (p: number) => {
    tree.push(p);
    for (const child of children.get(p) ?? []) walk(child);
  };
  walk(pid);
  return tree;
}

/**
 * Resident memory of a process and of every process it started (the embedded PostgreSQL's server and
 * its backends), in MiB. `children` adds up each process's RSS, so pages the server's processes share
 * count once per process: an upper bound. `pss` shares each page among the processes that map it (Linux
 * smaps_rollup): what the whole tree takes.
 */
export async function treeRssMiB(
  pid: number,
): Promise<{ self: number; children: number; processes: number; pss: number }> {
  const { readFile } = await import('node:fs/promises');
  const pssMiB = async (p: number) =>
    Number(/Pss:\s+(\d+)/.exec(await readFile(`/proc/${p}/smaps_rollup`, 'utf8').catch(() => ''))?.[1] ?? 0) / 1024;
  const [self, ...rest] = await processTree(pid);
  const children = await Promise.all(rest.map((p) => rssMiB(p).catch(() => 0)));
  const pss = await Promise.all([self!, ...rest].map(pssMiB));
  return {
    self: await rssMiB(self!),
    children: children.reduce((a, b) => a + b, 0),
    processes: rest.length,
    pss: pss.reduce((a, b) => a + b, 0),
  };
}

/**
 * Which of `pids` holds the TCP connection from local port `localPort` to port `remotePort` (Linux
 * /proc: the socket's inode in /proc/net/tcp, then the process with that inode among its fds). The
 * fault tests use it to kill the replica whose call a target is holding, not one picked blindly.
 */
export async function pidOfConnection(
  localPort: number,
  remotePort: number,
  pids: number[],
): Promise<number | undefined> {
  const { readFile, readdir, readlink } = await import('node:fs/promises');
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const rows = await readFile(table, 'utf8').catch(() => '');
    for (const row of rows.split('\n').slice(1)) {
      const f = row.trim().split(/\s+/);
      if (f[1]?.endsWith(`:${hex(localPort)}`) && f[2]?.endsWith(`:${hex(remotePort)}`)) inodes.add(`socket:[${f[9]}]`);
    }
  }
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) if (inodes.has(await readlink(`/proc/${pid}/fd/${fd}`).catch(() => ''))) return pid;
  }
  return undefined;
}
