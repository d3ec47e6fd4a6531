import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PermanentProvisioningError, type GrantContext } from '../../src/provisioners/port.js';
import { createWebhookProvisioner, signWebhookEvent } from '../../src/provisioners/webhook/webhook-provisioner.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

interface Received {
  headers: Record<string, string>;
  body: string;
  event: { type: string; timestamp: string; data: Record<string, unknown> };
}

/** A receiver that does what a real one must: verify the signature before trusting anything. */
async function startReceiver() {
  const received: Received[] = [];
  let reply: { status: number; body: string; delayMs?: number } = { status: 204, body: '' };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      let event: Received['event'];
      try {
        event = new Webhook(SECRET).verify(body, headers) as Received['event'];
      } catch {
        res.writeHead(401).end('bad signature');
        return;
      }
      received.push({ headers, body, event });
      const { status, body: answer, delayMs = 0 } = reply;
      setTimeout(() => res.writeHead(status, { 'content-type': 'application/json' }).end(answer), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/access?token=path-secret`,
    received,
    answer: (status: number, body = '', delayMs?: number) => void (reply = { status, body, delayMs }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

function context(receiver: Receiver, overrides: Partial<GrantContext> = {}): GrantContext {
  return {
    grantId: 'g-7',
    requestId: 'r-9',
    requesterId: 'U42',
    requesterEmail: 'ada@example.com',
    sshPublicKey: null,
    resource: { name: 'billing-api', type: 'http' },
    settings: { url: receiver.url, secret: SECRET },
    grant: { type: 'http', resource: 'billing-api', access: 'read-only' },
    startsAt: new Date('2030-01-01T11:00:00.000Z'),
    expiresAt: new Date('2030-01-01T12:00:00.000Z'),
    ...overrides,
  };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

describe('webhook provisioner', () => {
  let receiver: Receiver;
  // A receiver on a busy machine may take longer than any short budget to answer: only the time-out test is impatient.
  const hook = createWebhookProvisioner({ timeoutMs: 30_000 });
  const impatient = createWebhookProvisioner({ timeoutMs: 300 });
  beforeEach(async () => {
    receiver = await startReceiver();
  });
  afterEach(async () => receiver.close());

  it('delivers activation, extension and revocation, signed, with the grant data', async () => {
    const ctx = context(receiver);
    const { state } = await hook.provision(ctx);
    const later = new Date('2030-01-01T13:00:00.000Z');
    const extended = await hook.extend!(context(receiver, { expiresAt: later }), state);
    await hook.deprovision(context(receiver, { expiresAt: later }), extended.state);

    expect(receiver.received.map((r) => r.event.type)).toEqual(['grant.activated', 'grant.extended', 'grant.revoked']);
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([
      'g-7.grant.activated',
      `g-7.grant.extended.${later.getTime()}`,
      'g-7.grant.revoked',
    ]);
    const [activated] = receiver.received;
    expect(activated?.headers['content-type']).toBe('application/json');
    expect(Number.isNaN(Date.parse(activated?.event.timestamp ?? ''))).toBe(false);
    expect(activated?.event.data).toEqual({
      grant_id: 'g-7',
      request_id: 'r-9',
      requester: { slack_id: 'U42', email: 'ada@example.com' },
      resource: { name: 'billing-api', type: 'http' },
      policy: { type: 'http', resource: 'billing-api', access: 'read-only' },
      starts_at: '2030-01-01T11:00:00.000Z',
      expires_at: '2030-01-01T12:00:00.000Z',
    });
    expect(receiver.received[1]?.event.data.expires_at).toBe(later.toISOString());
    expect(state).toEqual({ url_host: new URL(receiver.url).host, last_message_id: 'g-7.grant.activated' });
    expect(extended.state.last_message_id).toBe(`g-7.grant.extended.${later.getTime()}`);
  });

  it('repeats the same webhook-id when a delivery is retried', async () => {
    await hook.provision(context(receiver));
    await hook.provision(context(receiver));
    const [a, b] = receiver.received;
    expect(a?.headers['webhook-id']).toBe(b?.headers['webhook-id']);
  });

  it('produces signatures a receiver can reject when tampered with', async () => {
    await hook.provision(context(receiver));
    const [{ headers, body } = { headers: {}, body: '' }] = receiver.received;
    const verifier = new Webhook(SECRET);
    expect(() => verifier.verify(body, headers)).not.toThrow();
    const tamperedSignature = { ...headers, 'webhook-signature': `v1,${Buffer.alloc(32, 1).toString('base64')}` };
    expect(() => verifier.verify(body, tamperedSignature)).toThrow(WebhookVerificationError);
    expect(() => verifier.verify(body.replace('read-only', 'full'), headers)).toThrow(WebhookVerificationError);
    expect(() => verifier.verify(body, { ...headers, 'webhook-id': 'other' })).toThrow(WebhookVerificationError);

    // A sender with another secret is refused by the receiver, which the provisioner reports as permanent.
    const wrong = context(receiver, {
      settings: { url: receiver.url, secret: `whsec_${Buffer.alloc(24, 7).toString('base64')}` },
    });
    const err = await rejection(hook.provision(wrong));
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain('401');
    expect(receiver.received).toHaveLength(1);
  });

  it('signWebhookEvent gives the three Standard Webhooks headers', () => {
    const headers = signWebhookEvent(SECRET, 'msg-1', '{"a":1}', new Date());
    expect(new Webhook(SECRET).verify('{"a":1}', headers)).toEqual({ a: 1 });
  });

  it('passes instructions through, truncated to 500 characters', async () => {
    receiver.answer(200, JSON.stringify({ instructions: 'Log in at https://billing.example.com' }));
    expect((await hook.provision(context(receiver))).instructions).toBe('Log in at https://billing.example.com');
    receiver.answer(200, JSON.stringify({ instructions: 'x'.repeat(2000) }));
    expect((await hook.provision(context(receiver))).instructions).toHaveLength(500);
    receiver.answer(200, 'ok');
    expect((await hook.provision(context(receiver))).instructions).toBeUndefined();
  });

  it('leaves 500, 429 and timeouts to be retried', async () => {
    for (const status of [500, 429, 408]) {
      receiver.answer(status, 'try later');
      const err = await rejection(hook.provision(context(receiver)));
      expect(err).not.toBeInstanceOf(PermanentProvisioningError);
      expect(err.message).toContain(String(status));
    }
    receiver.answer(200, '', 2_000);
    const slow = await rejection(impatient.provision(context(receiver)));
    expect(slow).not.toBeInstanceOf(PermanentProvisioningError);
    expect(slow.message).toMatch(/no answer within 300 ms/);
  });

  it('reports a 400 as permanent, naming the host but not the URL path', async () => {
    receiver.answer(400, '{"error":"unknown resource"}');
    const err = await rejection(hook.deprovision(context(receiver), {}));
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain('400');
    expect(err.message).not.toContain('path-secret');
  });

  it('reports an unreachable receiver as retryable', async () => {
    const ctx = context(receiver);
    await receiver.close();
    const err = await rejection(hook.provision(ctx));
    expect(err).not.toBeInstanceOf(PermanentProvisioningError);
    receiver = await startReceiver();
  });

  it('validates settings: secret must be a reference, url must be http(s)', () => {
    expect(
      hook.validateSettings({ url: 'https://hooks.example.com/x', secret: 'env:ACCESS_SECRET_HOOK_SECRET' }),
    ).toBeNull();
    expect(hook.validateSettings({ url: 'https://hooks.example.com/x', secret: SECRET })).toMatch(/secret reference/);
    expect(
      hook.validateSettings({ url: 'ftp://hooks.example.com/x', secret: 'env:ACCESS_SECRET_HOOK_SECRET' }),
    ).toMatch(/url/);
    expect(hook.validateSettings({ url: 'not a url', secret: 'env:ACCESS_SECRET_HOOK_SECRET' })).toMatch(/url/);
  });

  it('refuses a resolved secret that is not whsec_ without calling the receiver', async () => {
    const err = await rejection(
      hook.provision(context(receiver, { settings: { url: receiver.url, secret: 'plain' } })),
    );
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(receiver.received).toEqual([]);
  });
});
