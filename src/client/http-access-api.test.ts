import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../domain/request-api.js';
import { apiUrl, createHttpAccessApi, NO_ANSWER, retryAfterSeconds } from './http-access-api.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A stand-in for the bot: answers per path from `answers`, remembering what it was sent. */
let server: http.Server;
let base = '';
const seen: Seen[] = [];
const answers = new Map<string, Array<{ status: number; body: string; headers?: Record<string, string> }>>();
const answer = (path: string, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const list = answers.get(path) ?? [];
  list.push({ status, body: typeof body === 'string' ? body : JSON.stringify(body), headers });
  answers.set(path, list);
};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const next = answers.get(req.url!.split('?')[0]!)?.shift();
      if (!next) {
        res.writeHead(404, { 'content-type': 'text/html' });
        return res.end('<h1>Not found</h1>');
      }
      res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
      res.end(next.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const api = (url = base) => createHttpAccessApi({ url, token: 'ark_pat_secret', channel: 'cli', agent: 'claude-code' });

describe('the request API over HTTP', () => {
  it('sends the token as a bearer, the channel and agent, and an Idempotency-Key with a new request', async () => {
    answer('/api/v1/requests', 201, { requests: [{ id: 'req_1' }] });
    const made = await api().create({ resources: ['prod-db'], duration_minutes: 60, justification: 'INC-42' }, 'key-1');
    expect(made).toEqual([{ id: 'req_1' }]);
    const call = seen.at(-1)!;
    expect(call).toMatchObject({ method: 'POST', url: '/api/v1/requests' });
    expect(call.headers).toMatchObject({
      authorization: 'Bearer ark_pat_secret',
      'x-access-channel': 'cli',
      'x-access-agent': 'claude-code',
      'idempotency-key': 'key-1',
      'content-type': 'application/json',
    });
    expect(JSON.parse(call.body)).toEqual({ resources: ['prod-db'], duration_minutes: 60, justification: 'INC-42' });
  });

  it('sends an agent name the bot accepts: printable ASCII, accents folded, at most 64 characters, or none', async () => {
    const named = async (agent: string) => {
      answer('/api/v1/requests/req_1', 200, { id: 'req_1' });
      await createHttpAccessApi({ url: base, token: 'ark_pat_secret', channel: 'mcp', agent }).get('req_1');
      return seen.at(-1)!.headers['x-access-agent'];
    };
    expect(await named('Zoë’s\nagent 🤖')).toBe('Zoes agent');
    expect(await named('x'.repeat(100))).toBe('x'.repeat(64));
    expect(await named('🤖')).toBeUndefined();
  });

  it('keeps a path prefix of the base URL and encodes ids and filters', async () => {
    answer('/access/api/v1/requests', 200, { requests: [] });
    await api(`${base}/access/`).listMine({ status: 'active', limit: 5 });
    expect(seen.at(-1)!.url).toBe('/access/api/v1/requests?status=active&limit=5');
    answer('/api/v1/requests/req%2F..%2Fx/wait', 200, { request: { id: 'x' }, changed: false });
    await api().wait('req/../x', { status: 'pending', timeoutSeconds: 1 });
    expect(seen.at(-1)!.url).toBe('/api/v1/requests/req%2F..%2Fx/wait?status=pending&timeout=1');
    expect(apiUrl('https://bot.example/a?x=1#y', 'api/v1/me').href).toBe('https://bot.example/a/api/v1/me');
  });

  it('takes the requestable list bare or wrapped', async () => {
    answer('/api/v1/requestable', 200, [{ name: 'a' }]);
    expect(await api().requestable()).toEqual([{ name: 'a' }]);
    answer('/api/v1/requestable', 200, { resources: [{ name: 'b' }] });
    expect(await api().requestable()).toEqual([{ name: 'b' }]);
  });

  it("a refusal is an ApiError with the server's code, sentence and per-field sentences", async () => {
    answer('/api/v1/requests', 422, {
      error: 'invalid_input',
      message: 'The request was refused.',
      fields: { justification: 'Name a ticket of INC.', bogus: 3 },
    });
    const error = await api()
      .create({ resources: ['x'], duration_minutes: 60, justification: '' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 422,
      message: 'The request was refused.',
      body: { error: 'invalid_input', fields: { justification: 'Name a ticket of INC.' } },
    });
  });

  it('a 429 is waited out once (Retry-After), a second one is the caller’s', async () => {
    answer('/api/v1/me', 429, { error: 'rate_limited', message: 'Slow down.' }, { 'retry-after': '0' });
    answer('/api/v1/me', 200, { user: 'U1', token: { id: 'pat_1', name: 'cli', expires_at: null } });
    expect((await api().me()).user).toBe('U1');
    answer('/api/v1/me', 429, { error: 'rate_limited', message: 'Slow down.' }, { 'retry-after': '0' });
    answer('/api/v1/me', 429, { error: 'rate_limited', message: 'Slow down.' }, { 'retry-after': '0' });
    await expect(api().me()).rejects.toMatchObject({ status: 429, body: { error: 'rate_limited' } });
    expect(retryAfterSeconds('Wed, 21 Oct 2015 07:28:30 GMT', Date.parse('2015-10-21T07:28:00Z'))).toBe(30);
    expect(retryAfterSeconds('soon')).toBeNull();
  });

  it('something that is not the bot (HTML, or JSON without the error shape) is named by its URL', async () => {
    const error = (await api()
      .get('req_1')
      .catch((e: unknown) => e)) as ApiError;
    expect(error.status).toBe(404);
    expect(error.body.error).toBe('bad_response');
    expect(error.message).toBe(
      `The server at ${base} answered HTTP 404 without the access bot's JSON: is that the bot's address?`,
    );
    answer('/api/v1/me', 404, { error: 'not_found' });
    await expect(api().me()).rejects.toThrow(
      `The access bot at ${base} answered HTTP 404 (not_found): is it a version without the request API?`,
    );
  });

  it('a bot that cannot be reached is one sentence naming the URL', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((r) => closed.close(() => r()));
    const error = (await api(url)
      .me()
      .catch((e: unknown) => e)) as ApiError;
    expect(error.status).toBe(NO_ANSWER);
    expect(error.message).toBe(
      `Could not reach the access bot at ${url}: the connection was refused (is the bot running there?).`,
    );
    expect(() => createHttpAccessApi({ url: 'ftp://x', token: 't', channel: 'cli' })).toThrow(ApiError);
  });
});
