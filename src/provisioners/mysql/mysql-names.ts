import { createHash } from 'node:crypto';
import type { DatabaseAccessSchema } from '../../domain/policy.js';
import type { z } from 'zod';

/**
 * The pure side of the mysql provisioner: how a grant names its temporary user, how names are quoted in
 * statements that cannot take parameters (CREATE USER, GRANT), which privileges an access level means, and
 * the `tables` and `user_host` settings. Every name that reaches a statement passes one of these patterns
 * first, so quoting is a second guard, not the only one.
 */
export type Access = z.infer<typeof DatabaseAccessSchema>;

export const DEFAULT_USER_PREFIX = 'jit_';
/** MySQL 5.7 and 8 allow 32 characters in a user name (MariaDB 80): the prefix leaves room for the request. */
const USER = /^[a-z_][a-z0-9_]{0,31}$/;
export const USER_PREFIX = /^[a-z][a-z0-9_]{0,15}$/;
/** Database and table names the bot will quote: no dots (the qualified form), no quotes, no wildcards by intent. */
export const OBJECT_NAME = /^[A-Za-z0-9_$-]{1,64}$/;
/** The host part of the account: a name, an address or a pattern with % (e.g. 10.0.%), never a quote. */
const USER_HOST = /^[A-Za-z0-9.%_:-]{1,255}$/;
/** MySQL's own schemas: never granted by "all databases". */
export const SYSTEM_DATABASES = new Set(['mysql', 'information_schema', 'performance_schema', 'sys']);

/** `jit_<request>`: one user per grant, so overlapping grants of one person never share an account. */
export function userNameFor(requestId: string, prefix = DEFAULT_USER_PREFIX): string {
  const name = `${prefix}${requestId.replace(/^req_/, '')}`.toLowerCase();
  if (!USER.test(name)) throw new Error(`cannot derive a safe MySQL user name from ${requestId}`);
  return name;
}

/** The request a user name was made for, when it has this prefix and the shape userNameFor gives. */
export function requestIdOf(user: string, prefix = DEFAULT_USER_PREFIX): string | null {
  if (!user.startsWith(prefix)) return null;
  const rest = user.slice(prefix.length);
  return /^[0-9a-z]{6,24}$/.test(rest) ? `req_${rest}` : null;
}

/** `'name'@'host'`, from names that passed USER and USER_HOST (neither holds a quote or a backslash). */
export function account(user: string, host: string): string {
  if (!USER.test(user) || !USER_HOST.test(host)) throw new Error('unsafe account name');
  return `'${user}'@'${host}'`;
}

export const quoteId = (name: string) => `\`${name.replace(/`/g, '``')}\``;

/**
 * A database named at the database level of GRANT (`db`.*) is a pattern: `_` and `%` match any character
 * there, so `app_1`.* would also open `appx1`. Escaped, the grant covers exactly the database approved.
 */
export const databasePattern = (name: string) => quoteId(name.replace(/([\\_%])/g, '\\$1'));

export function privilegesFor(access: Access): string {
  return access === 'read-write' ? 'SELECT, SHOW VIEW, INSERT, UPDATE, DELETE' : 'SELECT, SHOW VIEW';
}

/**
 * The password hash MariaDB stores for mysql_native_password (`*` and the upper-case hex of
 * SHA1(SHA1(password))). Given to `IDENTIFIED BY PASSWORD '<hash>'`, the server stores it as is: the
 * password itself never travels to the server, so the general and slow logs never hold it.
 */
export function nativePasswordHash(password: string): string {
  const once = createHash('sha1').update(password, 'utf8').digest();
  return `*${createHash('sha1').update(once).digest('hex').toUpperCase()}`;
}

/** Whole days from `from` to `until`, at least 1: PASSWORD EXPIRE INTERVAL counts days only. */
export function expiryDays(from: Date, until: Date): number {
  return Math.max(1, Math.ceil((until.getTime() - from.getTime()) / 86_400_000));
}

export function userHostSetting(value: unknown): string | Error {
  if (value === undefined || value === null || value === '') return '%';
  const host = String(value);
  return USER_HOST.test(host)
    ? host
    : new Error('user_host must be a host name, an address or a pattern such as 10.0.% (no quotes or spaces).');
}

export interface TableRef {
  /** null: the table of that name in every approved database. */
  database: string | null;
  table: string;
}

/**
 * The `tables` setting: the tables a grant covers, as `table` (in every approved database) or
 * `database.table`, in a list or split by commas and spaces. Absent: whole databases.
 */
export function tablesSetting(value: unknown): TableRef[] | null | Error {
  if (value === undefined || value === null || value === '') return null;
  const names = Array.isArray(value)
    ? value.map(String)
    : String(value)
        .split(/[\s,]+/)
        .filter(Boolean);
  const refs: TableRef[] = [];
  for (const name of names) {
    const parts = name.split('.');
    const ok = parts.length <= 2 && parts.every((p) => OBJECT_NAME.test(p));
    if (!ok)
      return new Error(
        `tables must list table or database.table names (letters, digits, _ $ -): "${name}" is not one.`,
      );
    refs.push(parts.length === 2 ? { database: parts[0]!, table: parts[1]! } : { database: null, table: parts[0]! });
  }
  return refs.length > 0 ? refs : new Error('tables must name at least one table.');
}

/**
 * What `GRANT … ON` names for each approved database: the whole database, or the listed tables in it. A
 * `database.table` entry whose database was not approved grants nothing; a database left with no table
 * is left out (and refused by the caller when it was approved by name).
 */
export function grantTargets(databases: readonly string[], tables: readonly TableRef[] | null): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const db of databases) {
    if (!tables) {
      out.set(db, [`${databasePattern(db)}.*`]);
      continue;
    }
    const mine = tables.filter((t) => t.database === null || t.database === db);
    if (mine.length > 0) out.set(db, [...new Set(mine.map((t) => `${quoteId(db)}.${quoteId(t.table)}`))]);
  }
  return out;
}
