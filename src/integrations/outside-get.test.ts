import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getOutsideJson } from './outside-get.js';

/** A real HTTP server that answers each path as scripted, counting the calls. */
let server: Server;
let base: string;
const calls = new Map<string, number>();
const hangs: Array<() => void> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const n = (calls.get(req.url!) ?? 0) + 1;
    calls.set(req.url!, n);
    if (req.url === '/busy-once' && n === 1) return res.writeHead(429, { 'retry-after': '0' }).end();
    if (req.url === '/busy-long') return res.writeHead(429, { 'retry-after': '30' }).end();
    if (req.url === '/missing') return res.writeHead(404, { 'content-type': 'application/json' }).end('{}');
    if (req.url === '/html') return res.writeHead(200, { 'content-type': 'text/html' }).end('<html>');
    if (req.url === '/slow') return hangs.push(() => res.end('{}'));
    if (req.url === '/auth')
      return res.writeHead(req.headers.authorization === 'Bearer t' ? 200 : 401).end('{"who":"t"}');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const h of hangs) h();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const get = (path: string, timeoutMs = 2000, headers: Record<string, string> = {}) =>
  getOutsideJson(`${base}${path}`, { headers, timeoutMs });

describe('one GET to an outside service', () => {
  it('hands back the JSON with its status, and sends the headers', async () => {
    expect(await get('/auth', 2000, { authorization: 'Bearer t' })).toEqual({
      kind: 'json',
      status: 200,
      body: { who: 't' },
    });
    expect(await get('/auth')).toEqual({ kind: 'status', status: 401 });
  });

  it('honours a 429 once when its Retry-After fits the budget', async () => {
    expect(await get('/busy-once')).toEqual({ kind: 'json', status: 200, body: { path: '/busy-once' } });
    expect(calls.get('/busy-once')).toBe(2);
  });

  it('does not wait for a Retry-After longer than the budget', async () => {
    expect(await get('/busy-long')).toEqual({ kind: 'status', status: 429 });
    expect(calls.get('/busy-long')).toBe(1);
  });

  it('hands back a 404 as a status, for callers that read it as "missing"', async () => {
    expect(await get('/missing')).toEqual({ kind: 'status', status: 404 });
  });

  it('calls a body that is not JSON, a silent service and a closed port unreachable', async () => {
    expect(await get('/html')).toEqual({ kind: 'unreachable', why: 'not_json' });
    expect(await get('/slow', 200)).toEqual({ kind: 'unreachable', why: 'timeout' });
    const closed = await getOutsideJson('http://127.0.0.1:1/x', { headers: {}, timeoutMs: 2000 });
    expect(closed).toEqual({ kind: 'unreachable', why: 'network' });
  });
});
