import { randomBytes } from 'node:crypto';
import type { Connection } from 'mysql2/promise';
import { PermanentProvisioningError, type GrantContext, type Provisioner, type ProvisionResult } from '../port.js';
import { isSecretRef } from '../secrets.js';
import { classify, closeQuietly, connectAdmin, parseAdminUrl, warmMysql } from './admin-connection.js';
import {
  account,
  DEFAULT_USER_PREFIX,
  expiryDays,
  grantTargets,
  nativePasswordHash,
  OBJECT_NAME,
  privilegesFor,
  requestIdOf,
  tablesSetting,
  USER_PREFIX,
  userHostSetting,
  userNameFor,
} from './mysql-names.js';
import { hostsOf, isMariaDb, removeAccount, targetDatabases, usersWithPrefix } from './mysql-scope.js';

/**
 * Temporary MySQL / MariaDB accounts (docs/provisioners/mysql.md). Each grant gets its own account
 * `'jit_<request>'@'<user_host>'` with a generated password that reaches the requester once (MariaDB is
 * given only its hash), `PASSWORD EXPIRE INTERVAL` the grant's length in whole days as the server's own
 * backstop, and privileges on the approved databases (or the listed tables in them) only: read-only is
 * SELECT and SHOW VIEW, read-write adds INSERT, UPDATE, DELETE. Removal locks the account, kills its
 * connections and drops it.
 *
 * Settings: `admin_url` (a secret reference to `mysql://user:password@host:port/`; the bot only ever
 * connects there), `host` / `port` (shown to the requester), `user_prefix` (default `jit_`), `user_host`
 * (default `%`), `tables` (default: whole databases).
 */
const SETTINGS = ['admin_url', 'host', 'port', 'user_prefix', 'user_host', 'tables'];

function prefixOf(settings: Record<string, unknown>): string {
  return String(settings.user_prefix ?? DEFAULT_USER_PREFIX);
}

function userOf(ctx: Pick<GrantContext, 'requestId' | 'settings'>): string {
  try {
    return userNameFor(ctx.requestId, prefixOf(ctx.settings));
  } catch (error) {
    throw new PermanentProvisioningError((error as Error).message);
  }
}

function tuning(ctx: GrantContext) {
  if (ctx.grant.type !== 'database')
    throw new PermanentProvisioningError(`${ctx.resource.name} is not a database grant`);
  const bad = ctx.grant.databases.find((d) => !OBJECT_NAME.test(d));
  if (bad !== undefined) throw new PermanentProvisioningError(`"${bad}" is not a database name`);
  return ctx.grant;
}

function settingOrThrow<T>(value: T | Error): T {
  if (value instanceof Error) throw new PermanentProvisioningError(value.message);
  return value;
}

/** Runs `work` on one admin connection; every failure leaves classified, without statements or passwords. */
async function withAdmin<T>(settings: Record<string, unknown>, work: (conn: Connection) => Promise<T>): Promise<T> {
  let conn: Connection | undefined;
  try {
    conn = await connectAdmin(String(settings.admin_url));
    return await work(conn);
  } catch (error) {
    throw classify(error);
  } finally {
    await closeQuietly(conn);
  }
}

/** Sets the password: MariaDB gets only the hash; MySQL 8 (no such clause for its default plugin) the password, which it rewrites out of its logs. */
async function setPassword(
  conn: Connection,
  mariadb: boolean,
  statement: { verb: 'CREATE USER IF NOT EXISTS' | 'ALTER USER'; who: string; password: string; rest: string },
) {
  const { verb, who, password, rest } = statement;
  const identified = mariadb
    ? `IDENTIFIED BY PASSWORD '${nativePasswordHash(password)}'`
    : `IDENTIFIED BY '${password}'`;
  try {
    await conn.query(`${verb} ${who} ${identified} ${rest}`);
  } catch (error) {
    throw classify(error, { secret: true });
  }
}

export function createMysqlProvisioner(): Provisioner {
  async function provision(ctx: GrantContext): Promise<ProvisionResult> {
    const grant = tuning(ctx);
    const user = userOf(ctx);
    const host = settingOrThrow(userHostSetting(ctx.settings.user_host));
    const tables = settingOrThrow(tablesSetting(ctx.settings.tables));
    // base64url: letters, digits, - and _, safe inside a quoted literal.
    const password = randomBytes(24).toString('base64url');
    const days = expiryDays(ctx.startsAt, ctx.expiresAt);
    const who = account(user, host);
    await withAdmin(ctx.settings, async (conn) => {
      const databases = await targetDatabases(conn, grant.databases);
      const targets = grantTargets(databases, tables);
      const unlisted = grant.databases.find((d) => !targets.has(d));
      if (unlisted !== undefined)
        throw new PermanentProvisioningError(`the resource lists no table in database "${unlisted}"`);
      if (targets.size === 0) throw new PermanentProvisioningError('the resource lists no table in any database');
      // A new account is locked until its privileges are in place: a failure half-way leaves an account
      // nobody can use (removed when the grant ends). An existing one (the password issued again, or the
      // retry after a crash) keeps its state until the grants below are set again.
      const mariadb = await isMariaDb(conn);
      const expire = `PASSWORD EXPIRE INTERVAL ${days} DAY`;
      await setPassword(conn, mariadb, {
        verb: 'CREATE USER IF NOT EXISTS',
        who,
        password,
        rest: `ACCOUNT LOCK ${expire}`,
      });
      await setPassword(conn, mariadb, { verb: 'ALTER USER', who, password, rest: expire });
      // Exactly what this tuning allows, whatever an earlier attempt or an older setting gave.
      await conn.query(`REVOKE ALL PRIVILEGES, GRANT OPTION FROM ${who}`);
      const privileges = privilegesFor(grant.access);
      for (const on of [...targets.values()].flat()) await conn.query(`GRANT ${privileges} ON ${on} TO ${who}`);
      await conn.query(`ALTER USER ${who} ACCOUNT UNLOCK`);
    });
    const admin = parseAdminUrl(String(ctx.settings.admin_url));
    const shownHost = String(ctx.settings.host ?? admin.host);
    const port = String(ctx.settings.port ?? admin.port);
    const database = grant.databases[0];
    return {
      state: { user, host, access: grant.access, databases: grant.databases },
      instructions: `mysql --host=${shownHost} --port=${port} --user=${user} --password${database ? ` ${database}` : ''} (${grant.access}; the account is dropped when the grant ends)`,
      secret: { label: `Password for ${user}`, value: password },
    };
  }

  return {
    type: 'mysql',
    validateSettings(settings) {
      // A typo (`user_prefx`) would otherwise be ignored silently, and the accounts named with the default.
      const unknown = Object.keys(settings).filter((k) => !SETTINGS.includes(k));
      if (unknown.length > 0) return `unknown mysql setting ${unknown.join(', ')}; known: ${SETTINGS.join(', ')}.`;
      if (!isSecretRef(settings.admin_url))
        return 'admin_url must be a secret reference such as env:ACCESS_SECRET_PROD_MYSQL_ADMIN_URL, never the URL itself.';
      if (settings.user_prefix !== undefined && !USER_PREFIX.test(String(settings.user_prefix)))
        return 'user_prefix must start with a lower-case letter and use lower-case letters, digits and _ (at most 16).';
      if (settings.port !== undefined && !/^\d{1,5}$/.test(String(settings.port))) return 'port must be a number.';
      for (const check of [userHostSetting(settings.user_host), tablesSetting(settings.tables)])
        if (check instanceof Error) return check.message;
      return null;
    },
    warm: warmMysql,
    provision,
    async extend(ctx, state) {
      const user = userOf(ctx);
      const days = expiryDays(ctx.startsAt, ctx.expiresAt);
      await withAdmin(ctx.settings, async (conn) => {
        for (const host of await hostsOf(conn, user))
          await conn.query(`ALTER USER ${account(user, host)} PASSWORD EXPIRE INTERVAL ${days} DAY`);
      });
      return { state: { ...state, user } };
    },
    // One account per grant: nothing is shared between overlapping grants, so `keep` never applies.
    async deprovision(ctx, state) {
      // The name kept at provisioning; without one (the bot died before recording it), the name it derives.
      const user = typeof state.user === 'string' ? state.user : userOf(ctx);
      await withAdmin(ctx.settings, (conn) => removeAccount(conn, user));
    },
    async isPresent(ctx) {
      const user = userOf(ctx);
      return withAdmin(ctx.settings, async (conn) => (await hostsOf(conn, user)).length > 0);
    },
    async listMade(settings) {
      const prefix = prefixOf(settings);
      const users = await withAdmin(settings, (conn) => usersWithPrefix(conn, prefix));
      return users.flatMap((name) => {
        const requestId = requestIdOf(name, prefix);
        return requestId ? [{ name, requestId }] : [];
      });
    },
    async removeMade(settings, name) {
      if (requestIdOf(name, prefixOf(settings)) === null) throw new Error(`${name} is not an account this bot made`);
      await withAdmin(settings, (conn) => removeAccount(conn, name));
    },
  };
}
