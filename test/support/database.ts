/**
 * Per-test-file PostgreSQL databases, copied from the migrated template built by ./global-setup.ts.
 *
 *   const db = await createTestDatabase();   // in beforeAll
 *   ... connect to db.url ...
 *   await db.drop();                          // in afterAll (after closing your own connections)
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import { dropDatabase, quoteIdent, withDatabase } from './global-setup.js';

export interface TestDatabase {
  /** Connection URL of the new database (same server and credentials as the admin URL). */
  url: string;
  /** Database name. */
  name: string;
  /** Disconnects every session still on the database and drops it. */
  drop(): Promise<void>;
}

/** Connection URL of the test server's maintenance database (superuser or CREATEDB role). */
export function adminUrl(): string {
  return inject('pgAdminUrl');
}

let counter = 0;

function isObjectInUse(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '55006';
}

/** Creates a fresh database with the schema of the committed migrations (`CREATE DATABASE … TEMPLATE …`). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const admin = adminUrl();
  const template = inject('pgTemplate');
  counter += 1;
  const name = `access_test_${process.pid}_${counter}_${randomBytes(3).toString('hex')}`;
  const sql = postgres(admin, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    // Copying fails with 55006 ("source database is being accessed by other users") while anything, e.g. an
    // autovacuum worker, is connected to the template: retry briefly.
    for (let attempt = 1; ; attempt += 1) {
      try {
        await sql.unsafe(`create database ${quoteIdent(name)} template ${quoteIdent(template)}`);
        break;
      } catch (error) {
        if (!isObjectInUse(error) || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
    // A commit here does not wait for its WAL to reach the disk: the suite shares the disk with the other test
    // worker (and whatever else runs), and a flush stuck behind someone's checkpoint would hold up a test for
    // nothing. What a commit makes visible, and when, is unchanged; only a crash of the server could lose the
    // last moment's commits, and no test crashes this server (the database-down test starts its own).
    await sql.unsafe(`alter database ${quoteIdent(name)} set synchronous_commit = off`);
  } finally {
    await sql.end({ timeout: 5 });
  }
  let dropped = false;
  return {
    url: withDatabase(admin, name),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await dropDatabase(admin, name);
    },
  };
}

/** Creates a fresh database with no schema at all (nothing migrated), as a first deployment finds it. */
export async function createEmptyDatabase(): Promise<TestDatabase> {
  const admin = adminUrl();
  counter += 1;
  const name = `access_empty_${process.pid}_${counter}_${randomBytes(3).toString('hex')}`;
  const sql = postgres(admin, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await sql.unsafe(`create database ${quoteIdent(name)}`);
  } finally {
    await sql.end({ timeout: 5 });
  }
  return { url: withDatabase(admin, name), name, drop: () => dropDatabase(admin, name) };
}

/**
 * A database standing in for a production target the provisioners grant access to: a fresh test
 * database with a `payments (id, amount)` table holding `rows`.
 */
export async function createTargetDatabase(rows: Array<[id: number, amount: number]>): Promise<TestDatabase> {
  const target = await createTestDatabase();
  const admin = postgres(target.url, { onnotice: () => {}, max: 1 });
  try {
    await admin`create table payments (id int primary key, amount int)`;
    for (const [id, amount] of rows) await admin`insert into payments values (${id}, ${amount})`;
  } finally {
    await admin.end();
  }
  return target;
}
