import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeSlack } from './fake-slack.js';
import { METHOD_TIERS } from './rate-limits.js';

/**
 * Slack's rate-limit tiers, per method (rate-limits.ts, README "Method by method"): over HTTP, so a test
 * sees the 429, the Retry-After header and the body. A clock passed to enforceRateLimits drives the buckets.
 */
const TOKEN = 'xoxb-tiers';
let slack: FakeSlack;

async function call(
  method: string,
  args: Record<string, unknown> = {},
): Promise<{ status: number; retryAfter: string | null; body: any }> {
  const res = await fetch(`${slack.apiUrl}${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(args),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
}

beforeEach(async () => {
  slack = await FakeSlack.start({ botToken: TOKEN, users: [{ id: 'U0ALICE', name: 'alice' }] });
});
afterEach(async () => {
  await slack.stop();
});

describe('rate-limit tiers, per method, with Retry-After', () => {
  // One method of each tier: its minute's allowance passes, the next call is 429 with the wait Slack
  // would name (a token bucket refilling per minute: 60 / per-minute seconds, rounded up).
  const cases = [
    { method: 'usergroups.list', args: {}, allowance: 20, retryAfter: '3' },
    {
      method: 'chat.update',
      args: { channel: 'C0GENERAL', ts: '1.000001', text: 'x' },
      allowance: 50,
      retryAfter: '2',
    },
    { method: 'users.info', args: { user: 'U0ALICE' }, allowance: 100, retryAfter: '1' },
    { method: 'chat.postMessage', args: { channel: 'C0GENERAL', text: 'x' }, allowance: 5, retryAfter: '1' },
  ];
  for (const { method, args, allowance, retryAfter } of cases) {
    it(`${method} (tier ${METHOD_TIERS[method]}): ${allowance} calls, then 429 with Retry-After ${retryAfter}; the budget refills`, async () => {
      let now = 1_000_000;
      slack.enforceRateLimits(() => now);
      for (let i = 0; i < allowance; i++) expect((await call(method, args)).status).toBe(200);
      const limited = await call(method, args);
      expect([limited.status, limited.retryAfter, limited.body]).toEqual([
        429,
        retryAfter,
        { ok: false, error: 'ratelimited' },
      ]);
      expect((await call('auth.test')).status).toBe(200); // another method has its own budget
      now += Number(retryAfter) * 1000;
      expect((await call(method, args)).status).toBe(200);
    });
  }

  it('chat.postMessage is counted per channel', async () => {
    slack.enforceRateLimits(() => 0);
    for (let i = 0; i < 5; i++) await call('chat.postMessage', { channel: 'C0GENERAL', text: `${i}` });
    expect((await call('chat.postMessage', { channel: 'C0GENERAL', text: 'six' })).status).toBe(429);
    expect((await call('chat.postMessage', { channel: 'U0ALICE', text: 'elsewhere' })).status).toBe(200);
    expect(slack.messagesIn('C0GENERAL')).toHaveLength(5);
  });
});
