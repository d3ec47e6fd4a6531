import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, reconnectDelaySeconds, type Database } from '../../src/db/client.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * Every backend of the bot's pool is killed at once (what a database restart or failover does to the
 * pool). The reads and transactions sent right after must still be answered: the ones that met a dead
 * connection before running are tried once more on a fresh one (db/stale-connection.ts).
 */
let target: TestDatabase;
let database: Database;
let admin: postgres.Sql;

beforeAll(async () => {
  target = await createTestDatabase();
  database = await openDatabase({ url: target.url });
  admin = postgres(target.url, { max: 1, onnotice: () => {} });
});

afterAll(async () => {
  await database?.close();
  await admin?.end({ timeout: 1 });
  await target?.drop();
});

const killPool = async () =>
  admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;

describe('a pool whose connections all died at once', () => {
  it('answers the reads and transactions sent right after', async () => {
    for (let round = 0; round < 5; round += 1) {
      // Fill the pool: ten connections, all busy at once, then idle.
      await Promise.all(Array.from({ length: 10 }, () => database.db.execute(sql`select pg_sleep(0.01)`)));
      await killPool();
      const reads = Array.from({ length: 10 }, (_, i) => database.db.execute(sql`select ${i}::int as n`));
      const writes = Array.from({ length: 3 }, () =>
        database.db.transaction(async (tx) => tx.execute(sql`select 1 as one`)),
      );
      const answers = await Promise.allSettled([...reads, ...writes]);
      expect(
        answers.filter((a) => a.status === 'rejected').map((a) => String((a as PromiseRejectedResult).reason)),
      ).toEqual([]);
    }
  });
});

describe('reconnecting after failures', () => {
  it('waits at most 0.2 s however many connects failed (postgres-js alone waits up to 20 s)', () => {
    for (const failures of [0, 1, 5, 10, 50]) expect(reconnectDelaySeconds(failures)).toBeLessThanOrEqual(0.2);
    expect(reconnectDelaySeconds(1)).toBeLessThan(0.05);
  });
});
