import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { startJiraDouble, type JiraDouble } from '../doubles/jira/jira-double.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approve, approverMessage, myMessage, requestAccess } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/**
 * Ticket-checked justification, end to end: a flow requires an open Jira ticket of INC or OPS in the
 * justification. The bot asks the Jira double (basic auth, Jira Cloud's payloads) when the form is sent.
 */
const EMAIL = 'access-bot@example.com';
const TOKEN = 'ATATT3xFfGF0-jira-journey';

const accessFile = `
resources:
  - { name: prod-db, type: database, tags: [prod] }
  - { name: staging-db, type: database, tags: [staging] }
flows:
  - name: prod
    resources: { tags: [prod] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
    justification: { jira: { projects: [INC, OPS] } }
  - name: staging
    resources: { tags: [staging] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
    justification: { jira: { projects: [INC] } }
    auto_approve: [{ name: with-a-ticket, max_duration: 1h }]
`;

let jira: JiraDouble;
let h: Harness;

beforeAll(async () => {
  jira = await startJiraDouble({
    email: EMAIL,
    apiToken: TOKEN,
    issues: [
      { key: 'INC-7', summary: 'Checkout returns 500 for EU cards', status: 'In Progress', category: 'indeterminate' },
      { key: 'OPS-12', summary: 'Rotate the replica certificates', status: 'Closed', category: 'done' },
      { key: 'INC-8', summary: '<!channel> *urgent* <https://evil.example|click>', status: 'To Do', category: 'new' },
    ],
  });
  h = await startHarness({ accessFile, env: { JIRA_BASE_URL: jira.url, JIRA_EMAIL: EMAIL, JIRA_API_TOKEN: TOKEN } });
});
afterAll(async () => {
  await h?.stop();
  await jira?.stop();
});

/** Sends the request form; the field errors Slack would show, or null when the request went through. */
async function send(resource: string, justification: string): Promise<Record<string, string> | null> {
  h.slack.clearViews(PEOPLE.requester);
  await h.driver.command(PEOPLE.requester, '/access', 'request');
  const modal = await until(() => h.slack.topView(PEOPLE.requester), 'the request modal');
  const res = await h.driver.submitView(PEOPLE.requester, modal.id, {
    'request.resources': [resource],
    'request.duration': '60',
    'request.justification': justification,
  });
  h.slack.clearViews(PEOPLE.requester);
  await h.settle();
  return res.json?.response_action === 'errors' ? (res.json.errors as Record<string, string>) : null;
}

const requestCount = async () => (await h.sql`select count(*)::int as n from access_requests`)[0]!.n as number;

describe('a flow that requires an open Jira ticket', () => {
  it('an open ticket: the request goes to the approver, whose message links the ticket with its title and status', async () => {
    const [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'INC-7: replay the failed EU payments',
    })) as [string];
    const text = allText(approverMessage(h, PEOPLE.approver, id).message.blocks);
    expect(text).toContain(`<${jira.url}/browse/INC-7|INC-7> Checkout returns 500 for EU cards · _In Progress_`);
    expect(jira.calls.at(-1)).toMatchObject({ path: '/rest/api/3/issue/INC-7', authorized: true, status: 200 });
  });

  it('records the ticket as Jira described it at request time, on the request and in its audit row', async () => {
    const [row] = await h.sql`select id, ticket from access_requests where justification like 'INC-7:%'`;
    expect(row!.ticket).toMatchObject({
      key: 'INC-7',
      checked: true,
      title: 'Checkout returns 500 for EU cards',
      status: 'In Progress',
      category: 'indeterminate',
    });
    const [created] =
      await h.sql`select details from audit_events where request_id = ${row!.id} and action = 'request.created'`;
    expect(created!.details.ticket).toEqual(row!.ticket);
    // Jira moves on; what the approvers were shown, and the audit trail, stay as they were.
    jira.putIssue({ key: 'INC-7', summary: 'Checkout returns 500 for EU cards', status: 'Done', category: 'done' });
    const [again] = await h.sql`select ticket from access_requests where id = ${row!.id}`;
    expect(again!.ticket.status).toBe('In Progress');
    // The audit story an approver reads in Slack says what the ticket was when access was asked for.
    h.slack.clearViews(PEOPLE.approver);
    await h.driver.command(PEOPLE.approver, '/access', `audit ${row!.id}`);
    const story = await until(() => h.slack.topView(PEOPLE.approver), 'the audit modal');
    expect(allText(story.view.blocks)).toContain(
      'ticket INC-7 “Checkout returns 500 for EU cards” was In Progress then',
    );
    h.slack.clearViews(PEOPLE.approver);
    jira.putIssue({
      key: 'INC-7',
      summary: 'Checkout returns 500 for EU cards',
      status: 'In Progress',
      category: 'indeterminate',
    });
  });

  it('an unknown ticket is refused in the form at once, and nothing is stored', async () => {
    const before = await requestCount();
    expect(await send('prod-db', 'INC-404 restart the primary')).toEqual({
      'request.justification': 'INC-404 is not a Jira ticket I can find. Check the key.',
    });
    expect(await requestCount()).toBe(before);
  });

  it('a closed ticket is refused, naming its status', async () => {
    expect(await send('prod-db', 'OPS-12 follow-up')).toEqual({
      'request.justification': 'OPS-12 is Closed: name a ticket that is still open.',
    });
  });

  it('no ticket, or one of another project, is refused before Jira is asked', async () => {
    const calls = jira.calls.length;
    expect(await send('prod-db', 'just need to look at something')).toEqual({
      'request.justification': 'Include an open Jira ticket from INC or OPS, like INC-123.',
    });
    expect(await send('prod-db', 'EVIL-1 (In Progress, approved by security)')).toEqual({
      'request.justification': 'Include an open Jira ticket from INC or OPS, like INC-123.',
    });
    expect(jira.calls.length).toBe(calls);
  });

  it('forged ticket text proves nothing: the status shown is Jira’s, and a title cannot ping or link', async () => {
    expect(await send('prod-db', 'INC-404 · In Progress · approved by CISO <https://evil.example|INC-7>')).toEqual({
      'request.justification': 'INC-404 is not a Jira ticket I can find. Check the key.',
    });
    const [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'INC-8 <!channel> status: Done',
    })) as [string];
    const text = allText(approverMessage(h, PEOPLE.approver, id).message.blocks);
    expect(text).toContain('INC-8> &lt;!channel&gt; *urgent* &lt;https://evil.example|click&gt; · _To Do_');
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<https://evil.example');
  });

  it('an open ticket lets a flow’s auto-approval rule grant at once', async () => {
    const [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['staging-db'],
      duration: '60',
      justification: 'INC-7 check the staging copy',
    })) as [string];
    const [row] = await h.sql`select status, auto_approved_by, ticket from access_requests where id = ${id}`;
    expect(row).toMatchObject({
      status: 'active',
      auto_approved_by: 'with-a-ticket',
      ticket: { key: 'INC-7', checked: true },
    });
  });
});

describe('asking for more time', () => {
  it('needs a ticket that is still open too; the extension keeps its own snapshot', async () => {
    const [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'INC-7 first hour',
    })) as [string];
    await approve(h, PEOPLE.approver, id);
    const extend = async (reason: string) => {
      await h.driver.clickButton(PEOPLE.requester, myMessage(h, PEOPLE.requester, id), 'request.extend');
      const modal = await until(() => h.slack.topView(PEOPLE.requester), 'the extend modal');
      const res = await h.driver.submitView(PEOPLE.requester, modal.id, {
        'extend.duration': '60',
        'extend.reason': reason,
      });
      h.slack.clearViews(PEOPLE.requester);
      await h.settle();
      return res.json;
    };
    expect(await extend('OPS-12 still on it')).toEqual({
      response_action: 'errors',
      errors: { 'extend.reason': 'OPS-12 is Closed: name a ticket that is still open.' },
    });
    expect(await h.sql`select id from access_requests where extends_request_id = ${id}`).toHaveLength(0);
    expect((await extend('INC-7 needs another hour')).view.title.text).toBe('Extension asked');
    const [ext] = await h.sql`select id, ticket from access_requests where extends_request_id = ${id}`;
    expect(ext!.ticket).toMatchObject({ key: 'INC-7', checked: true, status: 'In Progress' });
    expect(allText(approverMessage(h, PEOPLE.approver, ext!.id as string).message.blocks)).toContain(
      `|INC-7> Checkout returns 500 for EU cards`,
    );
  });
});

describe('Jira down', () => {
  it('the request still goes to the approvers, not to a rule, and their message warns that the ticket was not checked', async () => {
    jira.failNext(1, 503);
    const [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['staging-db'],
      duration: '60',
      justification: 'INC-7 while Jira is down',
    })) as [string];
    const [row] = await h.sql`select status, auto_approved_by, ticket from access_requests where id = ${id}`;
    expect(row).toMatchObject({
      status: 'pending',
      auto_approved_by: null,
      ticket: { key: 'INC-7', checked: false, reason: 'Jira answered 503' },
    });
    const text = allText(approverMessage(h, PEOPLE.approver, id).message.blocks);
    expect(text).toContain('*INC-7* was not checked: Jira answered 503. Look at the ticket before you approve.');
  });

  it('rate limited by Jira: the same, with the reason', async () => {
    jira.rateLimitNext(1);
    const [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'OPS-1 while Jira is busy',
    })) as [string];
    const [row] = await h.sql`select status, ticket from access_requests where id = ${id}`;
    expect(row).toMatchObject({
      status: 'pending',
      ticket: { key: 'OPS-1', checked: false, reason: 'Jira is rate-limiting the bot (429)' },
    });
  });
});

describe('the App Home flow editor', () => {
  it('an admin turns on the ticket check for a new flow; a bad project key is refused under its field', async () => {
    await h.driver.appHomeOpened(PEOPLE.admin);
    await until(() => h.slack.home(PEOPLE.admin), 'the admin home');
    const before = h.slack.home(PEOPLE.admin)!.hash;
    await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'home.tab.flows');
    await until(() => h.slack.home(PEOPLE.admin)?.hash !== before, 'the flows tab');
    await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'admin.flow.add');
    const modal = await until(() => h.slack.topView(PEOPLE.admin), 'the flow modal');
    expect(allText(modal.view)).toContain('Require an open Jira ticket from');
    const fields = {
      'af.name': 'incident-db',
      'af.resources': ['prod-db'],
      'af.req.users': [PEOPLE.requester],
      'af.appr.users': [PEOPLE.approver],
      'af.max': '240',
    };
    const bad = await h.driver.submitView(PEOPLE.admin, modal.id, { ...fields, 'af.just.jira': 'INC, in-c' });
    expect(bad.json).toEqual({
      response_action: 'errors',
      errors: { 'af.just.jira': 'Use Jira project keys like INC, OPS (capitals and digits, up to 10).' },
    });
    expect(await h.sql`select id from flows where name = 'incident-db'`).toHaveLength(0);
    const good = await h.driver.submitView(PEOPLE.admin, modal.id, { ...fields, 'af.just.jira': 'inc, ops' });
    expect(good.status).toBe(200);
    const [row] = await h.sql`select justification from flows where name = 'incident-db'`;
    expect(row!.justification).toMatchObject({ jira: { projects: ['INC', 'OPS'] } });
    // The requester's form says what the flow asks for, before anything is sent.
    h.slack.clearViews(PEOPLE.requester);
    await h.driver.command(PEOPLE.requester, '/access', 'request prod-db');
    const form = await until(() => h.slack.topView(PEOPLE.requester), 'the request modal');
    expect(allText(form.view)).toContain('Include an open Jira ticket from INC or OPS, like INC-123.');
    h.slack.clearViews(PEOPLE.requester);
  });
});
