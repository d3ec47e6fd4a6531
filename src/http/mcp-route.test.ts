import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { agentNameOf, dnsRebindingRefusal } from './mcp-route.js';

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
