import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, replyTo, requestAccess } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/** The journey workspace's catalogue, plus a flow approved by a 60-person group and one nobody else approves. */
const accessFile = `
resources:
  - { name: prod-db, type: database, tags: [production, postgres], description: Production PostgreSQL }
  - { name: web-1, type: ssh, tags: [production] }
  - { name: staging-db, type: database, tags: [staging] }
  - { name: grafana, type: http, tags: [observability] }
  - { name: solo-db, type: database }
flows:
  - name: support-prod
    resources: { tags: [production] }
    requesters: { users: [U0REQ], groups: [S0SUPPORT] }
    approvers: { users: [U0APPR], groups: [S0DBTEAM] }
    max_duration: 8h
    justification: { min_length: 5, jira: { projects: [OPS] } }
    break_glass: { users: [U0DBA1], max_duration: 1h }
  - name: staging-self-service
    resources: { names: [staging-db] }
    requesters: { users: [U0REQ, U0APPR] }
    approvers: { users: [U0APPR] }
    max_duration: 1h
    allow_self_approval: true
    auto_approve:
      - { name: quick-look, max_duration: 30m }
  - name: dashboards
    resources: { names: [grafana] }
    requesters: { everyone: true }
    approvers: { groups: [S0BIG] }
    approvals_required: 2
  - name: solo
    resources: { names: [solo-db] }
    requesters: { users: [U0OTHER] }
    approvers: { users: [U0OTHER] }
`;
const BIG = Array.from({ length: 60 }, (_, i) => `U0BULK${String(i).padStart(3, '0')}`);

let h: Harness;
let token: string;
beforeAll(async () => {
  h = await startHarness({ accessFile });
  h.slack.addUsergroup({ id: 'S0BIG', handle: 'everyone-big', name: 'Big group', users: BIG });
  ({ token } = await h.app.services.apiKeys.create(PEOPLE.admin, 'tooling'));
});
afterAll(async () => {
  await h?.stop();
});

const command = (user: string, text: string) => replyTo(h, () => h.driver.command(user, '/access', text));

/** Slack's limits for a message: 50 blocks, 3000 characters of section text. */
function withinMessageLimits(blocks: unknown[] | undefined) {
  expect(blocks!.length).toBeLessThanOrEqual(50);
  for (const b of blocks as { text?: { text: string } }[]) expect(b.text?.text.length ?? 0).toBeLessThanOrEqual(3000);
}

describe('/access whocan', () => {
  it('shows an approver who may request a resource and who approves it, through which flow', async () => {
    const reply = await command(PEOPLE.approver, 'whocan prod-db');
    expect(reply.response_type).toBe('ephemeral');
    const text = allText(reply.blocks);
    expect(text).toContain('*Who can request `prod-db`*');
    expect(text).toContain('*Flow `support-prod`*');
    expect(text).toContain('*Requesters:* <@U0REQ> · @support (2: <@U0SUPP2>, <@U0GUEST>)');
    expect(text).toContain('*Approvers:* <@U0APPR> · @dba (1: <@U0DBA1>) · one approval · self-approval not allowed');
    expect(text).toContain('justification required, at least 5 characters · an open Jira issue of OPS');
    expect(text).toContain('Break-glass: <@U0DBA1>, up to 1h');
    withinMessageLimits(reply.blocks);
  });

  it('tells someone who neither administers nor approves it, in a sentence', async () => {
    const reply = await command(PEOPLE.requester, 'whocan prod-db');
    expect(reply.text).toBe('Only admins and the approvers of `prod-db` can see who may request it and why.');
    expect(reply.blocks).toBeUndefined();
  });

  it('tells an admin when there is no such resource, and anyone how to ask', async () => {
    expect((await command(PEOPLE.admin, 'whocan nope')).text).toBe('There is no resource named `nope`.');
    expect((await command(PEOPLE.admin, 'whocan')).text).toBe('Say which resource: `/access whocan prod-db`.');
  });

  it('cuts a 60-person approver group with "and N more", within Slack\'s limits', async () => {
    const reply = await command(PEOPLE.admin, 'whocan grafana');
    const text = allText(reply.blocks);
    expect(text).toContain('*Requesters:* everyone in the workspace (not guests)');
    expect(text).toContain('@everyone-big (60: <@U0BULK000>');
    expect(text).toContain('<@U0BULK009> and 50 more)');
    expect(text).not.toContain('<@U0BULK010>');
    expect(text).toContain('2 approvals');
    withinMessageLimits(reply.blocks);
  });

  it('names the auto-approval rule that decides without a person', async () => {
    const text = allText((await command(PEOPLE.approver, 'whocan staging-db')).blocks);
    expect(text).toContain('Auto-approval: rule `quick-look` approves up to 30m, every day, all day (window open now)');
    expect(text).toContain('self-approval allowed');
  });
});

describe('/access explain', () => {
  it('says a person may request, who would approve, the limits and which rule decides', async () => {
    const reply = await command(PEOPLE.dba, `explain <@${PEOPLE.supporter}|sam> web-1`);
    const text = allText(reply.blocks);
    expect(reply.text).toContain('may request web-1 through flow support-prod');
    expect(text).toContain('*Who would approve:* <@U0APPR>, <@U0DBA1> · one approval · self-approval not allowed');
    expect(text).toContain('*Limits:* up to 8h');
    expect(text).toContain('No auto-approval rule covers it: people decide.');
  });

  it('says why not, and who may break the glass', async () => {
    const reply = await command(PEOPLE.admin, `explain <@${PEOPLE.dba}> prod-db`);
    expect(reply.text).toContain('cannot request prod-db: no enabled flow covering it names them as a requester');
    expect(allText(reply.blocks)).toContain('Break-glass: they may grant themselves up to 1h at once');
    const guest = await command(PEOPLE.admin, `explain <@${PEOPLE.guest}> prod-db`);
    expect(guest.text).toContain('cannot request prod-db: guests never can');
  });

  it('is for admins and approvers only', async () => {
    expect((await command(PEOPLE.other, `explain <@${PEOPLE.requester}> prod-db`)).text).toContain(
      'Only admins and the approvers of `prod-db`',
    );
    expect((await command(PEOPLE.admin, 'explain prod-db')).text).toBe(
      'Say who and which resource: `/access explain @person prod-db`.',
    );
  });
});

describe('the evaluator agrees with what a submission does', () => {
  const cases: [string, string, string][] = [
    ['a named requester', PEOPLE.requester, 'prod-db'],
    ['a requester-group member', PEOPLE.supporter, 'web-1'],
    ['an approver with self-approval', PEOPLE.approver, 'staging-db'],
    ['someone no flow names', PEOPLE.dba, 'prod-db'],
    ['someone only they could approve', PEOPLE.other, 'solo-db'],
    ['anyone, through an everyone flow', PEOPLE.other, 'grafana'],
  ];
  it.each(cases)('%s: explain and submit give the same answer', async (_name, user, resource) => {
    const { answer } = await h.app.services.whoCan.explain(null, user, resource);
    const result = await h.app.services.requests.submit({
      requesterId: user,
      resourceNames: [resource],
      durationMinutes: 30,
      justification: 'OPS-1 checking the agreement',
    });
    expect(result.ok).toBe(answer.mayRequest);
    if (result.ok) {
      expect(result.requests[0]!.flowName).toBe(answer.flow!.flow);
      expect([...result.requests[0]!.notifiedApprovers].sort()).toEqual([...answer.approvers].sort());
    } else {
      expect(result.errors.resources).toMatch(
        answer.decision === 'no_approver' ? /^Nobody but you can approve solo-db/ : /^You cannot request/,
      );
    }
  });

  it('a request through the form reaches exactly the approvers explain named', async () => {
    const { answer } = await h.app.services.whoCan.explain(null, PEOPLE.supporter, 'web-1');
    const [id] = await requestAccess(h, PEOPLE.supporter, {
      resources: ['web-1'],
      duration: '60',
      justification: 'OPS-7 deploy',
    });
    const dmed = answer.approvers.filter((a) => h.slack.dmsTo(a).some((m) => allText(m.blocks).includes(id!)));
    expect(dmed).toEqual(answer.approvers);
  });
});

describe('App Home: Who can… for admins', () => {
  it('opens the question in a modal and answers in the same modal, with the same renderer', async () => {
    await h.driver.appHomeOpened(PEOPLE.admin);
    await until(() => h.slack.home(PEOPLE.admin), 'home');
    await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'home.tab.resources');
    await until(() => allText(h.slack.home(PEOPLE.admin)!.view.blocks).includes('whocan.open'), 'resources tab');
    h.slack.clearViews(PEOPLE.admin);
    await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'whocan.open');
    const form = await until(() => h.slack.topView(PEOPLE.admin), 'the who-can form');
    const res = await h.driver.submitView(PEOPLE.admin, form.id, { 'wc.resource': 'grafana' });
    expect(res.status).toBe(200);
    const answer = h.slack.topView(PEOPLE.admin)!;
    expect(answer.id).toBe(form.id);
    expect(allText(answer.view.blocks)).toContain('*Who can request `grafana`*');
    expect(allText(answer.view.blocks)).toContain('and 50 more');

    h.slack.clearViews(PEOPLE.admin);
    await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'whocan.open');
    const again = await until(() => h.slack.topView(PEOPLE.admin), 'the who-can form');
    await h.driver.submitView(PEOPLE.admin, again.id, { 'wc.resource': 'prod-db', 'wc.person': PEOPLE.requester });
    expect(allText(h.slack.topView(PEOPLE.admin)!.view.blocks)).toContain(
      'may request `prod-db` through flow `support-prod`',
    );
  });

  it('shows an unknown resource under the field', async () => {
    h.slack.clearViews(PEOPLE.admin);
    await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'whocan.open');
    const form = await until(() => h.slack.topView(PEOPLE.admin), 'the who-can form');
    const res = await h.driver.submitView(PEOPLE.admin, form.id, { 'wc.resource': 'nope' });
    expect(res.json).toEqual({
      response_action: 'errors',
      errors: { 'wc.resource': 'There is no resource named `nope`.' },
    });
  });
});

describe('the HTTP API', () => {
  const get = async (path: string, key: string | null = token) => {
    const res = await fetch(`http://127.0.0.1:${h.port}${path}`, {
      headers: key ? { authorization: `Bearer ${key}` } : {},
    });
    return { status: res.status, json: (await res.json()) as any };
  };

  it('answers who can as JSON, behind an API key', async () => {
    expect((await get('/api/v1/whocan?resource=prod-db', null)).status).toBe(401);
    const { status, json } = await get('/api/v1/whocan?resource=prod-db');
    expect(status).toBe(200);
    expect(json.resource).toMatchObject({ name: 'prod-db', type: 'database' });
    expect(json.flows).toHaveLength(1);
    expect(json.flows[0]).toMatchObject({
      flow: 'support-prod',
      enabled: true,
      requesters: {
        everyone: false,
        users: [PEOPLE.requester],
        groups: [{ id: 'S0SUPPORT', members: [PEOPLE.supporter, PEOPLE.guest] }],
      },
      approvers: {
        users: [PEOPLE.approver],
        groups: [{ id: 'S0DBTEAM', members: [PEOPLE.dba] }],
        approvals_required: 1,
        self_approval: false,
      },
      limits: { max_duration_minutes: 480, ticket_projects: ['OPS'] },
      break_glass: { users: [PEOPLE.dba], max_duration_minutes: 60, problem: null },
    });
    expect((await get('/api/v1/whocan?resource=nope')).status).toBe(404);
    expect((await get('/api/v1/whocan')).status).toBe(400);
  });

  it('explains one person by Slack id or e-mail', async () => {
    const byEmail = await get('/api/v1/explain?user=rita%40example.com&resource=prod-db');
    expect(byEmail.status).toBe(200);
    expect(byEmail.json).toMatchObject({
      user: PEOPLE.requester,
      may_request: true,
      decision: 'approvers',
      approvers: [PEOPLE.approver, PEOPLE.dba],
      flow: { flow: 'support-prod' },
      max_duration_minutes: 480,
    });
    const solo = await get(`/api/v1/explain?user=${PEOPLE.other}&resource=solo-db`);
    expect(solo.json).toMatchObject({ may_request: false, decision: 'no_approver', approvers: [] });
    expect((await get('/api/v1/explain?user=nobody%40example.com&resource=prod-db')).status).toBe(404);
  });
});
