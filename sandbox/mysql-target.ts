import { randomBytes } from 'node:crypto';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import type { TargetView } from './snapshot.js';

/**
 * The sandbox's MySQL resource, against the MariaDB of this machine (127.0.0.1:3306, root with no
 * password, as Debian's test setups have it) when it answers: a sample database, and an admin account for
 * the bot holding only the least privilege of docs/provisioners/mysql.md, its password new at every start.
 * The page lists the temporary accounts the bot makes there. When MariaDB does not answer, the page says
 * so and how to start it; requests for the resource then fail as they would against a server that is down.
 *
 * The admin account and the bots' user prefix are new at every start and the admin is dropped at stop:
 * two sandboxes on one machine (the test files run two at a time) never share an account, and one's
 * reconcile never removes the other's accounts as leftovers.
 */
const ROOT = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };
const DATABASE = 'access_sandbox_shop';
const TITLE = 'MySQL (MariaDB on 127.0.0.1:3306): temporary accounts';

export interface SandboxMysql {
  replacements: Record<string, string>;
  secretEnv: Record<string, string>;
  view(): TargetView;
  stop(): Promise<void>;
}

async function prepare(root: Connection, admin: string, password: string): Promise<void> {
  await root.query(`CREATE DATABASE IF NOT EXISTS \`${DATABASE}\``);
  await root.query(`CREATE TABLE IF NOT EXISTS \`${DATABASE}\`.orders (id INT PRIMARY KEY, item VARCHAR(40))`);
  await root.query(`INSERT IGNORE INTO \`${DATABASE}\`.orders VALUES (1, 'book'), (2, 'pen')`);
  await root.query(`CREATE USER '${admin}'@'127.0.0.1' IDENTIFIED BY '${password}'`);
  await root.query(`GRANT CREATE USER, PROCESS, CONNECTION ADMIN ON *.* TO '${admin}'@'127.0.0.1'`);
  await root.query(`GRANT SELECT ON mysql.user TO '${admin}'@'127.0.0.1'`);
  await root.query(
    `GRANT SELECT, SHOW VIEW, INSERT, UPDATE, DELETE ON \`${DATABASE.replace(/_/g, '\\_')}\`.* TO '${admin}'@'127.0.0.1' WITH GRANT OPTION`,
  );
}

/** `server`: where to look (tests point it at a port where nothing answers). */
export async function startSandboxMysql(server: { port: number } = ROOT): Promise<SandboxMysql> {
  const tag = randomBytes(3).toString('hex');
  const admin = `access_sandbox_${tag}`;
  const prefix = `sb${tag}_`;
  const password = randomBytes(18).toString('hex');
  const secretEnv = {
    ACCESS_SECRET_SANDBOX_MYSQL_ADMIN_URL: `mysql://${admin}:${password}@127.0.0.1:3306/`,
  };
  const replacements = { SANDBOX_MYSQL_DATABASE: DATABASE, SANDBOX_MYSQL_PREFIX: prefix };
  let root: Connection;
  try {
    root = await createConnection({ ...ROOT, port: server.port, connectTimeout: 2000 });
    await prepare(root, admin, password);
  } catch (error) {
    const note =
      `MariaDB does not answer on 127.0.0.1:3306 as root without a password (${(error as Error).message}), ` +
      'so grants of shop-mysql fail. Start it (start-stop-daemon --start --background --exec /usr/sbin/mariadbd, ' +
      'or apt-get install mariadb-server) and restart the sandbox.';
    return { replacements, secretEnv, view: () => ({ name: TITLE, items: [], note }), stop: async () => undefined };
  }

  // The page reads its targets synchronously: the accounts are read every second in the background.
  let items: string[] = [];
  const read = async () => {
    const [rows] = await root.query<RowDataPacket[]>(
      'SELECT User AS user, Host AS host FROM mysql.user WHERE User LIKE ? ORDER BY User',
      [`${prefix.replace(/_/g, '\\_')}%`],
    );
    items = rows.map((r) => `'${String(r.user)}'@'${String(r.host)}'`);
  };
  await read();
  const timer = setInterval(() => void read().catch(() => undefined), 1000);
  timer.unref();
  return {
    replacements,
    secretEnv,
    view: () => ({ name: TITLE, items }),
    async stop() {
      clearInterval(timer);
      // The grants' own accounts go with their grants (or with the next reconcile); the admin goes now.
      await root.query(`DROP USER IF EXISTS '${admin}'@'127.0.0.1'`).catch(() => undefined);
      await root.end().catch(() => root.destroy());
    },
  };
}
