import type { Connection } from 'mysql2/promise';
import { lazySdk } from '../lazy-sdk.js';
import { PermanentProvisioningError } from '../port.js';

// Imported on first use (see lazy-sdk.ts), like the cloud SDKs: most deployments have no MySQL resource.
const mysql2 = lazySdk(() => import('mysql2/promise'));
export const warmMysql = () => mysql2.warm();

export interface AdminTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  /** TLS with the server's certificate checked against the system's CAs (`?ssl=true` in the URL). */
  ssl: boolean;
}

const REFUSED_URL =
  'admin_url is not a valid MySQL connection URL (mysql://user:password@host:3306/): percent-encode special characters in its user name and password (/ as %2F, @ as %40, # as %23, ? as %3F).';

/**
 * The admin connection URL (`mysql://` or `mariadb://`), parsed. Errors name the setting and the fix,
 * never the value: it holds a password. The path is ignored: grants name their databases themselves,
 * and the bot only ever talks to this one server.
 */
export function parseAdminUrl(url: string): AdminTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new PermanentProvisioningError(REFUSED_URL);
  }
  if (!['mysql:', 'mariadb:'].includes(u.protocol) || !u.hostname || !u.username)
    throw new PermanentProvisioningError(REFUSED_URL);
  const ssl = u.searchParams.get('ssl');
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    ssl: ssl === 'true' || ssl === 'required',
  };
}

/** One admin connection (no pool: the provisioner's work is a handful of statements per grant). */
export async function connectAdmin(url: string): Promise<Connection> {
  const target = parseAdminUrl(url);
  const { createConnection } = await mysql2.load();
  try {
    return await createConnection({
      host: target.host,
      port: target.port,
      user: target.user,
      password: target.password,
      connectTimeout: 10_000,
      // One statement per call: a name that slipped past validation cannot chain a second statement.
      multipleStatements: false,
      ...(target.ssl ? { ssl: {} } : {}),
    });
  } catch (error) {
    throw classify(error);
  }
}

export async function closeQuietly(conn: Connection | undefined): Promise<void> {
  if (!conn) return;
  await conn.end().catch(() => conn.destroy());
}

/** MySQL error numbers a retry will not fix: refused credentials or privileges, unknown database or table. */
const PERMANENT = new Set([
  1044, // ER_DBACCESS_DENIED_ERROR
  1045, // ER_ACCESS_DENIED_ERROR
  1049, // ER_BAD_DB_ERROR
  1142, // ER_TABLEACCESS_DENIED_ERROR
  1146, // ER_NO_SUCH_TABLE
  1227, // ER_SPECIFIC_ACCESS_DENIED_ERROR
  1410, // ER_CANT_CREATE_USER_WITH_GRANT
  1064, // ER_PARSE_ERROR: the server's version lacks a clause (ACCOUNT LOCK before MariaDB 10.4)
]);

/**
 * A mysql2 error carries the statement (`sql`) and the server's message, which quotes the statement near
 * a syntax error: a statement that set a password must never reach a log. The error handed on holds the
 * error number and, for statements without a secret, the server's message; nothing else.
 */
export function classify(error: unknown, options: { secret?: boolean } = {}): Error {
  const e = error as { errno?: number; code?: string; message?: string };
  if (error instanceof PermanentProvisioningError) return error;
  const detail = options.secret
    ? `${e.code ?? 'error'} (${e.errno ?? '?'}) in a statement that sets the password`
    : `${e.code ?? 'error'}: ${e.message ?? String(error)}`;
  if (e.errno !== undefined && PERMANENT.has(e.errno))
    return new PermanentProvisioningError(`MySQL refused: ${detail}`);
  const plain = new Error(`MySQL: ${detail}`);
  plain.name = 'MysqlError';
  return plain;
}
