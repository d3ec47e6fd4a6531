import { request } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_TOOL_NAMES } from '../src/mcp/access-tools.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approve, approverMessage, countRows, replyTo, statusOf } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/**
 * The MCP server at /mcp, driven by the SDK's own client over streamable HTTP, with a personal token made
 * the way a person makes one: the signed `/access token create` command in Slack. A request an agent makes
 * goes to the approver in Slack naming the agent; a person approves it there; the agent sees it active and
 * gives it back.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});

const mcpUrl = () => new URL(`http://127.0.0.1:${h.port}/mcp`);
const SECRET = /ark_pat_[A-Za-z0-9_-]+/;

async function makeToken(user: string, name = 'agent'): Promise<{ secret: string; id: string }> {
  const reply = await replyTo(h, () => h.driver.command(user, '/access', `token create ${name}`));
  return { secret: SECRET.exec(reply.text)![0], id: /pat_[0-9a-z]+/.exec(reply.text)![0] };
}

async function connect(token: string, headers: Record<string, string> = { 'x-access-agent': 'Claude Code' }) {
  const client = new Client({ name: 'test-suite-client', version: '0.0.1' });
  const transport = new StreamableHTTPClientTransport(mcpUrl(), {
    requestInit: { headers: { authorization: `Bearer ${token}`, ...headers } },
  });
  await client.connect(transport);
  clients.push(client);
  return client;
}

type ToolResult = Awaited<ReturnType<Client['callTool']>>;
const textOf = (r: ToolResult) => (r.content as { text: string }[]).map((c) => c.text).join('\n');

describe('/mcp through the SDK client', () => {
  let token: string;
  let requestId: string;

  it('lists exactly the access tools, none of which approves, denies or revokes', async () => {
    token = (await makeToken(PEOPLE.requester)).secret;
    const client = await connect(token);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...ACCESS_TOOL_NAMES].sort());
    for (const tool of tools) expect(tool.name).not.toMatch(/approve|deny|revoke|decide|grant/);
    expect(client.getServerVersion()?.name).toBe('access-requests');
    expect(client.getInstructions()).toContain('an agent cannot approve');
  });

  it('lists what the person may request, with each flow limit', async () => {
    const client = await connect(token);
    const result = await client.callTool({ name: 'list_requestable_resources', arguments: {} });
    const { resources } = result.structuredContent as { resources: { name: string; max_duration_minutes: number }[] };
    expect(resources.map((r) => r.name)).toContain('prod-db');
    expect(resources.find((r) => r.name === 'prod-db')!.max_duration_minutes).toBe(480);
    expect(textOf(result)).toContain('prod-db (database, flow support-prod)');
  });

  it('a missing justification is refused with a sentence and changes nothing', async () => {
    const client = await connect(token);
    const before = { requests: await countRows(h, 'access_requests'), audit: await countRows(h, 'audit_events') };
    const result = await client.callTool({
      name: 'request_access',
      arguments: { resources: ['prod-db'], duration: '1h' },
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('A justification is required');
    expect(textOf(result)).not.toMatch(/\n\s+at /);
    expect({ requests: await countRows(h, 'access_requests'), audit: await countRows(h, 'audit_events') }).toEqual(
      before,
    );
  });

  it('request_access makes a pending request whose Slack message names the agent', async () => {
    const client = await connect(token);
    const result = await client.callTool({
      name: 'request_access',
      arguments: { resources: ['prod-db'], duration: '1h', justification: 'INC-42: find the stuck payment' },
    });
    expect(result.isError).toBeFalsy();
    const { requests } = result.structuredContent as { requests: { id: string; approvers: string[] }[] };
    expect(requests).toHaveLength(1);
    requestId = requests[0]!.id;
    expect(requests[0]!.approvers).toEqual(expect.arrayContaining([PEOPLE.approver]));
    expect(textOf(result)).toContain('A person approves or denies it in Slack; an agent cannot approve');
    await h.settle();
    const message = approverMessage(h, PEOPLE.approver, requestId).message;
    expect(allText(message.blocks)).toContain('Claude Code');
    expect(allText(message.blocks)).toContain('through MCP');
  });

  it('a person approves in Slack: wait_for_decision returns it, get_request_status shows it active until its expiry', async () => {
    const client = await connect(token);
    const waiting = client.callTool({
      name: 'wait_for_decision',
      arguments: { request_id: requestId, timeout_seconds: 60 },
    });
    await approve(h, PEOPLE.approver, requestId);
    expect(await statusOf(h, requestId)).toBe('active');
    const decided = await waiting;
    expect(decided.structuredContent).toMatchObject({ changed: true, request: { status: 'active' } });
    const result = await client.callTool({ name: 'get_request_status', arguments: { request_id: requestId } });
    const { request } = result.structuredContent as {
      request: { status: string; grant: { status: string; expires_at: string } | null };
    };
    expect(request.status).toBe('active');
    expect(request.grant?.status).toBe('active');
    expect(textOf(result)).toContain(`until ${request.grant!.expires_at}`);
  });

  it('release_access ends it early', async () => {
    const client = await connect(token);
    const result = await client.callTool({ name: 'release_access', arguments: { request_id: requestId } });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain('Released.');
    expect(await statusOf(h, requestId)).toBe('revoked');
  });

  it('the audit trail names the channel and the agent of what the agent did, and not of what the person did', async () => {
    const rows = await h.sql`
      select action, actor, details->>'channel' as channel, details->>'agent' as agent
      from audit_events where request_id = ${requestId} order by id`;
    expect(rows.map((r) => ({ ...r }))).toEqual([
      { action: 'request.created', actor: PEOPLE.requester, channel: 'mcp', agent: 'Claude Code' },
      { action: 'request.approved', actor: PEOPLE.approver, channel: null, agent: null },
      { action: 'grant.revoked', actor: PEOPLE.requester, channel: 'mcp', agent: 'Claude Code' },
    ]);
  });

  it('cancel_request withdraws a pending request, audited as the agent', async () => {
    const client = await connect(token, { 'x-access-agent': 'Cursor' });
    const made = await client.callTool({
      name: 'request_access',
      arguments: { resources: ['prod-db'], duration: 30, justification: 'INC-43: check replication lag' },
    });
    const id = (made.structuredContent as { requests: { id: string }[] }).requests[0]!.id;
    const result = await client.callTool({ name: 'cancel_request', arguments: { request_id: id } });
    expect(textOf(result)).toContain('Cancelled.');
    expect(await statusOf(h, id)).toBe('cancelled');
    const rows = await h.sql`
      select action, details->>'channel' as channel, details->>'agent' as agent
      from audit_events where request_id = ${id} order by id`;
    expect(rows.map((r) => ({ ...r }))).toEqual([
      { action: 'request.created', channel: 'mcp', agent: 'Cursor' },
      { action: 'request.cancelled', channel: 'mcp', agent: 'Cursor' },
    ]);
  });

  it('a client that sends no X-Access-Agent is named by its User-Agent', async () => {
    const client = await connect(token, { 'user-agent': 'some-mcp-host/2.1' });
    const made = await client.callTool({
      name: 'request_access',
      arguments: { resources: ['staging-db'], duration: 15, justification: 'check the migration' },
    });
    const { requests } = made.structuredContent as { requests: { id: string; channel: string; agent: string }[] };
    expect(requests[0]).toMatchObject({ channel: 'mcp', agent: 'some-mcp-host/2.1' });
  });

  it('no token secret reaches the logs', () => {
    expect(h.logs.join('')).not.toContain(token);
    expect(h.logs.join('')).not.toMatch(SECRET);
  });

  it('someone else’s request reads as unknown to the agent', async () => {
    const other = (await makeToken(PEOPLE.other, 'other agent')).secret;
    const client = await connect(other);
    const result = await client.callTool({ name: 'cancel_request', arguments: { request_id: requestId } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('There is no request with that id among yours.');
  });
});

describe('/mcp refuses', () => {
  const post = (headers: Record<string, string>, body = '{}') =>
    fetch(mcpUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body,
    });

  it('a bad token with 401 and WWW-Authenticate, and the SDK client sees 401', async () => {
    const res = await post({ authorization: 'Bearer ark_pat_not-a-real-token' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
    const missing = await post({});
    expect(missing.status).toBe(401);
    await expect(connect('ark_pat_not-a-real-token')).rejects.toMatchObject({ code: 401 });
  });

  it('a revoked token', async () => {
    const made = await makeToken(PEOPLE.requester, 'short-lived');
    await connect(made.secret);
    await replyTo(h, () => h.driver.command(PEOPLE.requester, '/access', `token revoke ${made.id}`));
    await expect(connect(made.secret)).rejects.toMatchObject({ code: 401 });
  });

  it('a browser page of another origin, or another host name (DNS rebinding)', async () => {
    const { secret } = await makeToken(PEOPLE.requester, 'rebinding');
    const origin = await post({ authorization: `Bearer ${secret}`, origin: 'http://evil.example' });
    expect(origin.status).toBe(403);
    // fetch will not send a Host of our choosing; node:http will, as a rebinding browser's request carries it.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        mcpUrl(),
        {
          method: 'POST',
          headers: { host: 'evil.example', authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', reject);
      req.end('{}');
    });
    expect(status).toBe(403);
  });

  it('GET and DELETE with 405: the server keeps no sessions', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(mcpUrl(), { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
    }
  });

  it('a body over the limit, unread', async () => {
    const { secret } = await makeToken(PEOPLE.requester, 'big');
    const res = await post({ authorization: `Bearer ${secret}` }, JSON.stringify({ pad: 'x'.repeat(100_000) }));
    expect(res.status).toBe(413);
  });
});
