import type { IncomingMessage, Server } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { AccessApi, CreateRequestBody } from '../domain/request-api.js';
import { agentNameOf, dnsRebindingRefusal, mcpRoutes } from './mcp-route.js';
import type { RateLimit } from './rate-limit.js';
import { close, createHttpServer, listen } from './server.js';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('/mcp against DNS rebinding', () => {
  const publicUrl = 'https://access.corp.example';
  it.each([
    [{ host: 'access.corp.example' }, null],
    [{ host: 'access.corp.example:443', origin: 'https://access.corp.example' }, null],
    [{ host: '127.0.0.1:3000' }, null],
    [{ host: 'localhost:3000' }, null],
  ])('answers %j', (headers, refusal) => expect(dnsRebindingRefusal(req(headers), publicUrl, '0.0.0.0')).toBe(refusal));

  it.each([
    [{ host: 'evil.example' }, 'does not answer to the host name evil.example'],
    [{}, 'host name (none)'],
    [{ host: 'access.corp.example', origin: 'https://evil.example' }, 'web pages of another origin'],
    [{ host: 'localhost:3000', origin: 'http://localhost:8080' }, 'web pages of another origin'],
  ])('refuses %j', (headers, words) =>
    expect(dnsRebindingRefusal(req(headers), publicUrl, '0.0.0.0')).toContain(words),
  );

  it('answers to the address it listens on', () => {
    expect(dnsRebindingRefusal(req({ host: '10.0.0.5:3000' }), publicUrl, '10.0.0.5')).toBeNull();
  });
});

describe('which agent an HTTP call names', () => {
  const init = { method: 'initialize', params: { clientInfo: { name: 'claude-ai', version: '1' } } };
  it('the X-Access-Agent header first, then clientInfo on initialize, then the User-Agent', () => {
    expect(agentNameOf(req({ 'user-agent': 'node' }), init, 'Cursor')).toBe('Cursor');
    expect(agentNameOf(req({ 'user-agent': 'node' }), init, null)).toBe('claude-ai');
    expect(agentNameOf(req({ 'user-agent': 'node' }), { method: 'tools/call' }, null)).toBe('node');
    expect(agentNameOf(req({}), [init], null)).toBe('unnamed MCP client');
  });
});

describe('/mcp rate limits per token', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await close(s);
  });

  async function start(limits: { calls: RateLimit; creates: RateLimit }) {
    const made: CreateRequestBody[] = [];
    const api = {
      create: async (body: CreateRequestBody) => {
        made.push(body);
        return [];
      },
      requestable: async () => [],
    } as unknown as AccessApi;
    const server = createHttpServer(
      null,
      mcpRoutes({
        authenticate: async () => ({ userId: 'U1', tokenId: 'pat_1', channel: 'api', agent: null }),
        apiFor: () => api,
        publicUrl: () => 'http://localhost',
        listenHost: '127.0.0.1',
        logger: pino({ level: 'silent' }),
        limits,
      }),
      pino({ level: 'silent' }),
    );
    servers.push(server);
    const port = await listen(server, 0, '127.0.0.1');
    return { url: new URL(`http://127.0.0.1:${port}/mcp`), made };
  }

  const connect = async (url: URL) => {
    const client = new Client({ name: 'limits', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(url));
    return client;
  };

  it('a call past the limit is 429 with Retry-After', async () => {
    const { url } = await start({ calls: { perMinute: 1, burst: 2 }, creates: { perMinute: 10, burst: 10 } });
    const client = await connect(url); // initialize + initialized: the two calls the bucket holds
    await expect(client.listTools()).rejects.toMatchObject({ code: 429 });
    const res = await fetch(url, { method: 'POST', body: '{}' });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    await client.close();
  });

  it('request_access past the creation limit is refused in a sentence and creates nothing', async () => {
    const { url, made } = await start({ calls: { perMinute: 100, burst: 100 }, creates: { perMinute: 1, burst: 1 } });
    const client = await connect(url);
    const args = { resources: ['prod-db'], duration: 15, justification: 'INC-1 look' };
    expect((await client.callTool({ name: 'request_access', arguments: args })).isError).toBeFalsy();
    const second = await client.callTool({ name: 'request_access', arguments: args });
    expect(second.isError).toBe(true);
    expect((second.content as { text: string }[])[0]!.text).toContain('Too many new requests with this token');
    expect(made).toHaveLength(1);
    await client.close();
  });
});
