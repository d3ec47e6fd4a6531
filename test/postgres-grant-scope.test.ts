import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppAndHr, loginAs, traces, type AppAndHr } from './support/app-and-hr.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approve, requestAccess, revoke, statusOf } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/**
 * Issue 23, item 3: what the approver keeps in the tuning modal is all the login can read. Two databases
 * on one server, `app` (orders) and `hr` (salaries); the approver tunes the grant to `app` only.
 */
let dbs: AppAndHr;
let h: Harness;

const accessFile = `
resources:
  - name: prod-db
    type: database
    provisioner: { type: postgres, admin_url: "env:ACCESS_SECRET_PG_ADMIN", host: 127.0.0.1 }
flows:
  - name: db-access
    resources: { names: [prod-db] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
`;

beforeAll(async () => {
  dbs = await createAppAndHr();
  // The admin URL names hr: the provisioner reaches app by swapping the database name, on the same server.
  h = await startHarness({ accessFile, app: { secretEnv: { ACCESS_SECRET_PG_ADMIN: dbs.hr.url } } });
});
afterAll(async () => {
  await h?.stop();
  await dbs?.drop();
});

/** Requests prod-db, approves it tuned to `values`, and returns the role and password from the requester's DM. */
async function grantedLogin(justification: string, values: Record<string, string | string[] | null>) {
  const [id] = (await requestAccess(h, PEOPLE.requester, {
    resources: ['prod-db'],
    duration: '60',
    justification,
  })) as [string];
  await approve(h, PEOPLE.approver, id, values);
  await h.settle();
  const ready = h.slack
    .dmsTo(PEOPLE.requester)
    .map((m) => allText(m.blocks))
    .find((text) => text.includes('is ready') && text.includes(id.replace(/^req_/, '')));
  expect(ready).toBeDefined();
  const role = /user=(jit_[a-z0-9]+)/.exec(ready!)![1]!;
  const password = /Password for jit_[a-z0-9]+\*\\n```([A-Za-z0-9_-]{32})```/.exec(ready!)![1]!;
  return { id, role, password, ready: ready! };
}

describe('a database grant tuned to one database reads that database only', () => {
  it('read-only tuned to app: reads app, cannot write it, cannot read hr or pg_authid; at expiry nothing is left', async () => {
    const { id, role, password, ready } = await grantedLogin('INC-23-3', {
      'tune.databases.prod-db': dbs.app.name,
    });
    expect(ready).toContain(`dbname=${dbs.app.name}`);
    const app = loginAs(dbs.app, role, password);
    const hr = loginAs(dbs.hr, role, password);
    try {
      expect(await app`select item from orders`).toEqual([{ item: 'book' }]);
      await expect(app`insert into orders (item) values ('pen')`).rejects.toThrow(/permission denied for table orders/);
      // PUBLIC may connect to hr (the server's default), but the grant gave nothing there.
      await expect(hr`select amount from salaries`).rejects.toThrow(/permission denied for table salaries/);
      await expect(app`select rolpassword from pg_authid`).rejects.toThrow(/permission denied for table pg_authid/);
    } finally {
      await app.end();
      await hr.end();
    }

    h.clock.advance(61);
    await h.app.jobs.expireNow();
    await h.settle();
    expect(await statusOf(h, id)).toBe('expired');
    expect(await traces(dbs.app, role)).toEqual({ role: false, references: 0 });
  });

  it('read-write tuned to app: writes app, still cannot touch hr; revoked, the role is dropped', async () => {
    const { id, role, password } = await grantedLogin('INC-23-3b', {
      'tune.access.prod-db': 'read-write',
      'tune.databases.prod-db': dbs.app.name,
    });
    const app = loginAs(dbs.app, role, password);
    const hr = loginAs(dbs.hr, role, password);
    try {
      await app`insert into orders (item) values ('pen')`;
      await expect(hr`select amount from salaries`).rejects.toThrow(/permission denied for table salaries/);
      await expect(hr`delete from salaries`).rejects.toThrow(/permission denied for table salaries/);
    } finally {
      await app.end();
      await hr.end();
    }

    await revoke(h, PEOPLE.approver, id);
    expect(await statusOf(h, id)).toBe('revoked');
    expect(await traces(dbs.app, role)).toEqual({ role: false, references: 0 });
  });
});
