import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/client.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

/**
 * `access_db_statements_total` (and the benchmark's statements-per-approval figure) counts what the driver
 * sends: one per statement, BEGIN and COMMIT for a transaction, SAVEPOINT and RELEASE for a nested one.
 */
let target: TestDatabase;
const opened: Database[] = [];
beforeAll(async () => {
  target = await createTestDatabase();
});
afterAll(async () => {
  for (const d of opened) await d.close();
  await target?.drop();
});

async function counted(database: Database, work: () => Promise<unknown>): Promise<number> {
  const before = database.pool().statements;
  await work();
  return database.pool().statements - before;
}

describe.each([
  ['PostgreSQL', async () => openDatabase({ url: target.url })],
  ['the embedded database', async () => openDatabase({ dataDir: mkdtempSync(join(tmpdir(), 'access-count-')) })],
])('statements counted on %s', (_name, open) => {
  let database: Database;
  beforeAll(async () => {
    database = await open();
    opened.push(database);
  });

  it('one for a statement on its own', async () => {
    expect(await counted(database, () => database.db.execute(sql`select 1`))).toBe(1);
  });

  it('two in a transaction, with BEGIN and COMMIT, make four', async () => {
    const n = await counted(database, () =>
      database.db.transaction(async (tx) => {
        await tx.execute(sql`select 1`);
        await tx.execute(sql`select 2`);
      }),
    );
    expect(n).toBe(4);
  });

  it('a nested transaction adds its SAVEPOINT and RELEASE', async () => {
    const n = await counted(database, () =>
      database.db.transaction(async (tx) => {
        await tx.execute(sql`select 1`);
        await tx.transaction(async (inner) => {
          await inner.execute(sql`select 2`);
        });
      }),
    );
    expect(n).toBe(6);
  });
});
