import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresProvisioner, roleNameFor } from '../../src/provisioners/postgres/postgres-provisioner.js';
import { PermanentProvisioningError, type GrantContext } from '../../src/provisioners/port.js';
import { createAppAndHr, loginAs as loginTo, traces, type AppAndHr } from '../support/app-and-hr.js';
import { createTargetDatabase, type TestDatabase } from '../support/database.js';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.js';
import { waitFor } from '../../doubles/support/until.js';

let target: TestDatabase;
let admin: postgres.Sql;
const provisioner = createPostgresProvisioner();

beforeAll(async () => {
  target = await createTargetDatabase([[1, 100]]);
  admin = postgres(target.url, { onnotice: () => {}, max: 1 });
});
afterAll(async () => {
  await admin.end();
  await target.drop();
});

let counter = 0;
function context(
  access: 'read-only' | 'read-write',
  databases: string[],
  patch: Partial<GrantContext> = {},
): GrantContext {
  counter += 1;
  const now = Date.now();
  return {
    grantId: `grt_pgtest${counter}`,
    requestId: `req_pgtest${process.pid}x${counter}`,
    requesterId: 'U0REQ',
    requesterEmail: null,
    sshPublicKey: null,
    resource: { name: 'prod-db', type: 'database' },
    settings: { admin_url: target.url, host: '127.0.0.1' },
    grant: { type: 'database', resource: 'prod-db', access, databases },
    startsAt: new Date(now),
    expiresAt: new Date(now + 3600_000),
    ...patch,
  };
}

/** Logs in as the temporary role with the password the requester was given. */
function loginAs(role: string, password: string) {
  const url = new URL(target.url);
  url.username = role;
  url.password = password;
  return postgres(url.toString(), { max: 1, onnotice: () => {}, connect_timeout: 5 });
}

describe('the postgres provisioner (against the real PostgreSQL)', () => {
  it('read-only: the requester logs in and reads, cannot write, and cannot log in after removal', async () => {
    const ctx = context('read-only', [new URL(target.url).pathname.slice(1)]);
    const result = await provisioner.provision(ctx);
    const role = roleNameFor(ctx);
    expect(result.state).toMatchObject({ role, access: 'read-only' });
    expect(result.secret!.value).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(result.instructions).toContain(`user=${role}`);
    const [info] = await admin`select rolcanlogin, rolvaliduntil from pg_roles where rolname = ${role}`;
    expect(info!.rolcanlogin).toBe(true);
    expect(Math.abs((info!.rolvaliduntil as Date).getTime() - ctx.expiresAt.getTime())).toBeLessThan(1000);

    const user = loginAs(role, result.secret!.value);
    expect(await user`select amount from payments`).toEqual([{ amount: 100 }]);
    await expect(user`insert into payments values (2, 5)`).rejects.toThrow(/permission denied/);
    await user.end();

    await provisioner.deprovision(ctx, result.state);
    expect(await admin`select 1 from pg_roles where rolname = ${role}`).toHaveLength(0);
    const again = loginAs(role, result.secret!.value);
    await expect(again`select 1`).rejects.toThrow(/role .* does not exist|password authentication failed/);
    await again.end();
  });

  it('read-write: the requester can write; removal ends their open session', async () => {
    const ctx = context('read-write', [target.name]);
    const result = await provisioner.provision(ctx);
    const role = roleNameFor(ctx);
    const user = loginAs(role, result.secret!.value);
    await user`insert into payments values (3, 7)`;
    expect(await admin`select amount from payments where id = 3`).toEqual([{ amount: 7 }]);
    // PostgreSQL 15 gives nobody CREATE on public by default; an operator may, and removal must cope.
    await admin.unsafe(`grant create on schema public to ${role}`);
    await user`create table scratch (x int)`;
    await provisioner.deprovision(ctx, result.state);
    await expect(user`select 1`).rejects.toThrow();
    await user.end().catch(() => undefined);
    expect(await admin`select 1 from pg_roles where rolname = ${role}`).toHaveLength(0);
    expect(await admin`select tableowner from pg_tables where tablename = 'scratch'`).toEqual([
      { tableowner: 'postgres' },
    ]);
  });

  it('is idempotent: provisioning twice leaves one role (with a new password), removing twice succeeds', async () => {
    const ctx = context('read-only', [target.name]);
    const first = await provisioner.provision(ctx);
    const second = await provisioner.provision(ctx);
    expect(second.secret!.value).not.toBe(first.secret!.value);
    expect(await provisioner.isPresent!(ctx, second.state)).toBe(true);
    await provisioner.deprovision(ctx, second.state);
    await provisioner.deprovision(ctx, second.state);
    expect(await provisioner.isPresent!(ctx, second.state)).toBe(false);
  });

  it('extending moves VALID UNTIL', async () => {
    const ctx = context('read-only', [target.name]);
    await provisioner.provision(ctx);
    const later = new Date(ctx.expiresAt.getTime() + 7200_000);
    await provisioner.extend!({ ...ctx, expiresAt: later }, {});
    const [info] = await admin`select rolvaliduntil from pg_roles where rolname = ${roleNameFor(ctx)}`;
    expect(Math.abs((info!.rolvaliduntil as Date).getTime() - later.getTime())).toBeLessThan(1000);
    await provisioner.deprovision(ctx, {});
  });

  it('refuses what it cannot do, permanently', async () => {
    await expect(provisioner.provision(context('read-only', ['no_such_db']))).rejects.toThrow(
      PermanentProvisioningError,
    );
    await expect(provisioner.provision(context('read-only', ['x"; drop role postgres; --']))).rejects.toThrow(
      PermanentProvisioningError,
    );
    expect(provisioner.validateSettings({ admin_url: 'postgres://postgres:secret@db/prod' })).toContain(
      'secret reference',
    );
    expect(provisioner.validateSettings({ admin_url: 'env:ACCESS_SECRET_PROD_DB_ADMIN_URL' })).toBeNull();
    expect(
      provisioner.validateSettings({ admin_url: 'env:ACCESS_SECRET_PROD_DB_ADMIN_URL', schemas: 'public, reporting' }),
    ).toBeNull();
    expect(
      provisioner.validateSettings({ admin_url: 'env:ACCESS_SECRET_PROD_DB_ADMIN_URL', schemas: 'pg_catalog' }),
    ).toContain('schemas must list schema names');
  });

  it('a server that is down is a retryable failure, not a permanent one', async () => {
    const ctx = context('read-only', [], { settings: { admin_url: 'postgres://postgres@127.0.0.1:9/none' } });
    const error = await provisioner.provision(ctx).catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(PermanentProvisioningError);
  });
});

/**
 * What a grant reaches: exactly the approved databases (and schemas), nothing cluster-wide. The admin URL
 * names the first target database; the provisioner connects to the others by swapping the database name.
 */
describe('a database grant reaches the approved databases and nothing else', () => {
  let dbs: AppAndHr;
  beforeAll(async () => {
    dbs = await createAppAndHr();
  });
  afterAll(async () => {
    await dbs?.drop();
  });
  const scoped = (access: 'read-only' | 'read-write', databases: string[], settings: Record<string, unknown> = {}) =>
    context(access, databases, { settings: { admin_url: target.url, host: '127.0.0.1', ...settings } });

  it('read-only on app: reads app, not hr (even though PUBLIC may connect there), writes nothing, and no password verifiers', async () => {
    const ctx = scoped('read-only', [dbs.app.name]);
    const { secret } = await provisioner.provision(ctx);
    const role = roleNameFor(ctx);
    const app = loginTo(dbs.app, role, secret!.value);
    const hr = loginTo(dbs.hr, role, secret!.value);
    try {
      expect(await app`select item from orders`).toEqual([{ item: 'book' }]);
      expect(await app`select total from reporting.daily`).toEqual([{ total: 10 }]);
      await expect(app`insert into orders (item) values ('pen')`).rejects.toThrow(/permission denied for table orders/);
      await expect(app`select rolpassword from pg_authid`).rejects.toThrow(/permission denied for table pg_authid/);
      await expect(hr`select amount from salaries`).rejects.toThrow(/permission denied for table salaries/);
      await expect(hr`select rolpassword from pg_authid`).rejects.toThrow(/permission denied for table pg_authid/);
    } finally {
      await app.end();
      await hr.end();
    }
    await provisioner.deprovision(ctx, {});
    expect(await traces(target, role)).toEqual({ role: false, references: 0 });
  });

  it('read-write on app: inserts (with its sequence), updates and deletes in app, and still cannot read hr', async () => {
    const ctx = scoped('read-write', [dbs.app.name]);
    const { secret } = await provisioner.provision(ctx);
    const role = roleNameFor(ctx);
    const app = loginTo(dbs.app, role, secret!.value);
    const hr = loginTo(dbs.hr, role, secret!.value);
    try {
      const [row] = await app`insert into orders (item) values ('pen') returning id`;
      await app`update orders set item = 'ink' where id = ${row!.id}`;
      await app`delete from orders where id = ${row!.id}`;
      await expect(hr`select amount from salaries`).rejects.toThrow(/permission denied for table salaries/);
      await expect(hr`insert into salaries values ('eve', 1)`).rejects.toThrow(/permission denied for table salaries/);
    } finally {
      await app.end();
      await hr.end();
    }
    await provisioner.deprovision(ctx, {});
    expect(await traces(target, role)).toEqual({ role: false, references: 0 });
  });

  it('the schemas setting narrows every approved database to those schemas', async () => {
    const ctx = scoped('read-only', [dbs.app.name], { schemas: 'reporting' });
    const { secret } = await provisioner.provision(ctx);
    const role = roleNameFor(ctx);
    const app = loginTo(dbs.app, role, secret!.value);
    try {
      expect(await app`select total from reporting.daily`).toEqual([{ total: 10 }]);
      await expect(app`select item from public.orders`).rejects.toThrow(/permission denied/);
    } finally {
      await app.end();
    }
    await provisioner.deprovision(ctx, {});
  });

  it('"all databases" (an empty list) reads every database there is when the grant is made', async () => {
    const ctx = scoped('read-only', []);
    const { secret } = await provisioner.provision(ctx);
    const role = roleNameFor(ctx);
    const app = loginTo(dbs.app, role, secret!.value);
    const hr = loginTo(dbs.hr, role, secret!.value);
    try {
      expect(await app`select item from orders`).toEqual([{ item: 'book' }]);
      expect(await hr`select amount from salaries`).toEqual([{ amount: 9000 }]);
      await expect(hr`select rolpassword from pg_authid`).rejects.toThrow(/permission denied for table pg_authid/);
    } finally {
      await app.end();
      await hr.end();
    }
    await provisioner.deprovision(ctx, {});
    expect(await traces(target, role)).toEqual({ role: false, references: 0 });
  });

  it('removal also cleans a database the grant did not name, where PUBLIC let the role create a table', async () => {
    const ctx = scoped('read-only', [dbs.app.name]);
    const { secret } = await provisioner.provision(ctx);
    const role = roleNameFor(ctx);
    // What PostgreSQL before 15 allows by default, and an operator may still allow.
    const hrAdmin = postgres(dbs.hr.url, { onnotice: () => {}, max: 1 });
    await hrAdmin`grant create on schema public to public`;
    const hr = loginTo(dbs.hr, role, secret!.value);
    await hr`create table stash (x int)`;
    await hr.end();
    try {
      await provisioner.deprovision(ctx, {});
      expect(await traces(target, role)).toEqual({ role: false, references: 0 });
      expect(await hrAdmin`select tableowner from pg_tables where tablename = 'stash'`).toEqual([
        { tableowner: 'postgres' },
      ]);
    } finally {
      await hrAdmin`revoke create on schema public from public`;
      await hrAdmin.end();
    }
  });
});

/**
 * The least the bot needs: a CREATEROLE login that is a member of the role owning app's schemas and
 * tables (docs/provisioners.md). It grants in app, is refused in hr (owned by someone else), and still
 * removes the role it made.
 */
describe('with an admin role that is not a superuser', () => {
  let dbs: AppAndHr;
  const suffix = `${process.pid}_${Date.now().toString(36)}`;
  const botAdmin = `bot_admin_${suffix}`;
  const owner = `app_owner_${suffix}`;
  let adminUrl: string;
  beforeAll(async () => {
    dbs = await createAppAndHr();
    await admin.unsafe(`create role ${botAdmin} login createrole`);
    await admin.unsafe(`create role ${owner}`);
    await admin.unsafe(`grant ${owner} to ${botAdmin}`);
    const app = postgres(dbs.app.url, { onnotice: () => {}, max: 1 });
    for (const object of ['schema public', 'schema reporting', 'table orders', 'table reporting.daily'])
      await app.unsafe(`alter ${object} owner to ${owner}`);
    await app.end();
    const url = new URL(dbs.app.url);
    url.username = botAdmin;
    adminUrl = url.toString();
  });
  afterAll(async () => {
    await dbs?.drop();
    await admin.unsafe(`drop role if exists ${botAdmin}`);
    await admin.unsafe(`drop role if exists ${owner}`);
  });

  it('grants read-only in app, and removal (sessions, owned objects, role) works without superuser', async () => {
    const ctx = context('read-only', [dbs.app.name], { settings: { admin_url: adminUrl } });
    const { secret } = await provisioner.provision(ctx);
    const role = roleNameFor(ctx);
    const app = loginTo(dbs.app, role, secret!.value);
    expect(await app`select item from orders`).toEqual([{ item: 'book' }]);
    await expect(app`select rolpassword from pg_authid`).rejects.toThrow(/permission denied/);
    await provisioner.deprovision(ctx, {});
    await expect(app`select 1`).rejects.toThrow();
    await app.end().catch(() => undefined);
    expect(await traces(target, role)).toEqual({ role: false, references: 0 });
  });

  it('a database whose schemas it may not grant on is refused with a sentence, not a login that reads nothing', async () => {
    const ctx = context('read-only', [dbs.hr.name], { settings: { admin_url: adminUrl } });
    const error = await provisioner.provision(ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentProvisioningError);
    expect((error as Error).message).toContain(`may not grant access to the schemas of database "${dbs.hr.name}"`);
    // Half-made, the role cannot log in; removal at the grant's end takes it away.
    expect(await provisioner.isPresent!(ctx, {})).toBe(false);
    await provisioner.deprovision(ctx, {});
    expect(await traces(target, roleNameFor(ctx))).toEqual({ role: false, references: 0 });
  });
});

/**
 * The local server trusts every connection, so the tests above would pass with any password. Here a
 * private server checks passwords (scram-sha-256) and logs every DDL statement, as an audited
 * production server might.
 */
describe('on a server that checks passwords and logs DDL', () => {
  let server: PrivatePostgres;
  beforeAll(async () => {
    server = await startPrivatePostgres(['log_statement=ddl']);
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('the password works, a wrong one does not, and neither the logs nor the catalogue hold it', async () => {
    const ctx = context('read-only', [], { settings: { admin_url: server.url } });
    const result = await provisioner.provision(ctx);
    const role = roleNameFor(ctx);
    const password = result.secret!.value;
    const as = (secret: string) => {
      const url = new URL(server.url);
      url.username = role;
      url.password = secret;
      return postgres(url.toString(), { max: 1, onnotice: () => {}, connect_timeout: 5 });
    };
    const user = as(password);
    expect(await user`select current_user as me`).toEqual([{ me: role }]);
    await user.end();
    // One character off (never the same one: a password ending in x would otherwise be "wrong" as itself).
    const wrong = as(`${password.slice(0, -1)}${password.endsWith('x') ? 'y' : 'x'}`);
    await expect(wrong`select 1`).rejects.toThrow(/password authentication failed/);
    await wrong.end();

    const superuser = postgres(server.url, { max: 1, onnotice: () => {} });
    const [stored] = await superuser`select rolpassword from pg_authid where rolname = ${role}`;
    await superuser.end();
    expect(String(stored!.rolpassword)).toMatch(/^SCRAM-SHA-256\$4096:/);
    // The CREATE ROLE statement was logged, with the verifier only.
    await waitFor(() => server.log().includes(`create role "${role}"`), 'the logged CREATE ROLE');
    expect(server.log()).toContain('SCRAM-SHA-256$');
    expect(server.log()).not.toContain(password);
    await provisioner.deprovision(ctx, result.state);
  });
});
