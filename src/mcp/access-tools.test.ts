import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, type AccessApi, type CreateRequestBody, type RequestDto } from '../domain/request-api.js';
import { ACCESS_TOOL_NAMES, createAccessMcpServer } from './access-tools.js';

/** A hand-written AccessApi: one requestable resource, requests kept in a map, refusals as ApiError. */
function fakeApi() {
  const requests = new Map<string, RequestDto>();
  const created: CreateRequestBody[] = [];
  const waits: unknown[] = [];
  const request = (id: string, body: CreateRequestBody): RequestDto => ({
    id,
    kind: 'access',
    status: 'pending',
    flow: 'standard',
    resources: (body.resources ?? []).map((name) => ({ name, type: 'database' })),
    duration_minutes: body.duration_minutes ?? 60,
    justification: body.justification,
    requester: 'U_ALICE',
    created_at: '2030-01-01T10:00:00.000Z',
    decided_at: null,
    decided_by: null,
    deny_reason: null,
    starts_at: null,
    extends: null,
    approvers: ['U_BOB'],
    approvals: [],
    approvals_required: 1,
    grant: null,
    access: [],
    channel: 'mcp',
    agent: 'test-agent',
    names: {},
    stage: null,
  });
  const find = (id: string) => {
    const r = requests.get(id);
    if (!r) throw new ApiError(404, { error: 'not_found', message: `There is no request ${id} of yours.` });
    return r;
  };
  const api: AccessApi = {
    bundles: async () => [],
    requestable: async () => [
      {
        name: 'prod-db',
        type: 'database',
        description: 'Production orders',
        tags: [],
        flow: 'standard',
        max_duration_minutes: 240,
        durations_minutes: [15, 30, 60, 120, 240],
        justification: { required: true, min_length: 10, pattern: null, hint: null },
        ticket_projects: ['INC'],
      },
    ],
    create: async (body) => {
      if ((body.duration_minutes ?? 60) > 240)
        throw new ApiError(422, {
          error: 'invalid_input',
          message: 'That request was refused.',
          fields: { duration_minutes: 'prod-db allows at most 4h.' },
        });
      created.push(body);
      const r = request(`req_${requests.size + 1}`, body);
      requests.set(r.id, r);
      return [r];
    },
    get: async (id) => find(id),
    listMine: async () => [...requests.values()],
    cancel: async (id) => ({ ...find(id), status: 'cancelled' }),
    release: async (id) => ({ ...find(id), status: 'revoked' }),
    extend: async (id) => find(id),
    wait: async (id, options) => {
      waits.push(options);
      return { request: find(id), changed: false };
    },
  };
  return { api, created, waits };
}

const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});

async function connect(api: AccessApi, logger = pino({ level: 'silent' })) {
  const server = createAccessMcpServer(api, logger);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'test-agent', version: '1.0.0' });
  await client.connect(clientSide);
  clients.push(client);
  return client;
}

const textOf = (result: Awaited<ReturnType<Client['callTool']>>) =>
  (result.content as { type: string; text: string }[]).map((c) => c.text).join('\n');

describe('the access tools', () => {
  it('are exactly the seven, none of which approves, denies or revokes', async () => {
    const client = await connect(fakeApi().api);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...ACCESS_TOOL_NAMES].sort());
    expect(tools.map((t) => t.name).join(' ')).not.toMatch(/approve|deny|revoke|grant/);
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    expect(byName.list_requestable_resources!.annotations).toMatchObject({ readOnlyHint: true });
    expect(byName.release_access!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byName.request_access!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false });
    // Resources and duration are required unless a bundle is named (the tool refuses that with a sentence).
    expect(byName.request_access!.inputSchema.required).toEqual(['justification']);
    expect(Object.keys(byName.request_access!.inputSchema.properties ?? {})).toEqual(
      expect.arrayContaining(['resources', 'duration', 'bundle']),
    );
  });

  it('request_access sends durations in minutes and says a person approves in Slack', async () => {
    const { api, created } = fakeApi();
    const client = await connect(api);
    const result = await client.callTool({
      name: 'request_access',
      arguments: { resources: ['prod-db'], duration: '1h30m', justification: 'INC-42 find the stuck payment' },
    });
    expect(result.isError).toBeFalsy();
    expect(created).toEqual([
      { resources: ['prod-db'], duration_minutes: 90, justification: 'INC-42 find the stuck payment' },
    ]);
    expect(textOf(result)).toContain('req_1');
    expect(textOf(result)).toContain('A person approves or denies it in Slack; an agent cannot approve');
    expect(result.structuredContent).toMatchObject({ requests: [{ id: 'req_1', approvers: ['U_BOB'] }] });
  });

  it('a missing or blank justification is refused with a sentence and calls nothing', async () => {
    const { api, created } = fakeApi();
    const client = await connect(api);
    for (const args of [
      { resources: ['prod-db'], duration: 60 },
      { resources: ['prod-db'], duration: 60, justification: '   ' },
    ]) {
      const result = await client.callTool({ name: 'request_access', arguments: args });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain('A justification is required: say in a sentence why the access is needed');
      expect(textOf(result)).not.toMatch(/\n\s+at /); // no stack
    }
    expect(created).toEqual([]);
  });

  it('a bad duration is refused in words', async () => {
    const { api, created } = fakeApi();
    const client = await connect(api);
    const result = await client.callTool({
      name: 'request_access',
      arguments: { resources: ['prod-db'], duration: 'soon', justification: 'INC-42 look' },
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('That is not a duration');
    expect(created).toEqual([]);
  });

  it("the API's refusal comes back as the tool's error result, with its field sentences", async () => {
    const client = await connect(fakeApi().api);
    const result = await client.callTool({
      name: 'request_access',
      arguments: { resources: ['prod-db'], duration: '1d', justification: 'INC-42 look' },
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(
      'That request was refused.\n- duration_minutes: prod-db allows at most 4h.\n(error: invalid_input)',
    );
    expect(result.structuredContent).toBeUndefined();
  });

  it('an unexpected failure is logged and told as one sentence, never its message or stack', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void lines.push(line) });
    const { api } = fakeApi();
    const client = await connect(
      {
        ...api,
        get: async () => {
          throw new Error('connect ECONNREFUSED 10.0.0.7:5432');
        },
      },
      logger,
    );
    const result = await client.callTool({ name: 'get_request_status', arguments: { request_id: 'req_1' } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('could not answer just now');
    expect(textOf(result)).not.toContain('ECONNREFUSED');
    expect(lines.join('')).toContain('ECONNREFUSED');
  });

  it('lists what may be requested with its limits and rules', async () => {
    const client = await connect(fakeApi().api);
    const result = await client.callTool({ name: 'list_requestable_resources', arguments: {} });
    expect(textOf(result)).toContain(
      '- prod-db (database, flow standard) — Production orders. Needs: up to 4h; justification of at least 10 characters; a Jira ticket of INC.',
    );
    expect(result.structuredContent).toMatchObject({ resources: [{ name: 'prod-db', max_duration_minutes: 240 }] });
  });

  it('wait_for_decision says a still-pending request waits for the people asked', async () => {
    const { api, waits } = fakeApi();
    const client = await connect(api);
    await client.callTool({
      name: 'request_access',
      arguments: { resources: ['prod-db'], duration: 30, justification: 'INC-42 look' },
    });
    const result = await client.callTool({
      name: 'wait_for_decision',
      arguments: { request_id: 'req_1', timeout_seconds: 5 },
    });
    expect(textOf(result)).toContain('Still pending after 5s');
    // From pending, so a decision made before the call is not waited past.
    expect(waits).toEqual([{ status: 'pending', timeoutSeconds: 5 }]);
    expect(textOf(result)).toContain('U_BOB');
    const tooLong = await client.callTool({
      name: 'wait_for_decision',
      arguments: { request_id: 'req_1', timeout_seconds: 3600 },
    });
    expect(tooLong.isError).toBe(true);
  });

  it('an unknown request id is refused with the API sentence', async () => {
    const client = await connect(fakeApi().api);
    const result = await client.callTool({ name: 'release_access', arguments: { request_id: 'req_nope' } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('There is no request req_nope of yours.');
  });
});
