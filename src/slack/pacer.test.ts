import { describe, expect, it } from 'vitest';
import { createPacer, rateLimitedFor } from './pacer.js';

/** A clock the pacer sleeps on: sleeping moves it, so the test sees when each call would go out. */
function fakeTime() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

describe('the pacer', () => {
  it('lets a burst through, then spaces calls to the budget', async () => {
    const time = fakeTime();
    const pacer = createPacer({ 'chat.update': { perMinute: 60, burst: 2 } }, time.now, time.sleep);
    const at: number[] = [];
    for (let i = 0; i < 4; i++) await pacer.run('chat.update', async () => void at.push(time.now()));
    expect(at).toEqual([0, 0, 1000, 2000]);
  });

  it('waits out Retry-After and tries the call again after a rate-limit error', async () => {
    const time = fakeTime();
    const pacer = createPacer({}, time.now, time.sleep);
    let calls = 0;
    const result = await pacer.run('chat.update', async () => {
      calls += 1;
      if (calls === 1) throw new Error('A rate limit was exceeded (url: chat.update, retry-after: 3)');
      return time.now();
    });
    expect({ calls, result }).toEqual({ calls: 2, result: 3000 });
  });

  it('passes other errors on at once', async () => {
    const pacer = createPacer({});
    await expect(pacer.run('chat.update', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(rateLimitedFor(new Error('boom'))).toBeNull();
  });
});
