import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import type { StoredView } from '../doubles/slack/state.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approverMessage, openNewFlowEditor, replyTo } from './support/journey-steps.js';
import { apiClient, openApiChecker } from './support/request-api-client.js';
import { cliHome, runCli } from './support/cli.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { PEOPLE } from './support/workspace.js';

/**
 * Custom typed request fields per flow (issue 26 part 4): asked in the request form only for the flows of
 * the picked resources, checked again by the server, shown to approvers and in `/access list`, stored with
 * the request and its audit event, and usable as auto-approval conditions.
 */
const accessFile = `
resources:
  - { name: status-page, type: http, tags: [incident] }
  - { name: grafana, type: http, tags: [observability] }
  - { name: pager, type: http }
flows:
  - name: incident
    resources: { tags: [incident] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
    fields:
      - { name: severity, label: Severity, type: select, required: true, options: [sev1, sev2, sev3] }
      - { name: incident, label: Incident, type: text, required: true, pattern: '^INC-\\d+$', max_length: 20, hint: "The incident id, like INC-42" }
      - { name: responders, label: Responders, type: number, integer: true, min: 1, max: 50 }
      - { name: until_day, label: Until, type: date }
      - { name: commander, label: Commander, type: user }
    auto_approve:
      - name: sev1-fast
        max_duration: 1h
        fields: { severity: [sev1] }
  - name: paging
    resources: { names: [pager] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
    fields:
      - { name: severity, label: Severity, type: text, required: true, max_length: 10 }
  - name: dashboards
    resources: { tags: [observability] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 1d
`;
const user = PEOPLE.requester;

let h: Harness;
let incidentFlow: string;
beforeAll(async () => {
  h = await startHarness({ accessFile });
  const [row] = await h.sql`select id from flows where name = 'incident'`;
  incidentFlow = row!.id as string;
});
afterAll(async () => {
  await h?.stop();
});
beforeEach(() => h.slack.clearViews(user));

const block = (name: string) => `request.field.${incidentFlow}.${name}`;
const fieldBlocks = (v: StoredView) =>
  v.blocks.filter((b: any) => String(b.block_id).startsWith('request.field.')).map((b: any) => b as any);

async function openForm(): Promise<StoredView> {
  await h.driver.command(user, '/access', 'request');
  return until(() => h.slack.topView(user), 'the request form');
}

async function pick(form: StoredView, names: string[]): Promise<StoredView> {
  const before = h.slack.view(form.id)!.hash;
  await h.driver.selectAction(user, { viewId: form.id }, 'request.resources.select', names);
  return until(
    () => {
      const v = h.slack.view(form.id);
      return v && v.hash !== before ? v : undefined;
    },
    `the form redrawn for ${names.join(', ')}`,
  );
}

const requestsNow = async () => (await h.sql`select id from access_requests`).length;

describe('the request form asks for the fields of the picked resources’ flows', () => {
  it('no fields before a pick or for a flow without fields; the incident flow’s fields with the right elements', async () => {
    const form = await openForm();
    expect(fieldBlocks(form)).toHaveLength(0);
    const dashboards = await pick(form, ['grafana']);
    expect(fieldBlocks(dashboards)).toHaveLength(0);
    const incident = await pick(dashboards, ['grafana', 'status-page']);
    const blocks = fieldBlocks(incident);
    expect(blocks.map((b) => [b.label.text, b.element.type, b.optional])).toEqual([
      ['Severity', 'static_select', false],
      ['Incident', 'plain_text_input', false],
      ['Responders', 'number_input', true],
      ['Until', 'datepicker', true],
      ['Commander', 'users_select', true],
    ]);
    expect(blocks[0].element.options.map((o: any) => o.value)).toEqual(['sev1', 'sev2', 'sev3']);
    expect(blocks[1].element.max_length).toBe(20);
    expect(blocks[1].hint.text).toBe('The incident id, like INC-42');
    expect(blocks[2].element).toMatchObject({ is_decimal_allowed: false, min_value: '1', max_value: '50' });
    // Picking the incident resource away hides its fields again.
    const back = await pick(incident, ['grafana']);
    expect(fieldBlocks(back)).toHaveLength(0);
  });

  it('two flows asking for the same name: each labelled with its flow, each answer stored with its own request', async () => {
    const [paging] = await h.sql`select id from flows where name = 'paging'`;
    const pagingSeverity = `request.field.${paging!.id as string}.severity`;
    const form = await openForm();
    const both = await pick(form, ['status-page', 'pager']);
    const labels = fieldBlocks(both).map((b) => [b.block_id, b.label.text]);
    expect(labels).toContainEqual([block('severity'), 'incident: Severity']);
    expect(labels).toContainEqual([pagingSeverity, 'paging: Severity']);
    const res = await h.driver.submitView(user, form.id, {
      'request.justification': 'Two flows at once',
      [block('severity')]: 'sev3',
      [block('incident')]: 'INC-3',
      [pagingSeverity]: 'loud',
    });
    expect(res.json?.response_action).toBe('update');
    const rows =
      await h.sql`select flow_name, fields from access_requests where justification = 'Two flows at once' order by flow_name`;
    expect(rows.map((r) => [r.flow_name, r.fields[0].value])).toEqual([
      ['incident', 'sev3'],
      ['paging', 'loud'],
    ]);
  });

  it('a value that breaks the flow’s rule is said under its field, and nothing is stored', async () => {
    const form = await openForm();
    await pick(form, ['status-page']);
    const before = await requestsNow();
    const res = await h.driver.submitView(user, form.id, {
      'request.justification': 'Checking the outage',
      [block('severity')]: 'sev2',
      [block('incident')]: 'outage 42',
    });
    expect(res.json).toEqual({
      response_action: 'errors',
      errors: { [block('incident')]: 'The incident id, like INC-42' },
    });
    expect(await requestsNow()).toBe(before);
  });

  it('a forged value the form never offered is refused by the server too', async () => {
    const form = await openForm();
    await pick(form, ['status-page']);
    const before = await requestsNow();
    const res = await h.driver.submitView(
      user,
      form.id,
      { 'request.justification': 'Checking the outage', [block('incident')]: 'INC-7' },
      {
        raw: {
          [block('severity')]: { 'request.field.value': { type: 'static_select', selected_option: { value: 'sev0' } } },
        },
      },
    );
    expect(res.json).toMatchObject({
      response_action: 'errors',
      errors: { [block('severity')]: 'Pick one of: sev1, sev2, sev3.' },
    });
    expect(await requestsNow()).toBe(before);
  });

  it('a person field must name someone of the workspace: an unknown id or a deactivated account is said under it', async () => {
    h.slack.addUser({ id: 'U0GONE', name: 'gone', realName: 'Gone Person' });
    h.slack.deactivateUser('U0GONE');
    for (const [commander, said] of [
      ['U0NOBODY1', 'Commander: nobody in this workspace has that id.'],
      ['U0GONE', 'Commander: pick a person, not a deactivated account.'],
    ] as const) {
      const form = await openForm();
      await pick(form, ['status-page']);
      const before = await requestsNow();
      // Slack's picker offers neither (the driver refuses to pick them): sent as a forged or stale form would.
      const res = await h.driver.submitView(
        user,
        form.id,
        { 'request.justification': 'Checking the outage', [block('severity')]: 'sev2', [block('incident')]: 'INC-42' },
        {
          raw: {
            [block('commander')]: { 'request.field.value': { type: 'users_select', selected_user: commander } },
          },
        },
      );
      expect(res.json).toEqual({ response_action: 'errors', errors: { [block('commander')]: said } });
      expect(await requestsNow()).toBe(before);
      h.slack.clearViews(user);
    }
  });

  it('good values: stored with the request, in its audit event, shown to the approver and in /access list', async () => {
    const form = await openForm();
    await pick(form, ['status-page']);
    const res = await h.driver.submitView(user, form.id, {
      'request.justification': 'Checking the outage',
      'request.duration': '120',
      [block('severity')]: 'sev2',
      [block('incident')]: 'INC-4711',
      [block('responders')]: '3',
      [block('until_day')]: '2026-12-24',
      [block('commander')]: PEOPLE.dba,
    });
    expect(res.json?.response_action).toBe('update');
    const [row] =
      await h.sql`select id, status, fields from access_requests where flow_name = 'incident' order by created_at desc limit 1`;
    const id = row!.id as string;
    expect(row!.status).toBe('pending');
    expect(row!.fields).toEqual([
      { name: 'severity', label: 'Severity', type: 'select', value: 'sev2' },
      { name: 'incident', label: 'Incident', type: 'text', value: 'INC-4711' },
      { name: 'responders', label: 'Responders', type: 'number', value: 3 },
      { name: 'until_day', label: 'Until', type: 'date', value: '2026-12-24' },
      { name: 'commander', label: 'Commander', type: 'user', value: PEOPLE.dba },
    ]);
    const [event] =
      await h.sql`select details from audit_events where request_id = ${id} and action = 'request.created'`;
    expect(event!.details.fields).toEqual({
      severity: 'sev2',
      incident: 'INC-4711',
      responders: 3,
      until_day: '2026-12-24',
      commander: PEOPLE.dba,
    });
    await h.settle();
    const text = allText(approverMessage(h, PEOPLE.approver, id).message.blocks);
    expect(text).toContain('*Severity:* sev2');
    expect(text).toContain('*Incident:* INC-4711');
    expect(text).toContain('*Until:* 24 Dec 2026');
    expect(text).toContain(`*Commander:* <@${PEOPLE.dba}>`);

    await h.driver.command(user, '/access', 'list');
    const list = await until(() => h.slack.ephemeralsTo(user).find((m) => JSON.stringify(m).includes(id)), 'the list');
    expect(allText(list)).toContain('*Severity:* sev2 · *Incident:* INC-4711');
  });
});

describe('auto-approval by a field condition', () => {
  async function send(severity: string) {
    h.slack.clearViews(user);
    const form = await openForm();
    await pick(form, ['status-page']);
    const res = await h.driver.submitView(user, form.id, {
      'request.justification': `Paged for ${severity}`,
      'request.duration': '60',
      [block('severity')]: severity,
      [block('incident')]: 'INC-9',
    });
    expect(res.json?.response_action).toBe('update');
    const [row] =
      await h.sql`select id, status, auto_approved_by from access_requests where justification = ${`Paged for ${severity}`}`;
    return row!;
  }

  it('the rule approves a sev1 request, and leaves a sev3 one to the approvers', async () => {
    const sev1 = await send('sev1');
    expect(sev1).toMatchObject({ auto_approved_by: 'sev1-fast' });
    expect(['approved', 'active']).toContain(sev1.status);
    const sev3 = await send('sev3');
    expect(sev3).toMatchObject({ status: 'pending', auto_approved_by: null });
  });
});

describe('who can: the rule’s field condition', () => {
  it('/access whocan says which field values the auto-approval rule needs', async () => {
    const reply = await replyTo(h, () => h.driver.command(PEOPLE.approver, '/access', 'whocan status-page'));
    expect(allText(reply)).toContain('rule `sev1-fast` approves up to 1h');
    expect(allText(reply)).toContain('when `severity` is sev1');
  });
});

describe('request fields in the App Home flow editor', () => {
  const form = (fields: string, autoApprove = '') => ({
    'af.name': 'incident-web',
    'af.resources': ['status-page'],
    'af.req.users': [PEOPLE.requester],
    'af.appr.users': [PEOPLE.approver],
    'af.max': '60',
    'af.fields': fields,
    ...(autoApprove ? { 'af.auto': autoApprove } : {}),
  });
  const severity = '- { name: severity, label: Severity, type: select, options: [sev1, sev2] }\n';

  it('says what is wrong under the fields field, with its path, and saves nothing', async () => {
    const modal = await openNewFlowEditor(h, PEOPLE.admin);
    const res = await h.driver.submitView(
      PEOPLE.admin,
      modal.id,
      form(`${severity}- { name: incident, label: Incident, type: text, options: [a] }\n`),
    );
    expect(res.json).toMatchObject({
      response_action: 'errors',
      errors: { 'af.fields': 'fields[1].options: is for select fields, not text' },
    });
    expect(await h.sql`select 1 from flows where name = 'incident-web'`).toHaveLength(0);
    h.slack.clearViews(PEOPLE.admin);
  });

  it('refuses an auto-approval condition on a field the flow lacks, under the rules field', async () => {
    const modal = await openNewFlowEditor(h, PEOPLE.admin);
    const res = await h.driver.submitView(
      PEOPLE.admin,
      modal.id,
      form(severity, '- { name: fast, max_duration: 1h, fields: { sevrity: [sev1] } }'),
    );
    expect(res.json).toMatchObject({
      response_action: 'errors',
      errors: { 'af.auto': 'auto_approve[0].fields.sevrity: the flow has no request field "sevrity"' },
    });
    h.slack.clearViews(PEOPLE.admin);
  });

  it('an admin adds fields and a field condition; stored, shown again in the editor, and edited', async () => {
    const modal = await openNewFlowEditor(h, PEOPLE.admin);
    const res = await h.driver.submitView(
      PEOPLE.admin,
      modal.id,
      form(severity, '- { name: fast, max_duration: 1h, fields: { severity: [sev1] } }'),
    );
    expect(res.text).toBe('');
    h.slack.clearViews(PEOPLE.admin);
    const [row] = await h.sql`select id, fields, lifecycle from flows where name = 'incident-web'`;
    expect(row!.fields).toEqual([
      { name: 'severity', label: 'Severity', type: 'select', required: false, options: ['sev1', 'sev2'] },
    ]);
    expect(row!.lifecycle.autoApprove[0].fields).toEqual({ severity: ['sev1'] });
    const id = row!.id as string;
    await until(() => allText(h.slack.home(PEOPLE.admin)?.view.blocks ?? []).includes(id), 'the flow in the list');
    await h.driver.selectAction(
      PEOPLE.admin,
      { viewId: h.slack.home(PEOPLE.admin)!.id },
      `admin.flow.menu.${id}`,
      `edit:${id}`,
    );
    const edit = await until(() => h.slack.topView(PEOPLE.admin), 'edit modal');
    const blockOf = (blockId: string) =>
      (edit.view.blocks as { block_id?: string; element?: { initial_value?: string } }[]).find(
        (b) => b.block_id === blockId,
      );
    expect(blockOf('af.fields')!.element!.initial_value).toContain('name: severity');
    expect(blockOf('af.auto')!.element!.initial_value).toContain('severity:');
    const again = await h.driver.submitView(PEOPLE.admin, edit.id, {
      'af.fields': `${severity}- { name: incident, label: Incident, type: text, required: true }\n`,
    });
    expect(again.text).toBe('');
    h.slack.clearViews(PEOPLE.admin);
    const [edited] = await h.sql`select fields from flows where id = ${id}`;
    expect(edited!.fields.map((f: { name: string }) => f.name)).toEqual(['severity', 'incident']);
  });
});

describe('request fields through the request API', () => {
  it('takes fields on create (checked like the form, refused per field), and shows them on the request', async () => {
    const checker = await openApiChecker(h);
    const reply = await replyTo(h, () => h.driver.command(user, '/access', 'token create fields cli'));
    const call = apiClient(h, checker, /```(ark_pat_\S+)```/.exec(reply.text)![1]!, { 'x-access-channel': 'cli' });
    const body = (fields: Record<string, unknown>) => ({
      body: { resources: ['status-page'], duration_minutes: 120, justification: 'From the CLI', fields },
    });
    const before = await requestsNow();
    const refused = await call('POST', '/api/v1/requests', body({ severity: 'sev5', incident: 'INC-1', sevrity: 'x' }));
    expect(refused.status).toBe(400);
    expect(refused.json.fields).toEqual({
      'fields.severity': 'Pick one of: sev1, sev2, sev3.',
      fields: 'No flow of these resources asks for “sevrity”.',
    });
    expect(await requestsNow()).toBe(before);

    const made = await call('POST', '/api/v1/requests', body({ severity: 'sev2', incident: 'INC-77', responders: 4 }));
    expect(made.status).toBe(201);
    expect(made.json.requests[0].fields).toEqual({ severity: 'sev2', incident: 'INC-77', responders: 4 });
    const got = await call('GET', `/api/v1/requests/${made.json.requests[0].id as string}`);
    expect(got.json.fields).toEqual({ severity: 'sev2', incident: 'INC-77', responders: 4 });
  });

  it('lists a resource’s fields with what it may request, in the file’s words', async () => {
    const checker = await openApiChecker(h);
    const reply = await replyTo(h, () => h.driver.command(user, '/access', 'token create fields list'));
    const call = apiClient(h, checker, /```(ark_pat_\S+)```/.exec(reply.text)![1]!);
    const listed = await call('GET', '/api/v1/requestable');
    const page = listed.json.resources.find((r: { name: string }) => r.name === 'status-page');
    expect(page.fields[0]).toEqual({
      name: 'severity',
      label: 'Severity',
      type: 'select',
      required: true,
      options: ['sev1', 'sev2', 'sev3'],
    });
    expect(listed.json.resources.find((r: { name: string }) => r.name === 'grafana').fields).toBeUndefined();
  });

  it('the CLI sends --field NAME=VALUE, and says a refused one by its flag', async () => {
    const reply = await replyTo(h, () => h.driver.command(user, '/access', 'token create fields laptop'));
    const token = /(ark_pat_[0-9a-z]{10}_[A-Za-z0-9_-]{43})/.exec(reply.text)![1]!;
    const home = cliHome();
    try {
      const url = `http://127.0.0.1:${h.port}`;
      expect(
        (await runCli(['login', '--url', url, '--token-stdin'], { env: home.env, stdin: `${token}\n` })).code,
      ).toBe(0);
      const args = ['request', 'status-page', '--for', '2h', '--why', 'From the CLI', '--field', 'severity=sev3'];
      const bad = await runCli([...args, '--field', 'incident=nope'], { env: home.env });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toBe('--field incident: The incident id, like INC-42\n');
      const good = await runCli([...args, '--field', 'incident=INC-5', '--json'], { env: home.env });
      expect(good.code, good.stderr).toBe(0);
      expect(JSON.parse(good.stdout)[0].fields).toEqual({ severity: 'sev3', incident: 'INC-5' });
      const usage = await runCli([...args, '--field', 'incident'], { env: home.env });
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain('--field takes NAME=VALUE like severity=sev1, not "incident".');
    } finally {
      home.remove();
    }
  });
});

describe('request fields through MCP', () => {
  it('request_access takes fields; a refused value comes back as a tool error naming the field', async () => {
    const reply = await replyTo(h, () => h.driver.command(user, '/access', 'token create fields agent'));
    const token = /ark_pat_[A-Za-z0-9_-]+/.exec(reply.text)![0];
    const client = new Client({ name: 'test-suite-client', version: '0.0.1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${h.port}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}`, 'x-access-agent': 'Claude Code' } },
      }),
    );
    try {
      const ask = (fields: Record<string, string>) =>
        client.callTool({
          name: 'request_access',
          arguments: { resources: ['status-page'], duration: '2h', justification: 'From an agent', fields },
        });
      const bad = await ask({ severity: 'sev1', incident: 'nope' });
      expect(bad.isError).toBe(true);
      expect(JSON.stringify(bad.content)).toContain('The incident id, like INC-42');
      const good = await ask({ severity: 'sev2', incident: 'INC-8' });
      expect(good.isError ?? false).toBe(false);
      const made = (good.structuredContent as { requests: { fields?: unknown }[] }).requests[0]!;
      expect(made.fields).toEqual({ severity: 'sev2', incident: 'INC-8' });
    } finally {
      await client.close();
    }
  });
});
