import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../doubles/support/until.js';
import type { AccessApp } from '../src/app.js';
import { startHarness, type Harness } from './support/harness.js';
import { approve, replyTo, requestAccess } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';
import { tokenSecret } from './support/token-secret.js';

let h: Harness;
let replica: AccessApp;
let replicaPort: number;
let token: string;

beforeAll(async () => {
  h = await startHarness();
  replica = await h.replica();
  replicaPort = (await replicaAddress(replica))!;
});
afterAll(async () => {
  await h?.stop();
});

/** The second replica listens on its own port; read it from its health answer. */
async function replicaAddress(app: AccessApp): Promise<number | undefined> {
  return app.port;
}

async function authorize(port: number, body: unknown, key: string | null = token) {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any };
}

/**
 * Polls a decision until it matches. Each replica's index also reloads in full every 60 s as a safety net;
 * a flip well before that came from the grant's notification, which is what these tests are about (how fast
 * it comes is `npm run bench`'s figure), so the wait's guard stays below the reload.
 */
const BEFORE_THE_FULL_RELOAD_MS = 30_000;
async function flips(port: number, body: unknown, allowed: boolean): Promise<void> {
  await waitFor(
    async () => (await authorize(port, body)).json.allowed === allowed,
    `the decision on port ${port} to become ${allowed}`,
    BEFORE_THE_FULL_RELOAD_MS,
  );
}

describe('API keys', () => {
  it('an admin creates a key in Slack and sees it once; others cannot', async () => {
    const reply = await replyTo(h, () => h.driver.command(PEOPLE.admin, '/access', 'apikey create edge gateway'));
    token = /```(ark_key_[0-9a-z]{10}_[A-Za-z0-9_-]{43})```/.exec(reply.text)![1]!;
    const [row] = await h.sql`select name, secret_hash, created_by from api_keys`;
    expect(row).toMatchObject({ name: 'edge gateway', created_by: PEOPLE.admin });
    expect(row!.secret_hash).not.toContain(tokenSecret(token));
    const refused = await replyTo(h, () => h.driver.command(PEOPLE.other, '/access', 'apikey create mine'));
    expect(refused.text).toContain('Only admins');
  });

  it('requests without a live key get 401', async () => {
    expect((await authorize(h.port, { user: PEOPLE.requester, resource: 'prod-db' }, null)).status).toBe(401);
    expect(
      (await authorize(h.port, { user: PEOPLE.requester, resource: 'prod-db' }, `${token.slice(0, -4)}AAAA`)).status,
    ).toBe(401);
    expect((await authorize(h.port, { user: PEOPLE.requester, resource: 'prod-db' })).status).toBe(200);
  });

  it('bad bodies get 400 with a sentence', async () => {
    const res = await authorize(h.port, { who: 'x' });
    expect(res.status).toBe(400);
    expect(res.json.message).toContain('"user"');
  });
});

describe('decisions follow grants on every replica', () => {
  let id: string;
  const ask = { user: PEOPLE.requester, resource: 'prod-db' };

  it('nobody is allowed without a grant', async () => {
    expect((await authorize(h.port, ask)).json).toEqual({ allowed: false, reason: 'no_active_grant' });
  });

  it('an approved grant is allowed, with its tuned policy, by Slack id and by e-mail, on both replicas as soon as the grant is notified', async () => {
    [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'INC-11',
    })) as [string];
    await approve(h, PEOPLE.approver, id, { 'tune.databases.prod-db': 'app' });
    await flips(h.port, ask, true);
    await flips(replicaPort, ask, true);
    const res = await authorize(replicaPort, { user: 'Rita@Example.com', resource: 'prod-db' });
    expect(res.json).toMatchObject({
      allowed: true,
      grant: {
        request_id: id,
        user: PEOPLE.requester,
        resource: 'prod-db',
        policy: { type: 'database', access: 'read-only', databases: ['app'] },
      },
    });
    expect((await authorize(h.port, { user: PEOPLE.requester, resource: 'web-1' })).json.allowed).toBe(false);
    expect((await authorize(h.port, { user: PEOPLE.other, resource: 'prod-db' })).json.allowed).toBe(false);
  });

  it('GET /api/v1/grants?active=true lists the active grants', async () => {
    const res = await fetch(`http://127.0.0.1:${h.port}/api/v1/grants?active=true`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await res.json()) as any;
    expect(body.grants).toHaveLength(1);
    expect(body.grants[0]).toMatchObject({
      request_id: id,
      user: PEOPLE.requester,
      resources: [{ resource: 'prod-db' }],
    });
  });

  it('a revoked grant stops being allowed on both replicas as soon as it is notified', async () => {
    await replyTo(h, () => h.driver.command(PEOPLE.approver, '/access', `revoke ${id}`));
    await flips(h.port, ask, false);
    await flips(replicaPort, ask, false);
  });

  it('a grant past its end is refused at once, before the expiry job runs', async () => {
    const [next] = await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '15',
      justification: 'INC-12',
    });
    await approve(h, PEOPLE.approver, next!);
    await flips(h.port, ask, true);
    h.clock.advance(16);
    expect((await authorize(h.port, ask)).json.allowed).toBe(false);
  });

  it('a revoked API key stops working, and keys never reach the logs', async () => {
    const [row] = await h.sql`select id from api_keys`;
    await replyTo(h, () => h.driver.command(PEOPLE.admin, '/access', `apikey revoke ${row!.id}`));
    await waitFor(async () => (await authorize(replicaPort, ask)).status === 401, 'the revoked key refused');
    expect(h.logs.join('\n')).not.toContain(token);
  });
});
