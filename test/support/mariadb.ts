/**
 * Per-test-file MariaDB fixtures for the mysql provisioner: two databases with sample rows (`app` with
 * orders, `hr` with salaries), an admin account holding exactly the least privilege that
 * docs/provisioners/mysql.md asks of the bot (so the tests prove that GRANT is enough), and a user
 * prefix of its own. Every name carries a random tag, so test files running at once never meet.
 *
 *   const my = await createMysqlScope();   // in beforeAll; throws (the file fails) without a server
 *   await my.drop();                       // in afterAll
 */
import { randomBytes } from 'node:crypto';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { inject } from 'vitest';

export interface MysqlScope {
  /** The bot's admin URL (least privilege), for ACCESS_SECRET_*. */
  adminUrl: string;
  /** The prefix the provisioner should use for this file's accounts (the resource's user_prefix). */
  userPrefix: string;
  app: string;
  hr: string;
  /** A database whose name differs from app only where app has `_` (a wildcard if left unescaped). */
  lookalike: string;
  /** A root connection, for checking the server's real state. */
  root: Connection;
  /** Accounts whose names start with userPrefix, with their hosts. */
  accounts(): Promise<{ user: string; host: string }[]>;
  /** What MariaDB holds for an account: locked, and its password lifetime in days (mysql.global_priv). */
  accountFlags(user: string, host?: string): Promise<{ locked: boolean; lifetimeDays: number | null }>;
  /** Logs in as a temporary account (the password from the requester's DM), optionally into a database. */
  login(user: string, password: string, database?: string): Promise<Connection>;
  drop(): Promise<void>;
}

function rootOptions() {
  const url = inject('mysqlRootUrl');
  if (!url) throw new Error(`No MySQL server for the mysql provisioner's tests: ${inject('mysqlProblem')}`);
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  };
}

export async function createMysqlScope(): Promise<MysqlScope> {
  const server = rootOptions();
  const tag = randomBytes(3).toString('hex');
  const app = `t${tag}_app`;
  const hr = `t${tag}_hr`;
  const lookalike = `t${tag}xapp`;
  const admin = `t${tag}_admin`;
  const adminPassword = randomBytes(12).toString('hex');
  const root = await createConnection({ ...server, connectTimeout: 10_000 });
  const q = (sql: string) => root.query(sql);
  for (const db of [app, hr, lookalike]) await q(`CREATE DATABASE \`${db}\``);
  await q(`CREATE TABLE \`${app}\`.orders (id INT AUTO_INCREMENT PRIMARY KEY, item VARCHAR(40))`);
  await q(`CREATE TABLE \`${app}\`.customers (id INT PRIMARY KEY, name VARCHAR(40))`);
  await q(`INSERT INTO \`${app}\`.orders (item) VALUES ('book')`);
  await q(`INSERT INTO \`${app}\`.customers VALUES (1, 'Ada')`);
  await q(`CREATE TABLE \`${hr}\`.salaries (amount INT)`);
  await q(`INSERT INTO \`${hr}\`.salaries VALUES (100)`);
  await q(`CREATE TABLE \`${lookalike}\`.secrets (s VARCHAR(40))`);
  await q(`INSERT INTO \`${lookalike}\`.secrets VALUES ('not yours')`);
  // The least privilege of docs/provisioners/mysql.md, with the test's databases as the granted ones.
  await q(`CREATE USER '${admin}'@'%' IDENTIFIED BY '${adminPassword}'`);
  await q(`GRANT CREATE USER, PROCESS, CONNECTION ADMIN ON *.* TO '${admin}'@'%'`);
  await q(`GRANT SELECT ON mysql.user TO '${admin}'@'%'`);
  for (const db of [app, hr])
    await q(
      `GRANT SELECT, SHOW VIEW, INSERT, UPDATE, DELETE ON \`${db.replace(/_/g, '\\_')}\`.* TO '${admin}'@'%' WITH GRANT OPTION`,
    );
  const userPrefix = `j${tag}_`;
  const adminUrl = `mysql://${admin}:${adminPassword}@${server.host}:${server.port}/`;

  async function accounts() {
    const [rows] = await root.query<RowDataPacket[]>(
      'SELECT User AS user, Host AS host FROM mysql.user WHERE User LIKE ?',
      [`${userPrefix.replace(/_/g, '\\_')}%`],
    );
    return rows.map((r) => ({ user: String(r.user), host: String(r.host) }));
  }

  async function accountFlags(user: string, host = '%') {
    const [rows] = await root.query<RowDataPacket[]>(
      'SELECT Priv AS priv FROM mysql.global_priv WHERE User = ? AND Host = ?',
      [user, host],
    );
    if (!rows[0]) throw new Error(`no account '${user}'@'${host}'`);
    // mysql2 hands a JSON column over parsed.
    const raw: unknown = rows[0].priv;
    const priv = (typeof raw === 'string' ? JSON.parse(raw) : raw) as {
      account_locked?: boolean;
      password_lifetime?: number;
    };
    return { locked: priv.account_locked === true, lifetimeDays: priv.password_lifetime ?? null };
  }

  return {
    adminUrl,
    accountFlags,
    userPrefix,
    app,
    hr,
    lookalike,
    root,
    accounts,
    login: (user, password, database) =>
      createConnection({ host: server.host, port: server.port, user, password, ...(database ? { database } : {}) }),
    async drop() {
      for (const { user, host } of await accounts()) await q(`DROP USER IF EXISTS '${user}'@'${host}'`);
      await q(`DROP USER IF EXISTS '${admin}'@'%'`);
      for (const db of [app, hr, lookalike]) await q(`DROP DATABASE IF EXISTS \`${db}\``);
      await root.end();
    },
  };
}
