/**
 * vitest global setup, MySQL side: finds the MariaDB (or MySQL) server the mysql provisioner's tests grant
 * in, starting the local one when it is installed but down, and provides its root URL to the test files
 * (`inject('mysqlRootUrl')`; use ./mariadb.ts rather than this directly).
 *
 * Server: `TEST_MYSQL_URL` if set, else `mysql://root@127.0.0.1:3306/` (root, empty password). When that
 * does not answer and /usr/sbin/mariadbd exists, it is started as Debian's service would be and waited
 * for. A server that cannot be had is not this setup's failure (the other suites do not need one): it
 * provides the reason instead, and every MySQL test file fails with it in its beforeAll. Never a skip.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createConnection } from 'mysql2/promise';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A MySQL URL with the rights to create databases and accounts, or '' when none could be had. */
    mysqlRootUrl: string;
    /** Why there is no MySQL server, when mysqlRootUrl is ''. */
    mysqlProblem: string;
  }
}

const DEFAULT_URL = 'mysql://root@127.0.0.1:3306/';
const MARIADBD = '/usr/sbin/mariadbd';
/** A cold start with crash recovery takes seconds; this bounds a server that never comes up, not a normal start. */
const START_DEADLINE_MS = 120_000;

function log(message: string): void {
  process.stderr.write(`[test mysql] ${message}\n`);
}

async function ping(url: string): Promise<void> {
  const u = new URL(url);
  const conn = await createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    connectTimeout: 3000,
  });
  try {
    await conn.query('SELECT 1');
  } finally {
    await conn.end().catch(() => conn.destroy());
  }
}

function startLocalServer(): void {
  // Debian's package makes /run/mysqld at boot (tmpfiles), which a container may not have done.
  if (!existsSync('/run/mysqld')) {
    mkdirSync('/run/mysqld', { recursive: true });
    execFileSync('chown', ['mysql:mysql', '/run/mysqld']);
  }
  execFileSync('start-stop-daemon', ['--start', '--oknodo', '--background', '--exec', MARIADBD], { stdio: 'inherit' });
}

async function findServer(): Promise<string> {
  const configured = process.env.TEST_MYSQL_URL;
  const url = configured || DEFAULT_URL;
  try {
    await ping(url);
    return url;
  } catch (error) {
    if (configured) throw new Error(`TEST_MYSQL_URL is set but MySQL does not answer there: ${String(error)}`);
    if (!existsSync(MARIADBD))
      throw new Error(
        `no MySQL server at 127.0.0.1:3306 and MariaDB is not installed (apt-get install mariadb-server)`,
      );
    log(`no server at 127.0.0.1:3306 (${String(error)}); starting ${MARIADBD}`);
  }
  startLocalServer();
  const deadline = Date.now() + START_DEADLINE_MS;
  for (;;) {
    try {
      await ping(url);
      log('MariaDB is up at 127.0.0.1:3306');
      return url;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`MariaDB was started but did not answer on 127.0.0.1:3306: ${String(error)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export default async function setup(project: TestProject): Promise<void> {
  try {
    project.provide('mysqlRootUrl', await findServer());
    project.provide('mysqlProblem', '');
  } catch (error) {
    const problem = error instanceof Error ? error.message : String(error);
    log(`the MySQL provisioner's tests will fail: ${problem}`);
    project.provide('mysqlRootUrl', '');
    project.provide('mysqlProblem', problem);
  }
}
