import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMysqlScope, type MysqlScope } from './support/mariadb.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approve, requestAccess, revoke, statusOf, targetOf } from './support/journey-steps.js';
import { waitFor } from '../doubles/support/until.js';
import { until } from '../doubles/slack/driver.js';
import { PEOPLE } from './support/workspace.js';

/**
 * The mysql provisioner end to end, through Slack, against the real MariaDB on 127.0.0.1:3306: a request,
 * the approver's tuning, the account it makes (checked on the server and by logging in with the password
 * from the requester's DM), and its end. The bot's admin account holds only the documented least privilege.
 */
let my: MysqlScope;
let h: Harness;

beforeAll(async () => {
  my = await createMysqlScope();
  const accessFile = `
resources:
  - name: shop-db
    type: database
    description: The shop's MariaDB
    tags: [mysql]
    defaults: { databases: [${my.app}] }
    provisioner: { type: mysql, admin_url: "env:ACCESS_SECRET_SHOP_MYSQL", host: db.shop.internal, user_prefix: ${my.userPrefix} }
  - name: shop-orders
    type: database
    tags: [mysql]
    provisioner: { type: mysql, admin_url: "env:ACCESS_SECRET_SHOP_MYSQL", user_prefix: ${my.userPrefix}, tables: [orders] }
flows:
  - name: db-access
    resources: { tags: [mysql] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
`;
  h = await startHarness({ accessFile, app: { secretEnv: { ACCESS_SECRET_SHOP_MYSQL: my.adminUrl } } });
});
afterAll(async () => {
  await h?.stop();
  await my?.drop();
});

/** Requests `resource`, approves it with `values` in the tuning modal, and reads the account and password from the requester's DM. */
async function granted(resource: string, justification: string, values: Record<string, string | string[] | null>) {
  const [id] = (await requestAccess(h, PEOPLE.requester, { resources: [resource], duration: '60', justification })) as [
    string,
  ];
  await approve(h, PEOPLE.approver, id, values);
  await h.settle();
  const ready = h.slack
    .dmsTo(PEOPLE.requester)
    .map((m) => allText(m.blocks))
    .find((text) => text.includes('is ready') && text.includes(id.replace(/^req_/, '')));
  expect(ready).toBeDefined();
  const user = /--user=([a-z0-9_]+)/.exec(ready!)![1]!;
  const password = /Password for [a-z0-9_]+\*\\n```([A-Za-z0-9_-]{32})```/.exec(ready!)![1]!;
  return { id, user, password, ready: ready! };
}

const audit = async (id: string) =>
  (await h.sql`select action from audit_events where request_id = ${id} order by id`).map((r) => r.action as string);

describe('a MySQL grant, from the request to its end', () => {
  let id: string;
  let user: string;
  let password: string;

  it('the approver keeps read-only on one database; the requester gets the account and its password once, in their DM', async () => {
    ({ id, user, password } = await granted('shop-db', 'INC-29: check an order', {
      'tune.access.shop-db': 'read-only',
      'tune.databases.shop-db': my.app,
    }));
    expect(user).toBe(`${my.userPrefix}${id.replace(/^req_/, '')}`);
    expect(await my.accounts()).toEqual([{ user, host: '%' }]);
    // Unlocked once its privileges were in place; the server's own backstop: the password lasts one day.
    expect(await my.accountFlags(user)).toEqual({ locked: false, lifetimeDays: 1 });
    expect(await targetOf(h, id)).toMatchObject({
      status: 'active',
      state: { user, host: '%', access: 'read-only', databases: [my.app] },
    });
    const dm = h.slack.dmsTo(PEOPLE.requester).map((m) => allText(m.blocks));
    expect(dm.filter((text) => text.includes(password))).toHaveLength(1);
    expect(dm.join('\n')).toContain(`mysql --host=db.shop.internal --port=3306 --user=${user} --password ${my.app}`);
  });

  it('the account reads the approved database, cannot write it, and sees no other database', async () => {
    const conn = await my.login(user, password, my.app);
    try {
      const [rows] = await conn.query('SELECT item FROM orders');
      expect(rows).toEqual([{ item: 'book' }]);
      await expect(conn.query("INSERT INTO orders (item) VALUES ('pen')")).rejects.toThrow(/INSERT command denied/);
      await expect(conn.query('DELETE FROM orders')).rejects.toThrow(/DELETE command denied/);
      await expect(conn.query(`SELECT amount FROM \`${my.hr}\`.salaries`)).rejects.toThrow(/SELECT command denied/);
      // `_` is a wildcard in a database-level GRANT: the approved name was escaped, so its look-alike stays shut.
      await expect(conn.query(`SELECT s FROM \`${my.lookalike}\`.secrets`)).rejects.toThrow(/SELECT command denied/);
      await expect(conn.query('SELECT Password FROM mysql.user')).rejects.toThrow(/SELECT command denied/);
      const [databases] = await conn.query<RowDataPacket[]>('SHOW DATABASES');
      expect(databases.map((d) => d.Database).sort()).toEqual(['information_schema', my.app].sort());
    } finally {
      await conn.end();
    }
  });

  it('the password reaches neither the audit trail, the bot database, nor the logs', async () => {
    expect(JSON.stringify(await h.sql`select * from audit_events`)).not.toContain(password);
    expect(JSON.stringify(await h.sql`select * from grant_targets`)).not.toContain(password);
    expect(JSON.stringify(await h.sql`select * from outbox`)).not.toContain(password);
    expect(h.logs.join('\n')).not.toContain(password);
  });

  it('at expiry the account is gone and its password no longer logs in', async () => {
    h.clock.advance(61);
    await h.app.jobs.expireNow();
    await h.settle();
    expect(await statusOf(h, id)).toBe('expired');
    expect(await my.accounts()).toEqual([]);
    await expect(my.login(user, password)).rejects.toThrow(/Access denied/);
    const actions = await audit(id);
    expect(actions.indexOf('grant.expired')).toBeLessThan(actions.indexOf('grant.deprovisioned'));
    expect(await targetOf(h, id)).toMatchObject({ status: 'removed' });
  });
});

describe('read-write, tables and revocation', () => {
  it('read-write on a resource that lists tables: writes that table, nothing else of the database', async () => {
    const { id, user, password } = await granted('shop-orders', 'INC-29: fix an order', {
      'tune.access.shop-orders': 'read-write',
      'tune.databases.shop-orders': my.app,
    });
    const conn = await my.login(user, password, my.app);
    try {
      await conn.query("INSERT INTO orders (item) VALUES ('pen')");
      await conn.query("UPDATE orders SET item = 'pencil' WHERE item = 'pen'");
      await expect(conn.query('SELECT name FROM customers')).rejects.toThrow(/SELECT command denied/);
      await expect(conn.query('DROP TABLE orders')).rejects.toThrow(/DROP command denied/);
    } finally {
      await conn.end();
    }
    await revoke(h, PEOPLE.approver, id);
    expect(await my.accounts()).toEqual([]);
  });

  it('revoked while the requester is connected: the open connection is killed, then the account is dropped', async () => {
    const { id, user, password } = await granted('shop-db', 'INC-29: long session', {
      'tune.databases.shop-db': my.app,
    });
    const conn: Connection = await my.login(user, password, my.app);
    conn.on('error', () => undefined);
    await conn.query('SELECT 1');
    await revoke(h, PEOPLE.approver, id);
    expect(await statusOf(h, id)).toBe('revoked');
    // DROP USER alone leaves open sessions running: this one must have been killed.
    await expect(conn.query('SELECT item FROM orders')).rejects.toThrow(/closed|killed|Connection lost|interrupted/i);
    expect(await my.accounts()).toEqual([]);
    await waitFor(async () => {
      const [threads] = await my.root.query<RowDataPacket[]>(
        'SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ?',
        [user],
      );
      return threads.length === 0;
    }, 'no connection of the revoked account on the server');
    conn.destroy();
  });

  it('an approved database the admin account holds nothing in is refused in words, and no account is left', async () => {
    const [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['shop-db'],
      duration: '60',
      justification: 'INC-29: the other one',
    })) as [string];
    await approve(h, PEOPLE.approver, id, { 'tune.databases.shop-db': my.lookalike });
    await h.settle();
    expect(await targetOf(h, id)).toMatchObject({ status: 'failed' });
    expect((await targetOf(h, id)).last_error).toContain(`database "${my.lookalike}" does not exist`);
    expect(await my.accounts()).toEqual([]);
  });
});

describe('a MySQL resource made in App Home', () => {
  async function resourceModal() {
    const before = h.slack.calls('views.publish').length;
    await h.driver.appHomeOpened(PEOPLE.admin);
    await until(() => h.slack.calls('views.publish').length > before, 'home published');
    const home = h.slack.home(PEOPLE.admin)!;
    await h.driver.clickButton(PEOPLE.admin, { viewId: home.id }, 'home.tab.resources');
    await until(() => allText(h.slack.home(PEOPLE.admin)?.view.blocks).includes('admin.resource.add'), 'tab');
    await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'admin.resource.add');
    return until(() => h.slack.topView(PEOPLE.admin), 'resource modal');
  }

  it('refuses an admin URL typed in clear, then grants through the one that names the declared secret', async () => {
    const modal = await resourceModal();
    const options = allText(modal.view.blocks);
    expect(options).toContain('"value":"mysql"');
    await h.driver.suggest(PEOPLE.admin, modal.id, 'admin.pick.tags', 'mysql');
    const fields = {
      'ar.name': 'shop-home',
      'ar.type': 'database',
      'ar.tags': ['mysql'],
      'ar.provisioner': 'mysql',
    };
    const refused = await h.driver.submitView(PEOPLE.admin, modal.id, {
      ...fields,
      'ar.settings': `admin_url: mysql://root:hunter2@evil.example:3306/`,
    });
    expect(allText(refused.json?.errors)).toContain('admin_url must be a secret reference');
    expect(await h.sql`select 1 from resources where name = 'shop-home'`).toHaveLength(0);
    const saved = await h.driver.submitView(PEOPLE.admin, modal.id, {
      ...fields,
      'ar.settings': `admin_url: env:ACCESS_SECRET_SHOP_MYSQL\nuser_prefix: ${my.userPrefix}`,
    });
    expect(saved.json?.errors).toBeUndefined();
    h.slack.clearViews(PEOPLE.admin);
    await h.settle();

    const { id, user, password } = await granted('shop-home', 'INC-29: from App Home', {
      'tune.databases.shop-home': my.app,
    });
    const conn = await my.login(user, password, my.app);
    await expect(conn.query('SELECT item FROM orders')).resolves.toBeDefined();
    await conn.end();
    await revoke(h, PEOPLE.approver, id);
    expect(await my.accounts()).toEqual([]);
  });
});
