import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { cliHome, runCli, startCli, type CliHome } from './support/cli.js';
import { startHarness, type Harness } from './support/harness.js';
import { waitFor } from '../doubles/support/until.js';
import { allText, approve, approverMessage, replyTo } from './support/journey-steps.js';
import { apiClient, openApiChecker, type Checker } from './support/request-api-client.js';
import { PEOPLE } from './support/workspace.js';
import { BUNDLE_ACCESS_FILE as accessFile } from './support/bundle-catalogue.js';

/**
 * Bundles outside Slack: the request API lists the bundles a person may pick and makes a pick like the
 * form does (one request per flow, each with its requested scope), every answer checked against the
 * OpenAPI document; the flows' approvers and the requester's bundle DM are in Slack.
 */
const rita = PEOPLE.requester;
const dana = PEOPLE.dba;
const alex = PEOPLE.approver;

let h: Harness;
let checker: Checker;
const tokens: Record<string, string> = {};

async function tokenFor(user: string, name: string): Promise<string> {
  const reply = await replyTo(h, () => h.driver.command(user, '/access', `token create ${name}`));
  return /```(ark_pat_\S+)```/.exec(reply.text)![1]!;
}

beforeAll(async () => {
  h = await startHarness({ accessFile });
  checker = await openApiChecker(h);
  tokens.rita = await tokenFor(rita, 'rita api');
  tokens.oscar = await tokenFor(PEOPLE.other, 'oscar api');
});
afterAll(async () => {
  await h?.stop();
});

const as = (who: 'rita' | 'oscar') => apiClient(h, checker, tokens[who]!, { 'x-access-channel': 'api' });

describe('a bundle through the request API', () => {
  let parts: { request_id: string; resources: string[]; status: string }[] = [];

  it('GET /requestable lists the bundle with its parts, their requested scope and its duration', async () => {
    const list = await as('rita')('GET', '/api/v1/requestable');
    expect(list.status).toBe(200);
    expect(list.json.bundles).toEqual([
      {
        name: 'incident-responder',
        description: 'Read what an incident needs',
        parts: [
          {
            resource: 'prod-db',
            requested: { type: 'database', resource: 'prod-db', access: 'read-only', databases: ['app'] },
          },
          {
            resource: 'k8s-prod',
            requested: { type: 'kubernetes', resource: 'k8s-prod', role: 'view', namespaces: ['payments'] },
          },
          { resource: 'grafana', requested: null },
        ],
        duration_minutes: 120,
        left_out: [],
      },
    ]);
    // Oscar may request the database only: the bundle is his with the rest named as left out.
    const oscars = await as('oscar')('GET', '/api/v1/requestable');
    expect(oscars.json.bundles[0]).toMatchObject({ left_out: ['k8s-prod', 'grafana'] });
  });

  it('POST /requests with `bundle` makes one request per flow with the bundle’s duration, and answers the pick', async () => {
    const made = await as('rita')('POST', '/api/v1/requests', {
      body: { bundle: 'incident-responder', justification: 'INC-9: payments are failing' },
    });
    expect(made.status).toBe(201);
    const flows = made.json.requests.map((r: { flow: string; duration_minutes: number }) => [
      r.flow,
      r.duration_minutes,
    ]);
    expect(flows.sort()).toEqual([
      ['databases', 120],
      ['ops', 120],
    ]);
    expect(made.json.bundle).toMatchObject({ id: expect.stringMatching(/^bdr_/), name: 'incident-responder' });
    parts = [...made.json.bundle.parts].sort((a, b) =>
      a.resources[0] === 'prod-db' ? -1 : b.resources[0] === 'prod-db' ? 1 : 0,
    );
    expect(parts.map((p) => [p.resources, p.status])).toEqual([
      [['prod-db'], 'pending'],
      [['k8s-prod', 'grafana'], 'pending'],
    ]);
    await h.settle();
    // Each flow's approver hears of its part, with the asked scope; Rita gets one bundle DM.
    const danas = allText(approverMessage(h, dana, parts[0]!.request_id).message.blocks);
    expect(danas).toContain('Part of bundle *incident-responder*');
    expect(danas).toContain('Asks for prod-db: read-only (databases: app)');
    expect(allText(approverMessage(h, alex, parts[1]!.request_id).message.blocks)).toContain('through the request API');
    const dms = h.slack.dmsTo(rita).filter((m) => allText(m.blocks).includes(':package: *incident-responder*'));
    expect(dms).toHaveLength(1);
    expect(allText(dms[0]!.blocks)).toContain(`\`${parts[1]!.request_id}\`)_: :hourglass_flowing_sand: pending`);
  });

  it('GET /requests/{id} of a part names its bundle; an approved part is granted within the asked scope', async () => {
    const db = parts[0]!;
    await approve(h, dana, db.request_id);
    const got = await as('rita')('GET', `/api/v1/requests/${db.request_id}`);
    expect(got.json).toMatchObject({ status: 'active', bundle: { name: 'incident-responder' } });
    const [grant] = await h.sql`select policy from grants where request_id = ${db.request_id}`;
    expect(grant!.policy.resources).toEqual([
      { type: 'database', resource: 'prod-db', access: 'read-only', databases: ['app'] },
    ]);
  });

  it('releasing a part through the API moves its line in the bundle DM', async () => {
    const db = parts[0]!;
    const released = await as('rita')('POST', `/api/v1/requests/${db.request_id}/release`);
    expect(released.status).toBe(200);
    expect(released.json.bundle).toMatchObject({ name: 'incident-responder' });
    await h.settle();
    const dm = h.slack
      .dmsTo(rita)
      .find((m) => allText(m.blocks).includes(db.request_id) && allText(m.blocks).includes(':package:'));
    expect(allText(dm!.blocks)).toContain(`\`${db.request_id}\`)_: :no_entry: revoked`);
  });

  it('a bundle the person may not pick is refused under `bundle`-less resources, and nothing is stored', async () => {
    const before = (await h.sql`select count(*)::int as n from access_requests`)[0]!.n as number;
    const refused = await as('rita')('POST', '/api/v1/requests', {
      body: { bundle: 'nope', justification: 'INC-10 something' },
    });
    expect(refused.status).toBe(400);
    expect(refused.json.fields.resources).toContain('You cannot request the bundle “nope”.');
    const missing = await as('rita')('POST', '/api/v1/requests', { body: { justification: 'INC-11 something' } });
    expect(missing.status).toBe(400);
    expect(Object.keys(missing.json.fields).sort()).toEqual(['duration_minutes', 'resources']);
    expect((await h.sql`select count(*)::int as n from access_requests`)[0]!.n).toBe(before);
  });
});

describe('a bundle through the CLI', () => {
  let home: CliHome;
  afterAll(() => home?.remove());

  async function loggedIn(): Promise<Record<string, string>> {
    home = cliHome();
    const login = await runCli(['login', '--url', `http://127.0.0.1:${h.port}`, '--token-stdin'], {
      env: home.env,
      stdin: `${tokens.rita}\n`,
    });
    expect(login.code, login.stderr).toBe(0);
    return home.env;
  }

  it('`resources` lists the bundle with its parts and the scope each asks for', async () => {
    const env = await loggedIn();
    const out = await runCli(['resources'], { env });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('incident-responder for 2h: Read what an incident needs');
    expect(out.stdout).toContain('prod-db: read-only (databases: app), k8s-prod: view in payments, grafana');
  });

  it('`request --bundle … --wait` follows every part: one denied is exit 1, naming it', async () => {
    const env = await loggedIn();
    const cli = startCli(['request', '--bundle', 'incident-responder', '--why', 'INC-12 from the terminal', '--wait'], {
      env,
    });
    await waitFor(() => cli.stderr().includes('Bundle incident-responder: 2 requests'), 'the CLI to ask');
    const parts = () => h.sql`select id, flow_name from access_requests
      where justification = 'INC-12 from the terminal' and bundle_request_id is not null order by flow_name`;
    await waitFor(async () => (await parts()).length === 2, 'the two parts');
    const rows = await parts();
    const [db, ops] = rows.map((r) => r.id as string) as [string, string];
    await h.settle();
    const dms = h.slack.dmsTo(rita).filter((m) => allText(m.blocks).includes(db));
    expect(dms.some((m) => allText(m.blocks).includes(':package: *incident-responder*'))).toBe(true);
    await approve(h, dana, db);
    await h.driver.clickButton(alex, approverMessage(h, alex, ops), 'review.deny');
    const modal = await until(() => h.slack.topView(alex), 'deny modal');
    await h.driver.submitView(alex, modal.id, { 'deny.reason': 'not this one' });
    h.slack.clearViews(alex);
    await h.settle();
    const done = await cli.done;
    expect(done.code).toBe(1);
    expect(done.stderr).toContain('not this one');
    expect(done.stderr).toContain(`Not granted: ${ops} (k8s-prod, grafana, denied).`);
  });
});

describe('a bundle through MCP', () => {
  const clients: Client[] = [];
  afterAll(async () => {
    for (const c of clients.splice(0)) await c.close();
  });

  async function connect() {
    const client = new Client({ name: 'bundle-test-client', version: '0.0.1' });
    const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${h.port}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${tokens.rita}`, 'x-access-agent': 'Claude Code' } },
    });
    await client.connect(transport);
    clients.push(client);
    return client;
  }
  const textOf = (r: Awaited<ReturnType<Client['callTool']>>) =>
    (r.content as { text: string }[]).map((c) => c.text).join('\n');

  it('list_requestable_resources names the bundle and its parts', async () => {
    const client = await connect();
    const listed = await client.callTool({ name: 'list_requestable_resources', arguments: {} });
    expect((listed.structuredContent as { bundles: { name: string }[] }).bundles.map((b) => b.name)).toEqual([
      'incident-responder',
    ]);
    expect(textOf(listed)).toContain(
      '- incident-responder for 2h — Read what an incident needs: prod-db: read-only (databases: app); k8s-prod: view in payments; grafana.',
    );
  });

  it('request_access with a bundle makes its parts, which reach their approvers naming the agent', async () => {
    const client = await connect();
    const missing = await client.callTool({ name: 'request_access', arguments: { justification: 'INC-13 agent' } });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toContain('or a bundle');
    const made = await client.callTool({
      name: 'request_access',
      arguments: { bundle: 'incident-responder', justification: 'INC-13 the agent investigates' },
    });
    expect(made.isError).toBeFalsy();
    expect(textOf(made)).toContain('Sent bundle incident-responder as 2 requests');
    const pick = (made.structuredContent as { bundle: { id: string; parts: { request_id: string }[] } }).bundle;
    expect(pick.parts).toHaveLength(2);
    await h.settle();
    const rows = await h.sql`select notified_approvers from access_requests where bundle_request_id = ${pick.id}`;
    expect(rows.flatMap((r) => r.notified_approvers as string[]).sort()).toEqual([alex, dana].sort());
    for (const row of await h.sql`select id, notified_approvers from access_requests where bundle_request_id = ${pick.id}`)
      expect(
        allText(approverMessage(h, (row.notified_approvers as string[])[0]!, row.id as string).message.blocks),
      ).toContain('Claude Code');
    const dms = h.slack.dmsTo(rita).filter((m) => allText(m.blocks).includes(pick.parts[0]!.request_id));
    expect(dms.some((m) => allText(m.blocks).includes(':package: *incident-responder*'))).toBe(true);
  });
});
