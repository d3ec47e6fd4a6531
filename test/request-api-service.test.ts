import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type AccessApi } from '../src/domain/request-api.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approve, approverMessage } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/**
 * The request API in process (services/request-api.ts), as the HTTP routes and the MCP tools call it:
 * the same rules as Slack, approval in Slack, and where a request came from named to approvers and in
 * the audit trail.
 */
let h: Harness;
let rita: AccessApi;
let agent: AccessApi;
let oscar: AccessApi;
beforeAll(async () => {
  h = await startHarness();
  const api = h.app.services.requestApi;
  rita = api({ userId: PEOPLE.requester, tokenId: 'pat_0000000001', channel: 'cli', agent: null });
  agent = api({ userId: PEOPLE.requester, tokenId: 'pat_0000000001', channel: 'mcp', agent: 'Claude Code' });
  oscar = api({ userId: PEOPLE.other, tokenId: 'pat_0000000002', channel: 'api', agent: null });
});
afterAll(async () => {
  await h?.stop();
});

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('a request made through the API is decided in Slack', () => {
  let id: string;

  it('lists what the person may request with its flow’s rules', async () => {
    const list = await rita.requestable();
    const prod = list.find((r) => r.name === 'prod-db')!;
    expect(prod).toMatchObject({ type: 'database', flow: 'support-prod', max_duration_minutes: 480 });
    expect(prod.durations_minutes).toContain(60);
    expect(list.map((r) => r.name)).not.toContain('nonexistent');
  });

  it('creates the request; the approver’s Slack message says it came from the CLI', async () => {
    const [created] = await rita.create({ resources: ['prod-db'], duration_minutes: 60, justification: 'API-1 look' });
    id = created!.id;
    expect(created).toMatchObject({ status: 'pending', channel: 'cli', agent: null, requester: PEOPLE.requester });
    await h.settle();
    expect(allText(approverMessage(h, PEOPLE.approver, id).message.blocks)).toContain('from the CLI');
    const [event] =
      await h.sql`select details from audit_events where request_id = ${id} and action = 'request.created'`;
    expect(event!.details).toMatchObject({ channel: 'cli' });
  });

  it('wait returns once an approver approves in Slack, with the grant and the access', async () => {
    const waiting = rita.wait(id, { timeoutSeconds: 30 });
    await approve(h, PEOPLE.approver, id);
    const { request, changed } = await waiting;
    expect(changed).toBe(true);
    expect(request.status).toBe('active');
    expect(request.grant).toMatchObject({ status: 'active' });
    expect(request.access).toEqual([
      { resource: 'prod-db', status: 'active', instructions: null, credential: null, ssh_certificate: null },
    ]);
    expect((await rita.get(id)).approvals.map((a) => a.approver)).toEqual([PEOPLE.approver]);
  });

  it('someone else’s request is not found, and so is a malformed id', async () => {
    expect((await refusal(oscar.get(id))).status).toBe(404);
    expect((await refusal(oscar.cancel(id))).status).toBe(404);
    expect((await refusal(oscar.release(id))).status).toBe(404);
    expect((await refusal(rita.get('req_../../x'))).status).toBe(404);
  });

  it('an agent’s request names the agent to approvers and in the audit trail', async () => {
    const [made] = await agent.create({ resources: ['k8s-prod'], duration_minutes: 60, justification: 'dashboards' });
    await h.settle();
    const text = allText(approverMessage(h, PEOPLE.approver, made!.id).message.blocks);
    expect(text).toContain('by agent *Claude Code* through MCP on behalf of <@U0REQ>');
    const [event] =
      await h.sql`select details from audit_events where request_id = ${made!.id} and action = 'request.created'`;
    expect(event!.details).toMatchObject({ channel: 'mcp', agent: 'Claude Code' });
    const cancelled = await agent.cancel(made!.id);
    expect(cancelled.status).toBe('cancelled');
    const [cancel] =
      await h.sql`select details from audit_events where request_id = ${made!.id} and action = 'request.cancelled'`;
    expect(cancel!.details).toEqual({ channel: 'mcp', agent: 'Claude Code' });
    expect((await refusal(agent.cancel(made!.id))).body.error).toBe('already_decided');
  });

  it('the same rules as Slack: a resource outside the person’s flows, a duration the flow does not offer', async () => {
    const outside = await refusal(oscar.create({ resources: ['prod-db'], duration_minutes: 60, justification: 'x' }));
    expect(outside.status).toBe(400);
    expect(outside.body.fields?.resources).toContain('prod-db');
    const long = await refusal(rita.create({ resources: ['prod-db'], duration_minutes: 600, justification: 'x' }));
    expect(long.body.fields?.duration_minutes).toContain('at most 8h');
    const bad = await refusal(rita.create({ resources: 'prod-db', duration_minutes: 60 } as never));
    expect(Object.keys(bad.body.fields ?? {})).toEqual(expect.arrayContaining(['resources', 'justification']));
  });

  it('an idempotency key makes one request', async () => {
    const body = { resources: ['k8s-prod'], duration_minutes: 60, justification: 'once' };
    const [a] = await rita.create(body, 'key-1');
    const [b] = await rita.create(body, 'key-1');
    expect(b!.id).toBe(a!.id);
    expect(await h.sql`select id from access_requests where justification = 'once'`).toHaveLength(1);
  });

  it('extend asks for more time through the same flow; release ends the access', async () => {
    const extension = await rita.extend(id, { duration_minutes: 60, justification: 'API-1 more' });
    expect(extension).toMatchObject({ kind: 'extension', extends: id, status: 'pending', channel: 'cli' });
    const released = await rita.release(id);
    expect(released.status).toBe('revoked');
    const [event] = await h.sql`select details from audit_events where request_id = ${id} and action = 'grant.revoked'`;
    expect(event!.details).toEqual({ channel: 'cli' });
    expect((await refusal(rita.release(id))).status).toBe(409);
  });
});
