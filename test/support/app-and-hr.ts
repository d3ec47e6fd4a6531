/**
 * Two target databases on one server, for tests of what a database grant reaches: `app` with
 * `public.orders` (and `reporting.daily`, a second schema), `hr` with `public.salaries`. Each has a
 * unique name, so parallel runs never share them.
 */
import postgres from 'postgres';
import { createEmptyDatabase, type TestDatabase } from './database.js';

export interface AppAndHr {
  app: TestDatabase;
  hr: TestDatabase;
  drop(): Promise<void>;
}

async function run(url: string, statements: string[]): Promise<void> {
  const sql = postgres(url, { onnotice: () => {}, max: 1 });
  try {
    for (const statement of statements) await sql.unsafe(statement);
  } finally {
    await sql.end();
  }
}

export async function createAppAndHr(): Promise<AppAndHr> {
  const app = await createEmptyDatabase();
  const hr = await createEmptyDatabase();
  await run(app.url, [
    `create table orders (id serial primary key, item text not null)`,
    `insert into orders (item) values ('book')`,
    `create schema reporting`,
    `create table reporting.daily (day int, total int)`,
    `insert into reporting.daily values (1, 10)`,
  ]);
  await run(hr.url, [`create table salaries (name text, amount int)`, `insert into salaries values ('ada', 9000)`]);
  return {
    app,
    hr,
    async drop() {
      await app.drop();
      await hr.drop();
    },
  };
}

/** A connection to `database` as the temporary role, with the password the requester was given. */
export function loginAs(database: TestDatabase, role: string, password: string): postgres.Sql {
  const url = new URL(database.url);
  url.username = role;
  url.password = password;
  return postgres(url.toString(), { max: 1, onnotice: () => {}, connect_timeout: 5, fetch_types: false });
}

/** Does the role exist on the server, and how many catalogue entries in any database still refer to it? */
export async function traces(admin: TestDatabase, role: string): Promise<{ role: boolean; references: number }> {
  const sql = postgres(admin.url, { onnotice: () => {}, max: 1 });
  try {
    const [row] = await sql`
      select exists (select 1 from pg_roles where rolname = ${role}) as role,
        (select count(*)::int from pg_shdepend s join pg_roles r on r.oid = s.refobjid where r.rolname = ${role}) as references`;
    return { role: Boolean(row!.role), references: Number(row!.references) };
  } finally {
    await sql.end();
  }
}
