import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_TOOL_NAMES } from '../src/mcp/access-tools.js';
import { cliHome, type CliHome } from './support/cli.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approverMessage, replyTo } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/**
 * `access-requests mcp` as an MCP host runs it: the SDK's StdioClientTransport spawns the real CLI, which
 * reads the saved login (url + personal token under XDG_CONFIG_HOME) and calls the running bot's request
 * API. What the agent asks for reaches the approver in Slack under the agent's name.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

const clients: Client[] = [];
const homes: CliHome[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const home of homes.splice(0)) home.remove();
});

/** A fresh HOME, holding the bot's URL and a personal token as `access-requests login` leaves them. */
async function loggedIn(user: string | null): Promise<CliHome> {
  const home = cliHome();
  homes.push(home);
  if (user === null) return home;
  const reply = await replyTo(h, () => h.driver.command(user, '/access', 'token create laptop agent'));
  const token = /ark_pat_[A-Za-z0-9_-]+/.exec(reply.text)![0];
  const dir = join(home.env.XDG_CONFIG_HOME!, 'access-requests');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ url: `http://127.0.0.1:${h.port}`, token }), {
    mode: 0o600,
  });
  return home;
}

/** Starts `node --import tsx src/cli/access-requests.ts mcp` under the SDK's client, as a host would. */
async function spawnMcp(home: CliHome, agent = 'stdio-test-agent') {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', 'src/cli/access-requests.ts', 'mcp'],
    cwd: ROOT,
    // Only what the CLI needs: no ACCESS_REQUESTS_* from the test's own environment.
    env: { PATH: process.env.PATH ?? '', ...home.env },
    stderr: 'pipe',
  });
  const stderr: string[] = [];
  transport.stderr?.on('data', (chunk: Buffer) => void stderr.push(chunk.toString('utf8')));
  const client = new Client({ name: agent, version: '3.1.4' });
  // A line on stdout that is not JSON-RPC reaches the client as an error: there must be none.
  const errors: Error[] = [];
  client.onerror = (error) => void errors.push(error);
  await client.connect(transport);
  clients.push(client);
  return { client, stderr, errors };
}

type ToolResult = Awaited<ReturnType<Client['callTool']>>;
const textOf = (r: ToolResult) => (r.content as { text: string }[]).map((c) => c.text).join('\n');

describe('access-requests mcp (stdio)', () => {
  it('lists the tools, requests as the agent, and shows the status; stdout carries only JSON-RPC', async () => {
    const { client, errors } = await spawnMcp(await loggedIn(PEOPLE.requester));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...ACCESS_TOOL_NAMES].sort());

    const made = await client.callTool({
      name: 'request_access',
      arguments: { resources: ['prod-db'], duration: '2h', justification: 'INC-77: read the failed jobs table' },
    });
    expect(made.isError).toBeFalsy();
    const { requests } = made.structuredContent as { requests: { id: string; channel: string; agent: string }[] };
    expect(requests[0]).toMatchObject({ channel: 'mcp', agent: 'stdio-test-agent' });
    const id = requests[0]!.id;

    await h.settle();
    const message = approverMessage(h, PEOPLE.approver, id).message;
    expect(allText(message.blocks)).toContain('by agent *stdio-test-agent* through MCP');

    const status = await client.callTool({ name: 'get_request_status', arguments: { request_id: id } });
    expect(textOf(status)).toContain(`Request ${id} for prod-db (2h, flow support-prod): pending`);
    const [audit] = await h.sql`
      select details->>'channel' as channel, details->>'agent' as agent
      from audit_events where request_id = ${id} and action = 'request.created'`;
    expect({ ...audit }).toEqual({ channel: 'mcp', agent: 'stdio-test-agent' });
    expect(errors).toEqual([]);
  });

  it('without a login, a tool says how to log in instead of the server dying', async () => {
    const { client } = await spawnMcp(await loggedIn(null));
    const result = await client.callTool({ name: 'list_my_requests', arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('access-requests login');
  });
});
