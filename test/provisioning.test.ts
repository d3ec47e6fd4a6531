import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryProvisioner } from '../src/provisioners/memory/memory-provisioner.js';
import { scramSha256Verifier } from '../src/provisioners/postgres/scram.js';
import { createTargetDatabase, type TestDatabase } from './support/database.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approve, replyTo, requestAccess, retryNow, statusOf } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

const memory = createMemoryProvisioner();
let target: TestDatabase;
let h: Harness;
let targetDb: string;

const accessFile = `
resources:
  - name: prod-db
    type: database
    tags: [production]
    provisioner: { type: postgres, admin_url: "env:ACCESS_SECRET_TARGET_DB_ADMIN_URL", host: 127.0.0.1 }
  - name: app-one
    type: generic
    tags: [production]
    provisioner: { type: memory }
flows:
  - name: support-prod
    resources: { tags: [production] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR], groups: [S0DBTEAM] }
    max_duration: 8h
`;

beforeAll(async () => {
  target = await createTargetDatabase([[1, 100]]);
  targetDb = target.name;
  h = await startHarness({
    accessFile,
    app: { secretEnv: { ACCESS_SECRET_TARGET_DB_ADMIN_URL: target.url }, extraProvisioners: [memory.provisioner] },
  });
});
afterAll(async () => {
  await h?.stop();
  await target?.drop();
});

const audit = async (id: string) =>
  (await h.sql`select action, details from audit_events where request_id = ${id} order by id`).map((r) => ({
    action: r.action as string,
    details: r.details as Record<string, unknown>,
  }));
const roleExists = async (role: string) => {
  const sql = postgres(target.url, { onnotice: () => {}, max: 1 });
  try {
    return (await sql`select 1 from pg_roles where rolname = ${role}`).length > 0;
  } finally {
    await sql.end();
  }
};

describe('grants become real: a temporary PostgreSQL role', () => {
  let id: string;
  let role: string;
  let password: string;

  it('approval creates the role and the requester gets the password once, in their DM', async () => {
    [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'INC-5',
    })) as [string];
    await approve(h, PEOPLE.approver, id, { 'tune.databases.prod-db': targetDb });
    await h.settle();
    const ready = h.slack.dmsTo(PEOPLE.requester).find((m) => allText(m.blocks).includes('is ready'))!;
    expect(ready).toBeDefined();
    const text = allText(ready.blocks);
    role = /user=(jit_[a-z0-9]+)/.exec(text)![1]!;
    password = /Password for jit_[a-z0-9]+\*\\n```([A-Za-z0-9_-]{32})```/.exec(text)![1]!;
    expect(await roleExists(role)).toBe(true);
    const [target_] = await h.sql`select status, state from grant_targets where resource_name = 'prod-db'`;
    expect(target_).toMatchObject({ status: 'active', state: { role, access: 'read-only' } });
    expect((await audit(id)).map((a) => a.action)).toContain('grant.provisioned');
  });

  it('the requester can log in and read, and cannot write', async () => {
    const url = new URL(target.url);
    url.username = role;
    url.password = password;
    const user = postgres(url.toString(), { max: 1, onnotice: () => {} });
    expect(await user`select amount from payments`).toEqual([{ amount: 100 }]);
    await expect(user`update payments set amount = 0`).rejects.toThrow(/permission denied/);
    await user.end();
  });

  it('the password reaches neither the audit trail, the database, nor the logs', async () => {
    expect(JSON.stringify(await h.sql`select * from audit_events`)).not.toContain(password);
    expect(JSON.stringify(await h.sql`select * from grant_targets`)).not.toContain(password);
    expect(JSON.stringify(await h.sql`select * from outbox`)).not.toContain(password);
    expect(h.logs.join('\n')).not.toContain(password);
  });

  it('at expiry the role is dropped, and that is audited', async () => {
    h.clock.advance(61);
    await h.app.jobs.expireNow();
    await h.settle();
    expect(await statusOf(h, id)).toBe('expired');
    expect(await roleExists(role)).toBe(false);
    const actions = (await audit(id)).map((a) => a.action);
    expect(actions).toContain('grant.deprovisioned');
    expect(actions.indexOf('grant.expired')).toBeLessThan(actions.indexOf('grant.deprovisioned'));
  });
});

/** Does this password match the SCRAM verifier PostgreSQL holds for the role? (The test server trusts every login.) */
async function passwordMatches(role: string, password: string): Promise<boolean> {
  const sql = postgres(target.url, { onnotice: () => {}, max: 1 });
  try {
    const [row] = await sql`select rolpassword from pg_authid where rolname = ${role}`;
    const [, iterations, salt] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(String(row!.rolpassword))!;
    return scramSha256Verifier(password, Buffer.from(salt!, 'base64'), Number(iterations)) === row!.rolpassword;
  } finally {
    await sql.end();
  }
}

describe('the "access ready" DM is owed until Slack takes it', () => {
  const readyDms = () => h.slack.dmsTo(PEOPLE.requester).filter((m) => m.text.includes('is ready'));
  const passwordIn = (m: { blocks: unknown[] }) =>
    /Password for jit_[a-z0-9]+\*\\n```([A-Za-z0-9_-]{32})```/.exec(allText(m.blocks))![1]!;
  let id: string;
  let role: string;

  it('Slack refuses it: sent again with a fresh password, and only that one works', async () => {
    [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'OWED-1',
    })) as [string];
    const before = readyDms().length;
    // Both tries of the first DM fail (WebClient retries once); nothing else is touched.
    h.slack.failNext('chat.postMessage', { status: 500 }, 2, (args) => String(args.text ?? '').includes('is ready'));
    await approve(h, PEOPLE.approver, id, { 'tune.databases.prod-db': targetDb });
    expect(readyDms()).toHaveLength(before);
    const [owed] =
      await h.sql`select t.status, t.ready_sent_at, t.ready_note from grant_targets t join grants g on g.id = t.grant_id where g.request_id = ${id}`;
    expect(owed).toMatchObject({
      status: 'active',
      ready_sent_at: null,
      ready_note: { secretLabel: expect.stringMatching(/^Password for jit_/) },
    });
    role = String(owed!.ready_note.secretLabel).replace('Password for ', '');

    await retryNow(h);
    const sent = readyDms().slice(before);
    expect(sent).toHaveLength(1);
    expect(await passwordMatches(role, passwordIn(sent[0]!))).toBe(true);
    const actions = (await audit(id)).map((a) => a.action);
    expect(actions.filter((a) => a === 'grant.provisioned')).toHaveLength(1);
    expect(actions).toContain('grant.ready_attempt_failed');
    expect(actions).toContain('grant.secret_reissued');
    expect(JSON.stringify(await audit(id))).not.toContain(passwordIn(sent[0]!));
    const [done] =
      await h.sql`select t.ready_sent_at from grant_targets t join grants g on g.id = t.grant_id where g.request_id = ${id}`;
    expect(done!.ready_sent_at).toBeInstanceOf(Date);
  });

  it('the bot died between the commit and the DM: the retried item sends it, and the password it never sent stops working', async () => {
    const first = passwordIn(readyDms().at(-1)!);
    // What a kill at that instant leaves behind: the target active, the DM not recorded, the item not done.
    await h.sql`update grant_targets set ready_sent_at = null from grants g where g.id = grant_targets.grant_id and g.request_id = ${id}`;
    await h.sql`update outbox set done_at = null, available_at = now(), locked_until = null where request_id = ${id} and topic = 'grant.provision'`;
    const before = readyDms().length;
    await h.settle();
    const sent = readyDms().slice(before);
    expect(sent).toHaveLength(1);
    const second = passwordIn(sent[0]!);
    expect(second).not.toBe(first);
    expect(await passwordMatches(role, second)).toBe(true);
    expect(await passwordMatches(role, first)).toBe(false);
    // Delivered and recorded: nothing more is owed.
    const after = readyDms().length;
    await retryNow(h);
    expect(readyDms()).toHaveLength(after);
  });
});

describe('when the target fails', () => {
  it('transient failures are retried with backoff; after three, requester and approvers are told; then it works', async () => {
    memory.failNext(3);
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['app-one'],
      duration: '60',
      justification: 'INC-6',
    });
    await approve(h, PEOPLE.approver, id!);
    await h.settle();
    const [row] =
      await h.sql`select available_at > now() as later, attempts from outbox where topic = 'grant.provision' and request_id = ${id!}`;
    expect(row).toMatchObject({ later: true, attempts: 1 });
    await retryNow(h);
    await retryNow(h);
    for (const person of [PEOPLE.requester, PEOPLE.approver]) {
      expect(h.slack.dmsTo(person).some((m) => m.text.includes('keeps failing'))).toBe(true);
    }
    await retryNow(h);
    expect(memory.has((await h.sql`select id from grants where request_id = ${id!}`)[0]!.id, 'app-one')).toBe(true);
    const actions = (await audit(id!)).map((a) => a.action);
    expect(actions.filter((a) => a === 'grant.provision_attempt_failed')).toHaveLength(3);
    expect(actions.at(-1)).toBe('grant.provisioned');
  });

  it('a target that says when to come back (a rate-limit reset) is retried then, not after the usual backoff', async () => {
    memory.failNext(1, false, 600);
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['app-one'],
      duration: '60',
      justification: 'INC-6b',
    });
    await approve(h, PEOPLE.approver, id!);
    await h.settle();
    const [row] =
      await h.sql`select extract(epoch from available_at - now())::int as wait from outbox where topic = 'grant.provision' and request_id = ${id!} and done_at is null`;
    expect(row!.wait as number).toBeGreaterThan(590);
    await retryNow(h);
    expect(await statusOf(h, id!)).toBe('active');
    expect((await audit(id!)).map((a) => a.action).at(-1)).toBe('grant.provisioned');
  });

  it('a permanent refusal is reported to requester and approvers, and not retried', async () => {
    memory.failNext(1, true);
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['app-one'],
      duration: '60',
      justification: 'INC-7',
    });
    await approve(h, PEOPLE.approver, id!);
    await h.settle();
    const [t] =
      await h.sql`select t.status, t.last_error from grant_targets t join grants g on g.id = t.grant_id where g.request_id = ${id!}`;
    expect(t).toMatchObject({ status: 'failed', last_error: 'the target refused this grant' });
    expect(h.slack.dmsTo(PEOPLE.requester).at(-1)!.text).toContain('could not be set up');
    expect(await h.sql`select 1 from outbox where request_id = ${id!} and done_at is null`).toHaveLength(0);
  });

  it('removal is retried until it succeeds', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['app-one'],
      duration: '60',
      justification: 'INC-8',
    });
    await approve(h, PEOPLE.approver, id!);
    await h.settle();
    const [grant] = await h.sql`select id from grants where request_id = ${id!}`;
    memory.failNext(2);
    await replyTo(h, () => h.driver.command(PEOPLE.approver, '/access', `revoke ${id}`));
    await h.settle();
    expect(memory.has(grant!.id, 'app-one')).toBe(true);
    await retryNow(h);
    await retryNow(h);
    expect(memory.has(grant!.id, 'app-one')).toBe(false);
    const [t] = await h.sql`select status, attempts from grant_targets where grant_id = ${grant!.id}`;
    expect(t).toMatchObject({ status: 'removed', attempts: 2 });
  });
});

describe('reconcile', () => {
  it('puts back access that vanished from an active grant, and removes access left behind by an ended one', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['app-one'],
      duration: '60',
      justification: 'INC-9',
    });
    await approve(h, PEOPLE.approver, id!);
    await h.settle();
    const [grant] = await h.sql`select id from grants where request_id = ${id!}`;
    memory.drop(grant!.id, 'app-one');
    expect(await h.app.services.provisioning.reconcile()).toMatchObject({ reprovisioned: 1 });
    await h.settle();
    expect(memory.has(grant!.id, 'app-one')).toBe(true);

    await replyTo(h, () => h.driver.command(PEOPLE.approver, '/access', `revoke ${id}`));
    await h.settle();
    expect(memory.has(grant!.id, 'app-one')).toBe(false);
    const provisions = memory.calls.filter((c) => c.grantId === grant!.id && c.op === 'provision').length;
    memory.plant({ grantId: grant!.id, resource: { name: 'app-one', type: 'generic' } } as never);
    expect(await h.app.services.provisioning.reconcile()).toMatchObject({ removed: 1 });
    await h.settle();
    expect(memory.has(grant!.id, 'app-one')).toBe(false);
    expect(memory.calls.filter((c) => c.grantId === grant!.id && c.op === 'provision')).toHaveLength(provisions);
    const actions = (await audit(id!)).map((a) => a.action);
    expect(actions).toContain('reconcile.missing_access');
    expect(actions).toContain('reconcile.leftover_access');
  });
});

describe('several replicas on one database', () => {
  it('each grant is provisioned and removed exactly once', async () => {
    const second = await h.replica();
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const [id] = await requestAccess(h, PEOPLE.requester, {
        resources: ['app-one'],
        duration: '15',
        justification: `INC-R${i}`,
      });
      ids.push(id!);
    }
    for (const id of ids) await approve(h, PEOPLE.approver, id);
    await Promise.all([h.settle(), second.jobs.drainOutbox()]);
    const grants = await h.sql`select id from grants where request_id in ${h.sql(ids)}`;
    for (const g of grants)
      expect(memory.calls.filter((c) => c.grantId === g.id && c.op === 'provision')).toHaveLength(1);

    h.clock.advance(16);
    await Promise.all([h.app.jobs.expireNow(), second.jobs.expireNow()]);
    await Promise.all([h.settle(), second.jobs.drainOutbox(), h.settle()]);
    for (const g of grants) {
      expect(memory.calls.filter((c) => c.grantId === g.id && c.op === 'deprovision')).toHaveLength(1);
      expect(memory.has(g.id, 'app-one')).toBe(false);
    }
    const expiries =
      await h.sql`select request_id, count(*)::int as n from audit_events where action = 'grant.expired' and request_id in ${h.sql(ids)} group by request_id`;
    expect(expiries.map((e) => e.n)).toEqual(ids.map(() => 1));
  });
});
