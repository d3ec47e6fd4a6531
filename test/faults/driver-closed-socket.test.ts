import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../doubles/support/until.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * postgres-js 3.4.9 throws from a setImmediate when a write is queued on a connection the server has
 * already closed (porsager/postgres#1154, #1208): an uncaught TypeError that killed the bot when its
 * database restarted. patches/postgres+3.4.9.patch (applied by patch-package on install) settles the
 * query with CONNECTION_CLOSED instead. Without the patch this file ends in an uncaught exception.
 */
let target: TestDatabase;
let sql: postgres.Sql;
let closes = 0;
let admin: postgres.Sql;

beforeAll(async () => {
  target = await createTestDatabase();
  // postgres-js tells when it has seen a connection close: the test waits for that, not for a time.
  sql = postgres(target.url, { max: 1, onnotice: () => {}, onclose: () => void (closes += 1) });
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
    // Until the driver has seen the server close the socket, however long a busy machine takes: a query
    // written before that meets the reset socket instead (ECONNRESET), not the closed connection under test.
    await until(() => closes > 0, 'the driver to see the connection closed');
    const outcome = await reserved`select 1`.then(
      () => 'answered',
      (e: { code?: string }) => e.code,
    );
    expect(outcome).toBe('CONNECTION_CLOSED');
    // (A released dead reservation stays in postgres-js's pool, #1208; the bot reserves only for migrations.)
  });
});
