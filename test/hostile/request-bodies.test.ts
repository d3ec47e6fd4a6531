import { request, type IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { replyTo } from '../support/journey-steps.js';
import { PEOPLE } from '../support/workspace.js';

/**
 * Bodies larger than a route takes, and API keys in another form than `Authorization: Bearer <key>`:
 * refused with a sentence, over real HTTP, without the bot reading what it will not use.
 */
let h: Harness;
let token: string;
let personal: string;
beforeAll(async () => {
  h = await startHarness();
  const reply = await replyTo(h, () => h.driver.command(PEOPLE.admin, '/access', 'apikey create body limits'));
  token = /```(ark_key_[0-9a-z]{10}_[A-Za-z0-9_-]{43})```/.exec(reply.text)![1]!;
  const mine = await replyTo(h, () => h.driver.command(PEOPLE.requester, '/access', 'token create body limits'));
  personal = /```(ark_pat_[0-9a-z]{10}_[A-Za-z0-9_-]{43})```/.exec(mine.text)![1]!;
});
afterAll(async () => {
  await h?.stop();
});

const MiB = 1024 * 1024;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  json: any;
  /** Bytes the client had produced when the answer's headers arrived. */
  sentWhenAnswered: number;
}

/**
 * POSTs `total` bytes made lazily, 64 KiB at a time (chunked: no Content-Length to refuse up front),
 * and stops sending once the answer has come.
 */
function streamPost(path: string, headers: Record<string, string>, total: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    const source = new Readable({
      read() {
        if (sent >= total) return void this.push(null);
        sent += chunk.length;
        this.push(chunk);
      },
    });
    let answered = false;
    const req = request({ host: '127.0.0.1', port: h.port, path, method: 'POST', headers }, (res) => {
      answered = true;
      const sentWhenAnswered = sent;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        source.destroy();
        req.destroy();
        resolve({ status: res.statusCode!, headers: res.headers, json: JSON.parse(text), sentWhenAnswered });
      });
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    source.pipe(req);
  });
}

/** Declares `declared` bytes and sends none: the answer must come from the header alone. */
function declaredPost(path: string, headers: Record<string, string>, declared: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: h.port, path, method: 'POST', headers: { ...headers, 'content-length': declared } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode!, headers: res.headers, json: JSON.parse(text), sentWhenAnswered: 0 });
        });
      },
    );
    req.on('error', reject);
    req.flushHeaders();
  });
}

const json = { 'content-type': 'application/json' };

describe('bodies over the limit', () => {
  it.each([
    ['an unsigned POST to /slack/events', '/slack/events', { 'content-type': 'application/x-www-form-urlencoded' }, 1],
    ['a POST to /api/v1/authorize', '/api/v1/authorize', json, 16 / 1024],
    ['a POST to /api/v1/sessions', '/api/v1/sessions', json, 5],
    ['a POST to /api/v1/requests (a personal token)', '/api/v1/requests', json, 16 / 1024],
    ['a POST to /mcp (a personal token)', '/mcp', json, 64 / 1024],
  ])(
    '%s of 50 MiB is answered 413 with a sentence before the client has sent it all',
    async (_what, path, headers, limitMiB) => {
      const bearer = path === '/api/v1/requests' || path === '/mcp' ? personal : token;
      const answer = await streamPost(path, { ...headers, authorization: `Bearer ${bearer}` }, 50 * MiB);
      expect(answer.status).toBe(413);
      // The bot stopped reading at the limit: the client was still producing when the answer came.
      expect(answer.sentWhenAnswered).toBeLessThan(50 * MiB);
      expect(answer.sentWhenAnswered).toBeGreaterThan(limitMiB * MiB);
      expect(answer.json.message).toMatch(
        /^The body may be at most \d+ [KM]iB; this one is larger, so it was not read\.$/,
      );
      expect(answer.headers.connection).toBe('close');
    },
  );

  it('a Content-Length over the limit is answered 413 before a byte of the body is sent', async () => {
    const slack = await declaredPost('/slack/events', { 'content-type': 'application/json' }, 200 * MiB);
    expect(slack.status).toBe(413);
    expect(slack.json.message).toContain('at most 1 MiB');
    const authorize = await declaredPost('/api/v1/authorize', { ...json, authorization: `Bearer ${token}` }, MiB);
    expect(authorize.status).toBe(413);
    expect(authorize.json.message).toContain('at most 16 KiB');
  });

  it('an oversized /api/v1/authorize body sent by fetch gets a 413 with a sentence, not a reset connection', async () => {
    const res = await fetch(`http://127.0.0.1:${h.port}/api/v1/authorize`, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${token}` },
      body: JSON.stringify({ user: PEOPLE.requester, resource: 'prod-db', padding: 'x'.repeat(MiB) }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { message: string }).message).toContain('at most 16 KiB');
  });

  it('a large body without a live key is refused with 401 without being read', async () => {
    const answer = await streamPost('/api/v1/sessions', json, 50 * MiB);
    expect(answer.status).toBe(401);
    expect(answer.sentWhenAnswered).toBeLessThan(50 * MiB);
  });
});

describe('one accepted form of API key', () => {
  const ask = JSON.stringify({ user: PEOPLE.requester, resource: 'prod-db' });
  const authorize = (authorization: string) =>
    fetch(`http://127.0.0.1:${h.port}/api/v1/authorize`, {
      method: 'POST',
      headers: { ...json, authorization },
      body: ask,
    });

  it('`Authorization: Bearer <key>` is accepted', async () => {
    const res = await authorize(`Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ allowed: false, reason: 'no_active_grant' });
  });

  it.each([
    ['the bare key', () => token],
    ['another scheme', () => `Token ${token}`],
    ['Basic', () => `Basic ${Buffer.from(`x:${token}`).toString('base64')}`],
    ['two spaces', () => `Bearer  ${token}`],
    ['something after the key', () => `Bearer ${token} extra`],
  ])('%s is refused with 401, a sentence and WWW-Authenticate: Bearer', async (_what, header) => {
    const res = await authorize(header());
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="access-requests"/);
    expect(((await res.json()) as { message: string }).message).toContain('"Authorization: Bearer ark_…"');
    const grants = await fetch(`http://127.0.0.1:${h.port}/api/v1/grants?active=true`, {
      headers: { authorization: header() },
    });
    expect(grants.status).toBe(401);
  });
});
