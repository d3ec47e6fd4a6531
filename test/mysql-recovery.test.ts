import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMysqlProvisioner } from '../src/provisioners/mysql/mysql-provisioner.js';
import type { Provisioner } from '../src/provisioners/port.js';
import { createMysqlScope, type MysqlScope } from './support/mariadb.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approve, requestAccess, retryNow, revoke, statusOf, targetOf } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/**
 * The mysql provisioner when things go wrong, against the real MariaDB: the bot dies between the server's
 * yes and its own record (crash window), the DM with the password is re-sent, two grants of one person
 * overlap, and reconcile finds accounts nobody claims. As in test/provisioning-crash-window.test.ts.
 */
let my: MysqlScope;
let h: Harness;

/** The real provisioner, which can be told to "die" once right after the server said yes. */
let armed = false;
const real = createMysqlProvisioner();
const dying: Provisioner = {
  ...real,
  async provision(ctx) {
    const result = await real.provision(ctx);
    if (armed) {
      armed = false;
      throw new Error('the bot was killed before it recorded the grant');
    }
    return result;
  },
};

beforeAll(async () => {
  my = await createMysqlScope();
  const accessFile = `
resources:
  - name: shop-db
    type: database
    provisioner: { type: mysql, admin_url: "env:ACCESS_SECRET_SHOP_MYSQL", user_prefix: ${my.userPrefix} }
flows:
  - name: db-access
    resources: { names: [shop-db] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
`;
  h = await startHarness({
    accessFile,
    app: { secretEnv: { ACCESS_SECRET_SHOP_MYSQL: my.adminUrl }, extraProvisioners: [dying] },
  });
});
afterAll(async () => {
  await h?.stop();
  await my?.drop();
});
beforeEach(async () => {
  // Each case starts with no live grant: earlier ones are ended.
  h.clock.advance(60 * 24);
  await h.app.jobs.expireNow();
  await h.settle();
  expect(await my.accounts()).toEqual([]);
});

const readyDms = (id: string) =>
  h.slack
    .dmsTo(PEOPLE.requester)
    .map((m) => allText(m.blocks))
    .filter((text) => text.includes('is ready') && text.includes(id.replace(/^req_/, '')));
const passwordIn = (text: string) => /Password for [a-z0-9_]+\*\\n```([A-Za-z0-9_-]{32})```/.exec(text)![1]!;
const userOf = (id: string) => `${my.userPrefix}${id.replace(/^req_/, '')}`;

async function asked(justification: string) {
  const [id] = await requestAccess(h, PEOPLE.requester, { resources: ['shop-db'], duration: '60', justification });
  return id!;
}
async function logsIn(user: string, password: string): Promise<boolean> {
  try {
    const conn = await my.login(user, password, my.app);
    await conn.query('SELECT item FROM orders');
    await conn.end();
    return true;
  } catch {
    return false;
  }
}

describe('killed between the server’s yes and the commit', () => {
  it('the retry finds the account already there: reconcile leaves it, the retry records it, one account and one DM whose password works', async () => {
    const id = await asked('CRASH-1 retry');
    armed = true;
    await approve(h, PEOPLE.approver, id, { 'tune.databases.shop-db': my.app });
    expect(await my.accounts()).toEqual([{ user: userOf(id), host: '%' }]);
    expect(await targetOf(h, id)).toMatchObject({ status: 'pending', state: {} });
    // Unrecorded, but its grant is live: not a leftover.
    expect(await h.app.services.provisioning.reconcile()).toMatchObject({ removed: 0 });
    expect(await my.accounts()).toHaveLength(1);
    await retryNow(h);
    expect(await targetOf(h, id)).toMatchObject({ status: 'active', state: { user: userOf(id) } });
    expect(await my.accounts()).toHaveLength(1);
    expect(readyDms(id)).toHaveLength(1);
    const [dm] = readyDms(id);
    expect(await logsIn(userOf(id), passwordIn(dm!))).toBe(true);
    await revoke(h, PEOPLE.approver, id);
    expect(await my.accounts()).toEqual([]);
  });

  it('revoked before any retry: the removal, with no state, still drops what the dead attempt made', async () => {
    const id = await asked('CRASH-2 revoked');
    armed = true;
    await approve(h, PEOPLE.approver, id, { 'tune.databases.shop-db': my.app });
    expect(await my.accounts()).toHaveLength(1);
    await revoke(h, PEOPLE.approver, id);
    await retryNow(h);
    expect(await statusOf(h, id)).toBe('revoked');
    expect(await my.accounts()).toEqual([]);
    expect(await targetOf(h, id)).toMatchObject({ status: 'removed' });
  });
});

describe('the "access ready" DM that Slack refused', () => {
  it('is sent again, with a fresh password that logs in', async () => {
    const id = await asked('OWED-1');
    h.slack.failNext('chat.postMessage', { status: 500 }, 2, (args) => String(args.text ?? '').includes('is ready'));
    await approve(h, PEOPLE.approver, id, { 'tune.databases.shop-db': my.app });
    expect(readyDms(id)).toHaveLength(0);
    await retryNow(h);
    const sent = readyDms(id);
    expect(sent).toHaveLength(1);
    expect(await logsIn(userOf(id), passwordIn(sent[0]!))).toBe(true);
    expect(await my.accounts()).toHaveLength(1);
  });
});

describe('two overlapping grants of one person', () => {
  it('each has its own account: revoking the first leaves the second working, which goes at its own end', async () => {
    const first = await asked('OVERLAP-1');
    await approve(h, PEOPLE.approver, first, { 'tune.databases.shop-db': my.app });
    const second = await asked('OVERLAP-2');
    await approve(h, PEOPLE.approver, second, { 'tune.databases.shop-db': my.app });
    expect((await my.accounts()).map((a) => a.user).sort()).toEqual([userOf(first), userOf(second)].sort());
    const secondPassword = passwordIn(readyDms(second)[0]!);

    await revoke(h, PEOPLE.approver, first);
    expect(await my.accounts()).toEqual([{ user: userOf(second), host: '%' }]);
    expect(await logsIn(userOf(second), secondPassword)).toBe(true);

    h.clock.advance(61);
    await h.app.jobs.expireNow();
    await h.settle();
    expect(await statusOf(h, second)).toBe('expired');
    expect(await my.accounts()).toEqual([]);
  });
});

describe('reconcile', () => {
  it('puts back an account dropped by hand while its grant lasts', async () => {
    const id = await asked('RECONCILE-1');
    await approve(h, PEOPLE.approver, id, { 'tune.databases.shop-db': my.app });
    await my.root.query(`DROP USER '${userOf(id)}'@'%'`);
    expect(await h.app.services.provisioning.reconcile()).toMatchObject({ reprovisioned: 1 });
    await h.settle();
    expect(await my.accounts()).toEqual([{ user: userOf(id), host: '%' }]);
  });

  it('drops accounts with its prefix that no live grant claims, leaves live ones and other prefixes alone', async () => {
    const id = await asked('RECONCILE-2');
    await approve(h, PEOPLE.approver, id, { 'tune.databases.shop-db': my.app });
    const orphan = `${my.userPrefix}0rphan0000`;
    const stranger = `x${my.userPrefix}0rphan0000`;
    await my.root.query(`CREATE USER '${orphan}'@'%' IDENTIFIED BY 'left-behind'`);
    await my.root.query(`CREATE USER '${stranger}'@'%' IDENTIFIED BY 'not-ours'`);
    try {
      const result = await h.app.services.provisioning.reconcile();
      expect(result).toMatchObject({ reprovisioned: 0, removed: 1 });
      expect(await my.accounts()).toEqual([{ user: userOf(id), host: '%' }]);
      const [still] = await my.root.query<import('mysql2').RowDataPacket[]>('SELECT 1 FROM mysql.user WHERE User = ?', [
        stranger,
      ]);
      expect(still).toHaveLength(1);
      const [audited] =
        await h.sql`select details from audit_events where action = 'reconcile.leftover_access' and request_id = 'req_0rphan0000'`;
      expect(audited?.details).toMatchObject({ resource: 'shop-db', provisioner: 'mysql', object: orphan });
    } finally {
      await my.root.query(`DROP USER IF EXISTS '${stranger}'@'%'`);
    }
  });
});

describe('extension', () => {
  it('moves the password’s lifetime with the grant’s new end; the account keeps working', async () => {
    const id = await asked('EXTEND-1');
    await approve(h, PEOPLE.approver, id, { 'tune.databases.shop-db': my.app });
    const password = passwordIn(readyDms(id)[0]!);
    expect(await my.accountFlags(userOf(id))).toEqual({ locked: false, lifetimeDays: 1 });
    const startsAt = new Date();
    await real.extend!(
      {
        grantId: 'grt_test',
        requestId: id,
        requesterId: PEOPLE.requester,
        requesterEmail: null,
        sshPublicKey: null,
        resource: { name: 'shop-db', type: 'database' },
        settings: { admin_url: my.adminUrl, user_prefix: my.userPrefix },
        grant: { type: 'database', resource: 'shop-db', access: 'read-only', databases: [my.app] },
        startsAt,
        expiresAt: new Date(startsAt.getTime() + 3 * 86_400_000),
      },
      { user: userOf(id) },
    );
    expect(await my.accountFlags(userOf(id))).toEqual({ locked: false, lifetimeDays: 3 });
    expect(await logsIn(userOf(id), password)).toBe(true);
  });
});
