import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { healthRoute } from './health.js';

/** The handler's answer, read off a stand-in for Node's ServerResponse (status and body are all it writes). */
async function answer(checkDatabase: () => Promise<void>, timeoutMs?: number) {
  let status = 0;
  let body = '';
  const res = {
    writeHead: (s: number) => void (status = s),
    end: (b: string) => void (body = b),
  } as unknown as ServerResponse;
  await healthRoute(checkDatabase, timeoutMs).handler({} as IncomingMessage, res, new URL('http://127.0.0.1/healthz'));
  return { status, body: JSON.parse(body) as unknown };
}

describe('GET /healthz', () => {
  it('is 200 when the database answers', async () => {
    expect(await answer(async () => {})).toEqual({ status: 200, body: { ok: true } });
  });

  it('is 503 when the database refuses', async () => {
    expect(await answer(() => Promise.reject(new Error('ECONNREFUSED')))).toEqual({
      status: 503,
      body: { ok: false, error: 'database unavailable' },
    });
  });

  it('is 503, not a hang, when the database never answers: the check gives up after its own timeout', async () => {
    // A check that never settles (a black-holed network): only the route's timeout can end this request.
    expect(await answer(() => new Promise<void>(() => {}), 20)).toEqual({
      status: 503,
      body: { ok: false, error: 'database unavailable' },
    });
  });
});
