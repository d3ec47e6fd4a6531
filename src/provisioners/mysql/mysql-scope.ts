import type { Connection, RowDataPacket } from 'mysql2/promise';
import { PermanentProvisioningError } from '../port.js';
import { account, OBJECT_NAME, SYSTEM_DATABASES } from './mysql-names.js';

/**
 * What the server says about databases and accounts, for the mysql provisioner. information_schema shows
 * the admin only the databases it holds a privilege in (without the global SHOW DATABASES), so "all
 * databases" is exactly what the admin could pass on, and an approved database it has no rights in
 * looks missing, which is refused with a sentence.
 */
export async function targetDatabases(conn: Connection, approved: readonly string[]): Promise<string[]> {
  const [rows] = await conn.query<RowDataPacket[]>('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA');
  const visible = rows.map((r) => String(r.name)).filter((n) => !SYSTEM_DATABASES.has(n.toLowerCase()));
  if (approved.length > 0) {
    const missing = approved.find((d) => !visible.includes(d) || SYSTEM_DATABASES.has(d.toLowerCase()));
    if (missing !== undefined)
      throw new PermanentProvisioningError(
        `database "${missing}" does not exist, or the admin account holds no privileges in it`,
      );
    return [...approved];
  }
  // Only names the bot can quote safely; anything else is left out of "all databases".
  const all = visible.filter((n) => OBJECT_NAME.test(n)).sort();
  if (all.length === 0) throw new PermanentProvisioningError('the admin account holds privileges in no database');
  return all;
}

/** The hosts an account of this name exists for (the setting may have changed since it was made). */
export async function hostsOf(conn: Connection, user: string): Promise<string[]> {
  const [rows] = await conn.query<RowDataPacket[]>('SELECT Host AS host FROM mysql.user WHERE User = ?', [user]);
  return rows.map((r) => String(r.host));
}

/** Accounts whose names start with `prefix` (LIKE with the prefix's `_` escaped). */
export async function usersWithPrefix(conn: Connection, prefix: string): Promise<string[]> {
  const pattern = `${prefix.replace(/([\\_%])/g, '\\$1')}%`;
  const [rows] = await conn.query<RowDataPacket[]>('SELECT DISTINCT User AS user FROM mysql.user WHERE User LIKE ?', [
    pattern,
  ]);
  return rows.map((r) => String(r.user));
}

export async function isMariaDb(conn: Connection): Promise<boolean> {
  const [rows] = await conn.query<RowDataPacket[]>('SELECT VERSION() AS v');
  return /mariadb/i.test(String(rows[0]?.v ?? ''));
}

/**
 * Ends an account for good: locked first (nothing new logs in), then every connection it has killed
 * (DROP USER leaves open sessions running), then dropped. Each step is idempotent, so a removal cut short
 * anywhere is finished by the next attempt; a locked account is also what a removal leaves if it stops
 * after the lock.
 */
export async function removeAccount(conn: Connection, user: string): Promise<void> {
  for (const host of await hostsOf(conn, user)) {
    await conn.query(`ALTER USER IF EXISTS ${account(user, host)} ACCOUNT LOCK`);
  }
  const [threads] = await conn.query<RowDataPacket[]>(
    'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ?',
    [user],
  );
  for (const { id } of threads) {
    try {
      await conn.query(`KILL CONNECTION ${Number(id)}`);
    } catch (error) {
      // ER_NO_SUCH_THREAD: it ended between the read and the kill.
      if ((error as { errno?: number }).errno !== 1094) throw error;
    }
  }
  for (const host of await hostsOf(conn, user)) await conn.query(`DROP USER IF EXISTS ${account(user, host)}`);
}
