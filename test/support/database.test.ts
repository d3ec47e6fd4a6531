import { existsSync, readFileSync } from 'node:fs';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminUrl, createTestDatabase, type TestDatabase } from './database.js';

describe('test database harness', () => {
  let first: TestDatabase;
  let second: TestDatabase;
  let sqlFirst: postgres.Sql;
  let sqlSecond: postgres.Sql;

  beforeAll(async () => {
    [first, second] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    sqlFirst = postgres(first.url, { max: 1, onnotice: () => {} });
    sqlSecond = postgres(second.url, { max: 1, onnotice: () => {} });
  });

  afterAll(async () => {
    await Promise.all([sqlFirst?.end({ timeout: 5 }), sqlSecond?.end({ timeout: 5 })]);
    await Promise.all([first?.drop(), second?.drop()]);
  });

  it('answers select version()', async () => {
    const [row] = await sqlFirst<{ version: string }[]>`select version()`;
    expect(row?.version).toMatch(/^PostgreSQL \d+/);
  });

  it('creates two distinct databases on the admin URL’s server', async () => {
    expect(first.name).not.toBe(second.name);
    const [row] = await sqlFirst<{ db: string }[]>`select current_database() as db`;
    expect(row?.db).toBe(first.name);
    expect(new URL(first.url).host).toBe(new URL(adminUrl()).host);
  });

  it('isolates databases: a table written in one is absent from the other', async () => {
    await sqlFirst`create table isolation_probe (id int primary key, note text not null)`;
    await sqlFirst`insert into isolation_probe values (1, 'only in the first database')`;

    const [inFirst] = await sqlFirst<{ n: number }[]>`select count(*)::int as n from isolation_probe`;
    expect(inFirst?.n).toBe(1);

    const [inSecond] = await sqlSecond<{ t: string | null }[]>`select to_regclass('public.isolation_probe')::text as t`;
    expect(inSecond?.t).toBeNull();
  });

  it('copies the template: the committed drizzle migrations are applied', async () => {
    const journal = new URL('../../drizzle/meta/_journal.json', import.meta.url);
    if (!existsSync(journal)) {
      // No migrations committed yet: the template is an empty database.
      const [row] = await sqlFirst<
        { t: string | null }[]
      >`select to_regclass('drizzle.__drizzle_migrations')::text as t`;
      expect(row?.t).toBeNull();
      return;
    }
    const { entries } = JSON.parse(readFileSync(journal, 'utf8')) as { entries: unknown[] };
    const [row] = await sqlSecond<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`;
    expect(row?.n).toBe(entries.length);
  });

  it('drop() removes the database', async () => {
    const third = await createTestDatabase();
    await third.drop();
    const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
    try {
      const rows = await admin`select 1 from pg_database where datname = ${third.name}`;
      expect(rows).toHaveLength(0);
    } finally {
      await admin.end({ timeout: 5 });
    }
  });
});
