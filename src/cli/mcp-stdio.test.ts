import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ApiError, type AccessApi } from '../domain/request-api.js';
import { runMcpStdio } from './mcp-stdio.js';

/** Speaks newline-delimited JSON-RPC to runMcpStdio over in-memory pipes, as an MCP host does over stdio. */
function host(apiFor: (agent: string) => AccessApi) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const lines: string[] = [];
  let buffered = '';
  stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    lines.push(...parts);
  });
  const done = runMcpStdio({ apiFor, stdin, stdout, logger: pino({ level: 'silent' }) });
  const send = (message: object) => stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
  const answer = async (id: number) => {
    for (;;) {
      const line = lines.find((l) => (JSON.parse(l) as { id?: number }).id === id);
      if (line) return JSON.parse(line) as { result: { content: { text: string }[]; isError?: boolean } };
      await new Promise((resolve) => stdout.once('data', resolve));
    }
  };
  const initialize = async (name: string) => {
    send({
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name, version: '9.9.9' } },
    });
    await answer(1);
    send({ method: 'notifications/initialized' });
  };
  return { stdin, lines, done, send, answer, initialize };
}

const emptyApi = { requestable: async () => [], bundles: async () => [] } as unknown as AccessApi;

describe('access-requests mcp over stdio', () => {
  it("makes the person's API for the agent named in initialize, and writes only JSON-RPC to stdout", async () => {
    const agents: string[] = [];
    const h = host((agent) => {
      agents.push(agent);
      return emptyApi;
    });
    await h.initialize('Claude Code\u202e');
    h.send({ id: 2, method: 'tools/call', params: { name: 'list_requestable_resources', arguments: {} } });
    h.send({ id: 3, method: 'tools/call', params: { name: 'list_requestable_resources', arguments: {} } });
    expect((await h.answer(2)).result.content[0]!.text).toBe('There is nothing you may request right now.');
    await h.answer(3);
    expect(agents).toEqual(['Claude Code']);
    h.stdin.end();
    await h.done;
    for (const line of h.lines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
  });

  it("a missing login is the tool's error in a sentence, not a dead server", async () => {
    const h = host(() => {
      throw new Error('Not logged in: run `access-requests login --url https://your-access-bot`.');
    });
    await h.initialize('some-agent');
    h.send({ id: 2, method: 'tools/call', params: { name: 'list_my_requests', arguments: {} } });
    const { result } = await h.answer(2);
    expect(result.isError).toBe(true);
    expect(result.content[0]!.text).toContain('Not logged in: run `access-requests login');
    h.stdin.end();
    await h.done;
  });

  it('refusals made while building the client keep their own code', async () => {
    const h = host(() => {
      throw new ApiError(0, { error: 'invalid_url', message: '"ftp://x" is not an http(s) URL of the access bot.' });
    });
    await h.initialize('some-agent');
    h.send({ id: 2, method: 'tools/call', params: { name: 'list_my_requests', arguments: {} } });
    expect((await h.answer(2)).result.content[0]!.text).toContain('(error: invalid_url)');
    h.stdin.end();
    await h.done;
  });
});
