import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_LOGIN_PATHS } from '../src/http/device-login-routes.js';
import { ENDPOINTS, requestApiRoutes } from '../src/http/requests-api.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approve, approverMessage, replyTo } from './support/journey-steps.js';
import { apiClient, openApiChecker, type Checker } from './support/request-api-client.js';
import { waitFor } from '../doubles/support/until.js';
import { PEOPLE } from './support/workspace.js';
import { tokenSecret } from './support/token-secret.js';

/**
 * The request API through its real entry points: personal tokens made with signed `/access token create`
 * commands, fetch against the bot's port, approval in Slack through the driver. Every answer is checked
 * against the OpenAPI document the bot serves.
 */
let h: Harness;
let checker: Checker;
const tokens: Record<string, string> = {};

async function tokenFor(user: string, name: string): Promise<string> {
  const reply = await replyTo(h, () => h.driver.command(user, '/access', `token create ${name}`));
  return /```(ark_pat_\S+)```/.exec(reply.text)![1]!;
}

beforeAll(async () => {
  h = await startHarness();
  checker = await openApiChecker(h);
  tokens.rita = await tokenFor(PEOPLE.requester, 'rita cli');
  tokens.oscar = await tokenFor(PEOPLE.other, 'oscar');
});
afterAll(async () => {
  await h?.stop();
});

const rita = () => apiClient(h, checker, tokens.rita!, { 'x-access-channel': 'cli' });
const prodDb = { resources: ['prod-db'], duration_minutes: 60, justification: 'HTTP-1 look at a slow query' };

describe('the document', () => {
  it('is served without a token and names every route the server has under /api/v1', async () => {
    const paths = Object.keys(checker.doc.paths);
    for (const e of ENDPOINTS) expect(checker.doc.paths[e.path]?.[e.method.toLowerCase()], e.path).toBeDefined();
    // And the CLI's login routes (test/cli-device-login.test.ts checks their answers against it).
    expect(paths.sort()).toEqual([...new Set(ENDPOINTS.map((e) => e.path)), ...DEVICE_LOGIN_PATHS].sort());
    // The server's own routes: each exact path is an endpoint, each prefix serves some endpoints under it.
    const routes = requestApiRoutes({
      tokens: { verify: async () => null },
      api: null as never,
      logger: null as never,
    });
    for (const r of routes) {
      const under = r.path.endsWith('/*')
        ? ENDPOINTS.filter((e) => e.method === r.method && e.path.startsWith(r.path.slice(0, -1)))
        : ENDPOINTS.filter((e) => e.method === r.method && e.path === r.path);
      expect(under.length, `${r.method} ${r.path}`).toBeGreaterThan(0);
    }
  });
});

describe('authentication', () => {
  it('refuses a missing, malformed or wrong token with 401, a sentence and WWW-Authenticate', async () => {
    const none = await apiClient(h, checker, null)('GET', '/api/v1/requests');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="access-requests"');
    expect(none.json.message).toContain('/access token create');
    const wrong = await apiClient(h, checker, `${tokens.rita!.slice(0, -4)}AAAA`)('GET', '/api/v1/me');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('says who the token belongs to', async () => {
    const me = await rita()('GET', '/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.json.user).toMatchObject({ id: PEOPLE.requester, email: 'rita@example.com' });
    expect(me.json.token).toMatchObject({ name: 'rita cli' });
  });

  it('refuses an unknown channel or an agent name that is not one printable line', async () => {
    const bad = await apiClient(h, checker, tokens.rita!, { 'x-access-channel': 'email' })('GET', '/api/v1/me');
    expect(bad.status).toBe(400);
    expect(bad.json.fields).toHaveProperty('X-Access-Channel');
    const long = await apiClient(h, checker, tokens.rita!, { 'x-access-agent': 'a'.repeat(65) })('GET', '/api/v1/me');
    expect(long.status).toBe(400);
  });

  it('a revoked token is refused', async () => {
    const token = await tokenFor(PEOPLE.requester, 'soon revoked');
    const call = apiClient(h, checker, token);
    expect((await call('GET', '/api/v1/me')).status).toBe(200);
    const id = token.split('_').slice(1, 3).join('_');
    await replyTo(h, () => h.driver.command(PEOPLE.requester, '/access', `token revoke ${id}`));
    expect((await call('GET', '/api/v1/me')).status).toBe(401);
  });
});

describe('a request from the CLI, approved in Slack', () => {
  let id: string;

  it('lists what the person may request', async () => {
    const list = await rita()('GET', '/api/v1/requestable');
    expect(list.status).toBe(200);
    expect(list.json.resources.map((r: { name: string }) => r.name)).toContain('prod-db');
  });

  it('creates it (201); the approvers get the Slack message naming the CLI', async () => {
    const made = await rita()('POST', '/api/v1/requests', { body: prodDb });
    expect(made.status).toBe(201);
    id = made.json.requests[0].id;
    expect(made.json.requests[0]).toMatchObject({ status: 'pending', channel: 'cli', flow: 'support-prod' });
    await h.settle();
    expect(allText(approverMessage(h, PEOPLE.approver, id).message.blocks)).toContain('from the CLI');
  });

  it('the long poll returns when the approver approves; GET shows the grant and the access', async () => {
    const waiting = rita()('GET', `/api/v1/requests/${id}/wait?timeout=30`);
    await approve(h, PEOPLE.approver, id);
    const answer = await waiting;
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ changed: true, request: { id, status: 'active' } });
    const got = await rita()('GET', `/api/v1/requests/${id}`);
    expect(got.json.grant).toMatchObject({ status: 'active' });
    expect(got.json.access).toEqual([
      { resource: 'prod-db', status: 'active', instructions: null, credential: null, ssh_certificate: null },
    ]);
  });

  it('a long poll with nothing to wait for answers at its timeout, unchanged', async () => {
    const answer = await rita()('GET', `/api/v1/requests/${id}/wait?timeout=0`);
    expect(answer.json.changed).toBe(false);
  });

  it('lists it among the person’s requests, by status too', async () => {
    const active = await rita()('GET', '/api/v1/requests?status=active&limit=5');
    expect(active.json.requests.map((r: { id: string }) => r.id)).toContain(id);
    const denied = await rita()('GET', '/api/v1/requests?status=denied');
    expect(denied.json.requests).toEqual([]);
    const bad = await rita()('GET', '/api/v1/requests?limit=1000');
    expect(bad.status).toBe(400);
  });

  it('someone else’s request is 404, whatever they try', async () => {
    const oscar = apiClient(h, checker, tokens.oscar!);
    expect((await oscar('GET', `/api/v1/requests/${id}`)).status).toBe(404);
    expect((await oscar('POST', `/api/v1/requests/${id}/release`)).status).toBe(404);
    expect((await oscar('GET', `/api/v1/requests/${id}/wait?timeout=1`)).status).toBe(404);
  });

  it('extend (201) goes to the approvers; release ends the access; a second release is 409', async () => {
    const more = await rita()('POST', `/api/v1/requests/${id}/extend`, {
      body: { duration_minutes: 60, justification: 'HTTP-1 still slow' },
    });
    expect(more.status).toBe(201);
    expect(more.json).toMatchObject({ kind: 'extension', extends: id, status: 'pending' });
    const again = await rita()('POST', `/api/v1/requests/${id}/extend`, {
      body: { duration_minutes: 60, justification: 'HTTP-1 still slow' },
    });
    expect(again.status).toBe(409);
    const released = await rita()('POST', `/api/v1/requests/${id}/release`);
    expect(released.status).toBe(200);
    expect(released.json.status).toBe('revoked');
    expect((await rita()('POST', `/api/v1/requests/${id}/release`)).status).toBe(409);
  });
});

describe('the same rules as Slack', () => {
  it('a resource outside the person’s flows is 400 with a sentence for the field', async () => {
    const oscar = apiClient(h, checker, tokens.oscar!);
    const refused = await oscar('POST', '/api/v1/requests', { body: prodDb });
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ error: 'invalid_input' });
    expect(refused.json.fields.resources).toContain('You cannot request “prod-db”');
  });

  it('a duration the flow does not offer, a missing field, an unknown field, a body that is not JSON', async () => {
    const long = await rita()('POST', '/api/v1/requests', { body: { ...prodDb, duration_minutes: 6000 } });
    expect(long.json.fields.duration_minutes).toContain('at most 8h');
    const missing = await rita()('POST', '/api/v1/requests', { body: { resources: ['prod-db'] } });
    expect(Object.keys(missing.json.fields)).toEqual(expect.arrayContaining(['duration_minutes', 'justification']));
    const extra = await rita()('POST', '/api/v1/requests', { body: { ...prodDb, approve: true } });
    expect(extra.json.fields).toHaveProperty('approve');
    const notJson = await rita()('POST', '/api/v1/requests', { raw: '{"resources":' });
    expect(notJson.status).toBe(400);
    expect(
      await h.sql`select id from access_requests where requester_id = ${PEOPLE.requester} and status = 'pending' and kind = 'access'`,
    ).toHaveLength(0);
  });

  it('an idempotency key makes one request however often it is sent', async () => {
    const headers = { 'idempotency-key': 'b7c3a1d0-retry' };
    const body = { resources: ['k8s-prod'], duration_minutes: 60, justification: 'HTTP-2 once' };
    const first = await rita()('POST', '/api/v1/requests', { body, headers });
    const second = await rita()('POST', '/api/v1/requests', { body, headers });
    expect(second.json.requests[0].id).toBe(first.json.requests[0].id);
    expect(await h.sql`select id from access_requests where justification = 'HTTP-2 once'`).toHaveLength(1);
    const cancelled = await rita()('POST', `/api/v1/requests/${first.json.requests[0].id}/cancel`);
    expect(cancelled.json.status).toBe('cancelled');
    expect((await rita()('POST', `/api/v1/requests/${first.json.requests[0].id}/cancel`)).status).toBe(409);
  });

  it('an agent’s request names the channel and agent to approvers and in the audit trail', async () => {
    const agent = apiClient(h, checker, tokens.rita!, { 'x-access-channel': 'mcp', 'x-access-agent': 'Claude Code' });
    const made = await agent('POST', '/api/v1/requests', {
      body: { resources: ['k8s-prod'], duration_minutes: 60, justification: 'HTTP-3 agent' },
    });
    const madeId = made.json.requests[0].id as string;
    expect(made.json.requests[0]).toMatchObject({ channel: 'mcp', agent: 'Claude Code' });
    await h.settle();
    expect(allText(approverMessage(h, PEOPLE.approver, madeId).message.blocks)).toContain(
      'by agent *Claude Code* through MCP on behalf of <@U0REQ>',
    );
    await agent('POST', `/api/v1/requests/${madeId}/cancel`);
    const events = await h.sql`select action, details from audit_events where request_id = ${madeId} order by id`;
    expect(events.map((e) => [e.action, e.details.channel, e.details.agent])).toEqual([
      ['request.created', 'mcp', 'Claude Code'],
      ['request.cancelled', 'mcp', 'Claude Code'],
    ]);
  });
});

describe('limits', () => {
  it('a body past 16 KiB is 413 and not read', async () => {
    // A fresh token: Rita's has spent its ten new requests a minute by now.
    const call = apiClient(h, checker, await tokenFor(PEOPLE.requester, 'big'));
    const big = await call('POST', '/api/v1/requests', {
      raw: JSON.stringify({ ...prodDb, justification: 'x'.repeat(20_000) }),
    });
    expect(big.status).toBe(413);
    expect(big.json.message).toContain('16 KiB');
  });

  it('past 10 new requests a minute a token gets 429 with Retry-After and a sentence', async () => {
    const token = await tokenFor(PEOPLE.other, 'busy');
    const call = apiClient(h, checker, token);
    const statuses: number[] = [];
    // Refused bodies count too: the limit is on attempts, before any work.
    for (let i = 0; i < 10; i++) statuses.push((await call('POST', '/api/v1/requests', { body: {} })).status);
    expect(statuses.slice(0, 10).every((s) => s === 400)).toBe(true);
    const limited = await call('POST', '/api/v1/requests', { body: {} });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.json.message).toContain('new requests');
    // Reading is still allowed: the creation limit is its own bucket.
    expect((await call('GET', '/api/v1/me')).status).toBe(200);
  });

  it('past 120 calls a minute a token gets 429', async () => {
    const token = await tokenFor(PEOPLE.other, 'chatty');
    const call = apiClient(h, checker, token);
    // All at once: the bucket (120, refilling 2 a second) refills by a call only every half second, so
    // 180 calls sent together meet an empty bucket however slowly a busy machine answers them.
    const answers = await Promise.all(Array.from({ length: 180 }, () => call('GET', '/api/v1/me')));
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(answers.every((a) => a.status === 200 || a.status === 429)).toBe(true);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('the tokens’ secrets reached no log line', () => {
    for (const token of Object.values(tokens)) {
      const secret = tokenSecret(token);
      expect(h.logs.some((l) => l.includes(secret))).toBe(false);
    }
    expect(checker.checked()).toBeGreaterThan(30);
  });

  it('a deactivated person’s token and an expired token are refused with 401', async () => {
    const leaver = 'U0BULK011';
    const theirs = apiClient(h, checker, await tokenFor(leaver, 'leaver'));
    expect((await theirs('GET', '/api/v1/me')).status).toBe(200);
    h.slack.deactivateUser(leaver);
    await h.driver.userChange(leaver);
    await waitFor(async () => (await theirs('GET', '/api/v1/me')).status === 401, 'the token refused');

    const short = apiClient(h, checker, await tokenFor(PEOPLE.requester, 'short --expires 1h'));
    expect((await short('GET', '/api/v1/me')).status).toBe(200);
    h.clock.advance(61);
    expect((await short('GET', '/api/v1/me')).status).toBe(401);
  });
});
