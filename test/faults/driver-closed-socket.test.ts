import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../doubles/support/until.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * postgres-js 3.4.9 throws from a setImmediate when a write is queued on a connection the server has
 * already closed (porsager/postgres#1154, #1208): an uncaught TypeError that killed the bot when its
 * database restarted. patches/postgres+3.4.9.patch (applied by patch-package on install) settles the
 * query with CONNECTION_CLOSED instead. Without the patch this file ends in an uncaught exception.
 */
let target: TestDatabase;
let sql: postgres.Sql;
let admin: postgres.Sql;

beforeAll(async () => {
  target = await createTestDatabase();
  sql = postgres(target.url, { max: 1, onnotice: () => {} });
  admin = postgres(target.url, { max: 1, onnotice: () => {} });
});

afterAll(async () => {
  await sql?.end({ timeout: 1 }).catch(() => undefined);
  await admin?.end({ timeout: 1 }).catch(() => undefined);
  await target?.drop();
});

describe('the database driver when the server closes a connection', () => {
  it('rejects the next query on that connection with CONNECTION_CLOSED instead of crashing the process', async () => {
    const reserved = await sql.reserve();
    const [{ pid }] = (await reserved`select pg_backend_pid() as pid`) as unknown as [{ pid: number }];
    await admin`select pg_terminate_backend(${pid})`;
    // Until the server process is gone (its side of the socket closed), however long a busy machine takes.
    await waitFor(
      async () => (await admin`select 1 from pg_stat_activity where pid = ${pid}`).length === 0,
      'the terminated backend to exit',
    );
    const outcome = await reserved`select 1`.then(
      () => 'answered',
      (e: { code?: string }) => e.code,
    );
    expect(outcome).toBe('CONNECTION_CLOSED');
    // (A released dead reservation stays in postgres-js's pool, #1208; the bot reserves only for migrations.)
  });
});
