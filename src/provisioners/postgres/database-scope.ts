import type postgres from 'postgres';
import { PermanentProvisioningError } from '../port.js';

/**
 * What a temporary role may touch, database by database. Nothing is granted cluster-wide (no
 * `pg_read_all_data` / `pg_write_all_data`, which read every database and bypass the tuning): the role gets
 * CONNECT and, in each approved database, USAGE on the schemas and table and sequence privileges on what
 * they hold when the grant is made. A database that was not approved gets nothing from the bot, so its
 * tables answer "permission denied" even where PUBLIC may connect.
 */
export type Access = 'read-only' | 'read-write';

export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

const SCHEMA = /^[a-z_][a-z0-9_$]{0,62}$/;

/**
 * The `schemas` setting: the schemas a grant covers in every approved database (a list, or names split by
 * commas or spaces). Absent means every schema but PostgreSQL's own (`pg_*`, `information_schema`).
 */
export function schemasSetting(value: unknown): string[] | null | Error {
  if (value === undefined || value === null || value === '') return null;
  const names = Array.isArray(value)
    ? value.map(String)
    : String(value)
        .split(/[\s,]+/)
        .filter(Boolean);
  const bad = names.find((n) => !SCHEMA.test(n) || n.startsWith('pg_') || n === 'information_schema');
  if (bad !== undefined || names.length === 0)
    return new Error(
      `schemas must list schema names (lower-case letters, digits, _), not PostgreSQL's own: "${bad ?? ''}" is not one.`,
    );
  return names;
}

/**
 * The databases a grant reaches: the approved ones (each must exist), or, when the approver left the list
 * empty ("all databases"), every database the admin may connect to now. Databases created later are not
 * included: the grant covers what the approver could see.
 */
export async function targetDatabases(admin: postgres.Sql, approved: readonly string[]): Promise<string[]> {
  if (approved.length > 0) {
    const found = await admin<
      { datname: string }[]
    >`select datname from pg_database where datname in ${admin(approved)}`;
    const missing = approved.find((d) => !found.some((f) => f.datname === d));
    if (missing !== undefined) throw new PermanentProvisioningError(`database "${missing}" does not exist`);
    return [...approved];
  }
  // By oid: has_database_privilege(name) raises for a database dropped while we read the list.
  // datconnlimit -2 marks a database whose DROP was interrupted (PostgreSQL refuses connections to it).
  const rows = await admin<{ datname: string }[]>`
    select datname from pg_database
    where datallowconn and not datistemplate and datconnlimit <> -2 and has_database_privilege(oid, 'CONNECT')
    order by datname`;
  return rows.map((r) => r.datname);
}

/**
 * Grants `role` its access inside the database `sql` is connected to, in one transaction: CONNECT on the
 * database, USAGE on the covered schemas, SELECT on their tables, views and sequences, and for read-write
 * also INSERT, UPDATE, DELETE and sequence use. No ALTER DEFAULT PRIVILEGES: it would only cover tables the
 * bot's own admin role creates later, and leaves per-schema entries behind; tables created after the grant
 * are simply not part of it.
 */
export async function grantInDatabase(
  sql: postgres.Sql,
  database: string,
  role: string,
  access: Access,
  options: { schemas: readonly string[] | null; approved: boolean },
): Promise<void> {
  const r = quoteIdent(role);
  await sql.begin(async (tx) => {
    await tx.unsafe(`grant connect on database ${quoteIdent(database)} to ${r}`);
    // PostgreSQL reserves pg_* for its own schemas (pg_catalog, pg_toast, pg_temp_N). A schema the admin
    // role may not grant on (it neither owns it nor holds USAGE WITH GRANT OPTION) is left out.
    const rows = await tx<{ nspname: string; grantable: boolean }[]>`
      select nspname, has_schema_privilege(oid, 'USAGE WITH GRANT OPTION') as grantable from pg_namespace
      where nspname <> 'information_schema' and left(nspname, 3) <> 'pg_'
      ${options.schemas ? tx`and nspname in ${tx(options.schemas as string[])}` : tx``}
      order by nspname`;
    const grantable = rows.filter((row) => row.grantable);
    // A database the approver named must not turn into a login that silently reads nothing there.
    if (options.approved && rows.length > 0 && grantable.length === 0)
      throw new PermanentProvisioningError(
        `the admin role may not grant access to the schemas of database "${database}" (it needs to own them, or be a member of their owner)`,
      );
    for (const { nspname } of grantable) {
      const s = quoteIdent(nspname);
      await tx.unsafe(`grant usage on schema ${s} to ${r}`);
      await tx.unsafe(`grant select on all tables in schema ${s} to ${r}`);
      await tx.unsafe(`grant select on all sequences in schema ${s} to ${r}`);
      if (access === 'read-write') {
        await tx.unsafe(`grant insert, update, delete on all tables in schema ${s} to ${r}`);
        await tx.unsafe(`grant usage, update on all sequences in schema ${s} to ${r}`);
      }
    }
  });
}

/**
 * Every database where `role` owns something or holds a privilege, read from pg_shdepend (the server's own
 * record of which database refers to which role). Removal visits exactly these: not only the approved ones,
 * since PUBLIC may have let the role connect elsewhere and create objects, which would block DROP ROLE.
 */
export async function databasesHolding(admin: postgres.Sql, role: string): Promise<string[]> {
  const rows = await admin<{ datname: string }[]>`
    select distinct d.datname from pg_shdepend s
    join pg_database d on d.oid = s.dbid
    where s.refclassid = 'pg_authid'::regclass and s.refobjid = (select oid from pg_roles where rolname = ${role})
    order by d.datname`;
  return rows.map((r) => r.datname);
}

/** Roles that read or write every database, which an older version of the bot granted; taken away on sight. */
export async function revokeClusterWideRoles(tx: postgres.TransactionSql, role: string): Promise<void> {
  const held = await tx<{ rolname: string }[]>`
    select g.rolname from pg_auth_members m
    join pg_roles g on g.oid = m.roleid join pg_roles r on r.oid = m.member
    where r.rolname = ${role} and g.rolname in ('pg_read_all_data', 'pg_write_all_data')`;
  for (const { rolname } of held) await tx.unsafe(`revoke ${rolname} from ${quoteIdent(role)}`);
}

/**
 * Ending another role's sessions, REASSIGN OWNED and DROP OWNED need that role's privileges, which a
 * CREATEROLE admin that is not a superuser lacks (PostgreSQL 16 gives the creator ADMIN OPTION only). The
 * admin makes itself a member of the role it is about to drop (CREATEROLE, or ADMIN OPTION, allows that);
 * DROP ROLE removes the membership with the role.
 */
export async function actAsRole(admin: postgres.Sql, role: string): Promise<void> {
  const [me] = await admin<{ rolsuper: boolean; member: boolean }[]>`
    select rolsuper, pg_has_role(current_user, ${role}, 'USAGE') as member from pg_roles where rolname = current_user`;
  if (me && !me.rolsuper && !me.member) await admin.unsafe(`grant ${quoteIdent(role)} to current_user`);
}
