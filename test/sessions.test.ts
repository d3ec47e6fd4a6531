import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';
import { approve, replyTo, requestAccess } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

let h: Harness;
let token: string;
let keyId: string;
let requestId: string;
let grantId: string;
/** Ten minutes into the grant's hour: the moment the sessions below are reported around. */
let base: number;

beforeAll(async () => {
  h = await startHarness({ env: { SESSION_SAMPLE_SECONDS: '60' } });
  const reply = await replyTo(h, () => h.driver.command(PEOPLE.admin, '/access', 'apikey create bastion'));
  token = /```(ark_key_[0-9a-z]{10}_[A-Za-z0-9_-]{43})```/.exec(reply.text)![1]!;
  keyId = /^ark_(key_[0-9a-z]{10})_/.exec(token)![1]!;
  [requestId] = (await requestAccess(h, PEOPLE.requester, {
    resources: ['prod-db'],
    duration: '60',
    justification: 'INC-21',
  })) as [string];
  await approve(h, PEOPLE.approver, requestId, { 'tune.databases.prod-db': 'app' });
  const [grant] = await h.sql`select id, starts_at from grants where request_id = ${requestId}`;
  grantId = grant!.id as string;
  base = (grant!.starts_at as Date).getTime() + 600_000;
});
afterAll(async () => {
  await h?.stop();
});

async function report(body: unknown, key: string | null = token) {
  const res = await fetch(`http://127.0.0.1:${h.port}/api/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any };
}

const ago = (seconds: number) => new Date(base - seconds * 1000).toISOString();
const countSessions = async () => (await h.sql`select count(*)::int as n from sessions`)[0]!.n as number;

// Unicode, escapes, a trailing newline: the replay must get exactly these bytes back.
const CAST = [
  JSON.stringify({ version: 2, width: 80, height: 24, timestamp: 1714560000, env: { TERM: 'xterm-256color' } }),
  JSON.stringify([0.1, 'o', '$ ']),
  JSON.stringify([0.9, 'i', 'psql -c "select * from payments"\r']),
  JSON.stringify([1.2, 'o', ' id | amount \r\n----+--------\r\n  1 |    100 \r\nΣ ünïcødé 🚀\u001b[0m\r\n']),
  '',
].join('\n');
const SECRET_COMMAND = "psql 'postgres://app:hunter2-secret@db/app'";

describe('a gateway reports sessions', () => {
  let sessionId: string;

  it('a session with commands and a recording during an active grant is linked to that grant (by Slack id)', async () => {
    const res = await report({
      user: PEOPLE.requester,
      resource: 'prod-db',
      started_at: ago(5),
      ended_at: ago(1),
      client_address: '10.1.2.3',
      events: [
        { at: ago(4), type: 'command', text: SECRET_COMMAND },
        { at: ago(3), type: 'command', text: 'select * from payments' },
      ],
      recording: CAST,
    });
    expect(res.status).toBe(201);
    expect(res.json).toEqual({
      session_id: expect.stringMatching(/^ses_[0-9a-z]{10}$/),
      grant_id: grantId,
      request_id: requestId,
      finding: null,
    });
    sessionId = res.json.session_id;

    const listed = await h.app.services.sessions.sessionsOfRequest(requestId);
    expect(listed).toEqual([
      expect.objectContaining({
        id: sessionId,
        source: 'api',
        userId: PEOPLE.requester,
        resourceName: 'prod-db',
        clientAddress: '10.1.2.3',
        finding: null,
        eventCount: 2,
        hasRecording: true,
      }),
    ]);
    expect(listed[0]!.endedAt).toBeInstanceOf(Date);
  });

  it('the recording round-trips byte for byte, and the detail lists the events in order', async () => {
    const cast = await h.app.services.sessions.recordingOf(sessionId);
    expect(Buffer.from(cast!, 'utf8').equals(Buffer.from(CAST, 'utf8'))).toBe(true);
    const detail = await h.app.services.sessions.sessionDetail(sessionId);
    expect(detail).toMatchObject({ id: sessionId, grantId, requestId, hasRecording: true, eventCount: 2 });
    expect(detail!.events.map((e) => [e.kind, e.text])).toEqual([
      ['command', SECRET_COMMAND],
      ['command', 'select * from payments'],
    ]);
    expect(await h.app.services.sessions.sessionDetail('ses_nothere000')).toBeNull();
  });

  it('a session reported by e-mail (any case) links to the same grant; an explicit grant_id is checked', async () => {
    const byEmail = await report({ user: 'Rita@Example.COM', resource: 'prod-db', started_at: ago(2) });
    expect(byEmail).toMatchObject({ status: 201, json: { grant_id: grantId, request_id: requestId, finding: null } });

    const explicit = await report({
      user: 'rita@example.com',
      resource: 'prod-db',
      started_at: ago(2),
      grant_id: grantId,
    });
    expect(explicit).toMatchObject({ status: 201, json: { grant_id: grantId, finding: null } });

    const before = await countSessions();
    const notTheirs = await report({ user: PEOPLE.other, resource: 'prod-db', started_at: ago(2), grant_id: grantId });
    expect(notTheirs.status).toBe(400);
    expect(notTheirs.json.message).toBe(`Grant ${grantId} was not given to ${PEOPLE.other}.`);
    const otherResource = await report({
      user: PEOPLE.requester,
      resource: 'web-1',
      started_at: ago(2),
      grant_id: grantId,
    });
    expect(otherResource.json.message).toBe(`Grant ${grantId} does not include web-1.`);
    const unknown = await report({
      user: PEOPLE.requester,
      resource: 'prod-db',
      started_at: ago(2),
      grant_id: 'grt_0000000000',
    });
    expect(unknown.json.message).toBe('There is no grant grt_0000000000.');
    expect(await countSessions()).toBe(before);
  });

  it('a session outside any grant window is stored and flagged no_covering_grant', async () => {
    const early = await report({
      user: PEOPLE.requester,
      resource: 'prod-db',
      started_at: ago(3600),
      events: [{ at: ago(3590), type: 'command', text: 'whoami' }],
    });
    expect(early).toMatchObject({
      status: 201,
      json: { grant_id: null, request_id: null, finding: 'no_covering_grant' },
    });
    const stranger = await report({ user: PEOPLE.other, resource: 'prod-db', started_at: ago(1) });
    expect(stranger.json.finding).toBe('no_covering_grant');
    // Named explicitly, the grant is linked, and the session before its window is flagged.
    const named = await report({
      user: PEOPLE.requester,
      resource: 'prod-db',
      started_at: ago(3600),
      grant_id: grantId,
    });
    expect(named).toMatchObject({
      status: 201,
      json: { grant_id: grantId, request_id: requestId, finding: 'outside_grant_window' },
    });
    const findings = await h.app.services.sessions.findings();
    expect(findings.map((f) => f.id).sort()).toEqual(
      [early.json.session_id, stranger.json.session_id, named.json.session_id].sort(),
    );
    expect(findings.find((f) => f.id === early.json.session_id)).toMatchObject({
      eventCount: 1,
      hasRecording: false,
      requestId: null,
    });
  });

  it('a missing or wrong API key gets 401 and stores nothing', async () => {
    const before = await countSessions();
    expect((await report({ user: PEOPLE.requester, resource: 'prod-db', started_at: ago(1) }, null)).status).toBe(401);
    expect(
      (await report({ user: PEOPLE.requester, resource: 'prod-db', started_at: ago(1) }, `${token.slice(0, -4)}AAAA`))
        .status,
    ).toBe(401);
    expect(await countSessions()).toBe(before);
  });

  it('malformed recordings and bodies get 400 with a sentence, and nothing is stored', async () => {
    const before = await countSessions();
    const base = { user: PEOPLE.requester, resource: 'prod-db', started_at: ago(1) };
    const cases: [unknown, RegExp][] = [
      [{ ...base, recording: '{"version": 1, "width": 80, "height": 24}\n[0.1, "o", "x"]' }, /"version": 2/],
      [{ ...base, recording: '{"version": 2, "width": 80}\n' }, /"width" and "height"/],
      [{ ...base, recording: `${CAST}[0.5, "o"]\n` }, /^Line 5 of "recording" must be an asciicast event/],
      [{ ...base, recording: 'Script started on 2024-05-01\n$ ls' }, /first line of "recording"/],
      [{ user: PEOPLE.requester, resource: 'prod-db' }, /^"started_at" is required\.$/],
      [{ ...base, started_at: 'yesterday' }, /^"started_at" must be an ISO 8601 date-time/],
      [{ ...base, user: 'rita' }, /^"user" must be a Slack user id like U012ABCDEF or an e-mail address\.$/],
      [
        { ...base, events: [{ at: ago(1), type: 'keystroke', text: 'x' }] },
        /^"events\[0\]\.type" must be "command" or "query"\.$/,
      ],
      [
        { ...base, events: [{ at: ago(1), type: 'command', text: 'x'.repeat(10_001) }] },
        /^"events\[0\]\.text" may be at most 10000 characters\.$/,
      ],
      [
        { ...base, events: Array.from({ length: 50_001 }, () => ({ at: ago(1), type: 'query', text: '' })) },
        /^"events" may hold at most 50000 events\.$/,
      ],
      [{ ...base, ended_at: ago(30) }, /"ended_at" must not be before "started_at"/],
      ['{"user": ', /^The body must be JSON/],
    ];
    for (const [body, message] of cases) {
      const res = await report(body);
      expect(res.status, JSON.stringify(res.json)).toBe(400);
      expect(res.json.message).toMatch(message);
    }
    expect(await countSessions()).toBe(before);
  });

  it('a body over 5 MB is refused with 413', async () => {
    const res = await report({
      user: PEOPLE.requester,
      resource: 'prod-db',
      started_at: ago(1),
      recording: 'x'.repeat(5 * 1024 * 1024 + 1),
    });
    expect(res.status).toBe(413);
  });

  it('a repeated report with the same external_id updates ended_at and appends only new events', async () => {
    const first = {
      user: PEOPLE.requester,
      resource: 'prod-db',
      started_at: ago(20),
      external_id: 'bastion-1:4711',
      events: [
        { at: ago(19), type: 'command', text: 'ls' },
        { at: ago(18), type: 'command', text: 'ls' },
      ],
    };
    const exit = { at: ago(10), type: 'command', text: 'exit # bye-77' };
    const endedAt = ago(1);
    const one = await report(first);
    expect(one.status).toBe(201);
    const again = await report({ ...first, ended_at: endedAt, events: [...first.events, exit] });
    expect(again).toMatchObject({
      status: 200,
      json: { session_id: one.json.session_id, grant_id: grantId, request_id: requestId },
    });
    const third = await report({ ...first, ended_at: endedAt, events: [...first.events, exit] });
    expect(third.json.session_id).toBe(one.json.session_id);
    const detail = await h.app.services.sessions.sessionDetail(one.json.session_id);
    expect(detail!.events.map((e) => e.text)).toEqual(['ls', 'ls', 'exit # bye-77']);
    expect(detail!.endedAt).toBeInstanceOf(Date);
    expect((await h.sql`select count(*)::int as n from sessions where external_id = 'bastion-1:4711'`)[0]!.n).toBe(1);
  });

  it('each report is audited with the key as actor, counts and finding, and never the commands or the recording', async () => {
    const rows =
      await h.sql`select request_id, actor, action, details from audit_events where action like 'session.%' order by id`;
    const recorded = rows.find((r) => r.details.sessionId === sessionId)!;
    expect(recorded).toMatchObject({ request_id: requestId, actor: `api-key:${keyId}`, action: 'session.recorded' });
    expect(recorded.details).toMatchObject({
      resource: 'prod-db',
      user: PEOPLE.requester,
      events: 2,
      recordingBytes: Buffer.byteLength(CAST),
      finding: null,
      grantId,
    });
    expect(
      rows.some(
        (r) => r.action === 'session.recorded' && r.details.finding === 'no_covering_grant' && r.request_id === null,
      ),
    ).toBe(true);
    expect(rows.filter((r) => r.action === 'session.updated')).toHaveLength(1);
    const everything = JSON.stringify(await h.sql`select * from audit_events`);
    for (const secret of ['hunter2-secret', 'select * from payments', 'whoami', 'ünïcødé', 'bye-77'])
      expect(everything).not.toContain(secret);
    const verify = await import('../src/services/audit-service.js').then((m) => m.verifyAuditChain(h.app.database.db));
    expect(verify.ok).toBe(true);
  });
});
