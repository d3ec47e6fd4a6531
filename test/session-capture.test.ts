import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTargetDatabase, type TestDatabase } from './support/database.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approve, replyTo, requestAccess } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

let target: TestDatabase;
let h: Harness;
let targetDb: string;

const accessFile = `
resources:
  - name: prod-db
    type: database
    tags: [production]
    provisioner: { type: postgres, admin_url: "env:ACCESS_SECRET_TARGET_DB_ADMIN_URL", host: 127.0.0.1 }
  - name: lost-db
    type: database
    tags: [production]
    provisioner: { type: postgres, admin_url: "env:ACCESS_SECRET_NOT_SET_ANYWHERE" }
flows:
  - name: support-prod
    resources: { tags: [production] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
`;

beforeAll(async () => {
  target = await createTargetDatabase([
    [1, 100],
    [2, 250],
  ]);
  targetDb = target.name;
  // Samples only when the test asks (captureNow), so what each sample sees is deterministic.
  h = await startHarness({
    accessFile,
    env: { SESSION_SAMPLE_SECONDS: '60' },
    app: { secretEnv: { ACCESS_SECRET_TARGET_DB_ADMIN_URL: target.url } },
  });
});
afterAll(async () => {
  await h?.stop();
  await target?.drop();
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('built-in capture of postgres sessions', () => {
  let requestId: string;
  let role: string;
  let password: string;

  it('a postgres-provisioned grant gives the requester a role and a password', async () => {
    [requestId] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'INC-31',
    })) as [string];
    await approve(h, PEOPLE.approver, requestId, { 'tune.databases.prod-db': targetDb });
    await h.settle();
    const text = allText(h.slack.dmsTo(PEOPLE.requester).find((m) => allText(m.blocks).includes('is ready'))!.blocks);
    role = /user=(jit_[a-z0-9]+)/.exec(text)![1]!;
    password = /Password for jit_[a-z0-9]+\*\\n```([A-Za-z0-9_-]{32})```/.exec(text)![1]!;
    expect(await h.app.jobs.captureNow()).toMatchObject({ servers: 1, backends: 0, sessionsStarted: 0 });
  });

  it('the queries of a login as that role become one session of the request, ended when the connection closes', async () => {
    const url = new URL(target.url);
    url.username = role;
    url.password = password;
    // fetch_types off: the client sends only our two statements.
    const user = postgres(url.toString(), { max: 1, onnotice: () => {}, fetch_types: false });
    const q1 = 'select count(*) from payments';
    const q2 = 'select amount from payments where id = 2';
    await user.unsafe(q1);
    await pause(300);
    expect(await h.app.jobs.captureNow()).toMatchObject({ backends: 1, sessionsStarted: 1, queriesAdded: 1 });
    // The same query seen again by a second sample is not a new event.
    expect(await h.app.jobs.captureNow()).toMatchObject({ backends: 1, sessionsStarted: 0, queriesAdded: 0 });
    await user.unsafe(q2);
    await pause(300);
    expect(await h.app.jobs.captureNow()).toMatchObject({ backends: 1, queriesAdded: 1 });
    const [open] = await h.app.services.sessions.sessionsOfRequest(requestId);
    expect(open).toMatchObject({
      source: 'postgres-capture',
      endedAt: null,
      clientAddress: '127.0.0.1',
      eventCount: 2,
    });
    const lastSeenBeforeClose = new Date();
    await pause(100);
    await user.end();
    const closed = new Date();

    let ended = 0;
    for (let i = 0; i < 20 && ended === 0; i++) {
      ended = (await h.app.jobs.captureNow())!.sessionsEnded;
      if (ended === 0) await pause(100);
    }
    expect(ended).toBe(1);
    const sessions = await h.app.services.sessions.sessionsOfRequest(requestId);
    expect(sessions).toHaveLength(1);
    const detail = (await h.app.services.sessions.sessionDetail(sessions[0]!.id))!;
    expect(detail).toMatchObject({
      source: 'postgres-capture',
      userId: PEOPLE.requester,
      resourceName: 'prod-db',
      finding: null,
      hasRecording: false,
      eventCount: 2,
    });
    expect(detail.events.map((e) => [e.kind, e.text])).toEqual([
      ['query', q1],
      ['query', q2],
    ]);
    // Ended at the last sample that still saw the backend: after its last query, before it closed.
    expect(detail.endedAt!.getTime()).toBeGreaterThanOrEqual(detail.events[1]!.at.getTime());
    expect(detail.endedAt!.getTime()).toBeGreaterThanOrEqual(lastSeenBeforeClose.getTime() - 1000);
    expect(detail.endedAt!.getTime()).toBeLessThanOrEqual(closed.getTime() + 1000);
    const [row] = await h.sql`select external_id from sessions where id = ${detail.id}`;
    expect(row!.external_id).toMatch(new RegExp(`^${role}:\\d+:\\d{4}-\\d\\d-\\d\\dT`));
  });

  it('start and end are audited with counts but without the query texts', async () => {
    const rows =
      await h.sql`select actor, action, details from audit_events where request_id = ${requestId} and action like 'session.%' order by id`;
    expect(rows.map((r) => r.action)).toEqual(['session.recorded', 'session.ended']);
    expect(rows[1]).toMatchObject({
      actor: 'system',
      details: { events: 2, source: 'postgres-capture', resource: 'prod-db' },
    });
    expect(rows[0]!.details).toMatchObject({ database: targetDb });
    expect(JSON.stringify(await h.sql`select * from audit_events`)).not.toContain('from payments');
    expect(await h.app.jobs.captureNow()).toMatchObject({ backends: 0, sessionsEnded: 0 });
  });

  it('a resource whose admin URL cannot be resolved is logged and retried, and does not stop the others', async () => {
    const [lost] = await requestAccess(h, PEOPLE.requester, {
      resources: ['lost-db'],
      duration: '60',
      justification: 'INC-32',
    });
    await approve(h, PEOPLE.approver, lost!);
    await h.settle();
    // Provisioning failed for good (the secret is missing), so there is no active target to sample.
    expect(await h.app.jobs.captureNow()).toMatchObject({ servers: 1, failures: 0 });
    await h.sql`update grant_targets set status = 'active' where resource_name = 'lost-db'`;
    expect(await h.app.jobs.captureNow()).toMatchObject({ servers: 1, failures: 1 });
    expect(h.logs.join('\n')).toContain('session capture cannot sample this resource');
    expect(h.logs.join('\n')).not.toContain(new URL(target.url).password || 'never-in-logs');
  });

  it('a session still open when the grant ends is ended at its last query, even after a restart lost what was seen', async () => {
    const url = new URL(target.url);
    url.username = role;
    url.password = password;
    const user = postgres(url.toString(), { max: 1, onnotice: () => {}, fetch_types: false });
    await user.unsafe('select 42 as answer');
    await pause(300);
    expect(await h.app.jobs.captureNow()).toMatchObject({ sessionsStarted: 1, queriesAdded: 1 });
    await h.restart();
    await replyTo(h, () => h.driver.command(PEOPLE.approver, '/access', `revoke ${requestId}`));
    await h.settle();
    await h.sql`update grant_targets set status = 'removed' where resource_name = 'lost-db'`;
    // Removal terminated the backend and dropped the role: nothing left to sample, and the open session ends.
    expect(await h.app.jobs.captureNow()).toMatchObject({ servers: 0, backends: 0, sessionsEnded: 1, failures: 0 });
    await user.end({ timeout: 1 }).catch(() => undefined);
    const sessions = await h.app.services.sessions.sessionsOfRequest(requestId);
    expect(sessions).toHaveLength(2);
    const second = (await h.app.services.sessions.sessionDetail(sessions[1]!.id))!;
    expect(second.events.map((e) => e.text)).toEqual(['select 42 as answer']);
    expect(second.endedAt).toEqual(second.events[0]!.at);
  });
});
