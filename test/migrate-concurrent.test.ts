import { readFileSync } from 'node:fs';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATION_LOCK, openDatabase, type Database } from '../src/db/client.js';
import { createEmptyDatabase, type TestDatabase } from './support/database.js';
import { waitFor } from '../doubles/support/until.js';

/**
 * A rollout starts several replicas (and the migration Job) at once against one PostgreSQL: every one of
 * them runs the migrations at start-up. They must all come up, and each migration must be applied once.
 */
const migrationsFolder = new URL('../drizzle', import.meta.url).pathname;
const journal = JSON.parse(readFileSync(new URL('../drizzle/meta/_journal.json', import.meta.url), 'utf8')) as {
  entries: Array<{ when: number }>;
};

let fresh: TestDatabase | undefined;
const open: Array<Database | postgres.Sql> = [];

afterEach(async () => {
  for (const c of open.splice(0)) await ('close' in c ? c.close() : c.end({ timeout: 5 }));
  await fresh?.drop();
  fresh = undefined;
});

async function applied(url: string): Promise<number[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  open.push(sql);
  const rows = await sql<
    Array<{ created_at: string }>
  >`select created_at from drizzle.__drizzle_migrations order by id`;
  return rows.map((r) => Number(r.created_at));
}

describe('migrations when replicas start together', () => {
  it('three replicas migrating a fresh database at once all succeed, and each migration is applied once', async () => {
    fresh = await createEmptyDatabase();
    const replicas = await Promise.all([1, 2, 3].map(() => openDatabase({ url: fresh!.url })));
    open.push(...replicas);

    await Promise.all(replicas.map((r) => r.migrate()));

    expect(await applied(fresh.url)).toEqual(journal.entries.map((e) => e.when));
    // The schema is there and usable.
    const sql = postgres(fresh.url, { max: 1, onnotice: () => {} });
    open.push(sql);
    expect((await sql`select count(*)::int as n from access_requests`)[0]!.n).toBe(0);
  });

  it('a replica starting while another one migrates waits for it, then finds nothing left to do', async () => {
    fresh = await createEmptyDatabase();
    // The test plays the first replica: it holds the migration lock while it applies the migrations.
    const first = postgres(fresh.url, { max: 1, onnotice: () => {} });
    open.push(first);
    await first`select pg_advisory_lock(${MIGRATION_LOCK}::bigint)`;

    const second = await openDatabase({ url: fresh.url });
    open.push(second);
    let done = false;
    const migrating = second.migrate().then(() => (done = true));

    // The second replica is queued on the lock (PostgreSQL shows it waiting), having applied nothing.
    await waitFor(
      async () =>
        (
          await first`select 1 from pg_locks where locktype = 'advisory' and not granted and objid = ${MIGRATION_LOCK} and database = (select oid from pg_database where datname = current_database())`
        ).length === 1,
      'the second replica to wait for the migration lock',
    );
    expect(done).toBe(false);
    expect((await first`select to_regclass('drizzle.__drizzle_migrations') as t`)[0]!.t).toBeNull();

    await migrate(drizzle(first), { migrationsFolder });
    await first`select pg_advisory_unlock(${MIGRATION_LOCK}::bigint)`;
    await migrating;

    expect(await applied(fresh.url)).toEqual(journal.entries.map((e) => e.when));
  });
});
