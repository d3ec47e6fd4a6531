import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oktaSdkState } from '../src/provisioners/okta/okta-client.js';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import {
  allText,
  approve,
  approverMessage,
  forgeViewAction,
  replyTo,
  requestAccess,
  statusOf,
  submitAs,
} from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/** Resources only, plus one flow the file owns: everything else is made in App Home. */
const accessFile = `
resources:
  - { name: prod-db, type: database, tags: [production, postgres] }
  - { name: web-1, type: ssh, tags: [production] }
  - { name: k8s-prod, type: kubernetes, tags: [production] }
  - { name: grafana, type: http, tags: [observability] }
  - { name: staging-db, type: database, tags: [staging] }
flows:
  - name: file-flow
    resources: { names: [grafana] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    justification: { pattern: "^[A-Z]+-[0-9]+", hint: "Start with the ticket id, like OPS-123" }
    notify_channel: C0GENERAL
`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ accessFile, app: { secretEnv: { ACCESS_SECRET_OKTA_TOKEN: '00okta-admin-test-token' } } });
});
afterAll(async () => {
  await h?.stop();
});

async function openHome(user: string) {
  const before = h.slack.calls('views.publish').length;
  await h.driver.appHomeOpened(user);
  await until(() => h.slack.calls('views.publish').length > before, 'home published');
  return h.slack.home(user)!;
}

/** What only that tab shows: a re-publish of the tab before (after a save there) must not pass for it. */
const TAB_MARK = { mine: null, flows: 'admin.flow.add', resources: 'admin.resource.add' } as const;

async function homeTab(user: string, tab: 'mine' | 'flows' | 'resources') {
  const before = h.slack.home(user)?.hash;
  await h.driver.clickButton(user, { viewId: h.slack.home(user)!.id }, `home.tab.${tab}`);
  const mark = TAB_MARK[tab];
  return until(() => {
    const home = h.slack.home(user);
    return home?.hash !== before && (mark === null || allText(home!.view.blocks).includes(mark)) && home;
  }, `home tab ${tab}`);
}

const flowRow = async (name: string) => (await h.sql`select * from flows where name = ${name}`)[0];

describe('an admin runs approval flows from App Home', () => {
  let flowId: string;

  it('admins see the admin tabs; other people do not', async () => {
    expect(allText((await openHome(PEOPLE.admin)).view.blocks)).toContain('home.tab.flows');
    // A Slack workspace admin is the bot's admin only when the operator says so (test/admin-trust.test.ts).
    expect(allText((await openHome(PEOPLE.workspaceAdmin)).view.blocks)).not.toContain('home.tab.flows');
    expect(allText((await openHome(PEOPLE.other)).view.blocks)).not.toContain('home.tab.flows');
  });

  it('lists flows, marking those the file manages, without a menu for them', async () => {
    const home = await homeTab(PEOPLE.admin, 'flows');
    const text = allText(home.view.blocks);
    expect(text).toContain('file-flow');
    expect(text).toContain('managed by ACCESS_CONFIG');
    expect(text).not.toContain('admin.flow.menu');
  });

  it('creates a flow with a tag selector and a user group of approvers', async () => {
    await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'admin.flow.add');
    const modal = await until(() => h.slack.topView(PEOPLE.admin), 'flow modal');
    const tags = await h.driver.suggest(PEOPLE.admin, modal.id, 'admin.pick.tags', 'prod');
    expect(tags.json.options.map((o: any) => o.value)).toEqual(['prod', 'production']);
    const groups = await h.driver.suggest(PEOPLE.admin, modal.id, 'admin.pick.groups', '');
    expect(groups.json.options.map((o: any) => o.value)).toEqual(['S0SUPPORT', 'S0DBTEAM']);
    const res = await h.driver.submitView(PEOPLE.admin, modal.id, {
      'af.name': 'support-production',
      'af.description': 'Support asks, the DB team approves',
      'af.tags': ['production'],
      'af.req.groups': ['S0SUPPORT'],
      'af.appr.groups': ['S0DBTEAM'],
      'af.max': '240',
    });
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    const row = await flowRow('support-production');
    expect(row).toMatchObject({
      managed_by: 'app',
      resource_tags: ['production'],
      resource_names: [],
      requester_groups: ['S0SUPPORT'],
      approver_groups: ['S0DBTEAM'],
      max_duration_minutes: 240,
      approvals_required: 1,
      enabled: true,
    });
    flowId = row!.id;
    const [audit] = await h.sql`select actor, details from audit_events where action = 'flow.created'`;
    expect(audit!.actor).toBe(PEOPLE.admin);
    expect(audit!.details).toMatchObject({
      flowId,
      before: null,
      after: { name: 'support-production', resourceTags: ['production'] },
    });
    const home = await until(
      () =>
        allText(h.slack.home(PEOPLE.admin)!.view.blocks).includes('support-production') && h.slack.home(PEOPLE.admin),
      'home refreshed',
    );
    expect(allText(home.view.blocks)).toContain(`admin.flow.menu.${flowId}`);
  });

  it('a member of the requester group sees exactly the tagged resources', async () => {
    await h.driver.command(PEOPLE.supporter, '/access', 'request');
    const modal = await until(() => h.slack.topView(PEOPLE.supporter), 'request modal');
    const element = modal.view.blocks.find((b: any) => b.block_id === 'request.resources').element;
    expect(element.options.map((o: any) => o.value)).toEqual(['k8s-prod', 'prod-db', 'web-1']);
    h.slack.clearViews(PEOPLE.supporter);
  });

  it('a member of the approver group approves', async () => {
    const [id] = await requestAccess(h, PEOPLE.supporter, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'INC-1',
    });
    expect(h.slack.dmsTo(PEOPLE.dba).length).toBeGreaterThan(0);
    await approve(h, PEOPLE.dba, id!);
    expect(await statusOf(h, id!)).toBe('active');
  });

  it('a 2-of-N flow needs two different approvers, and grants the narrowest tuning', async () => {
    await homeTab(PEOPLE.admin, 'flows');
    await h.driver.selectAction(
      PEOPLE.admin,
      { viewId: h.slack.home(PEOPLE.admin)!.id },
      `admin.flow.menu.${flowId}`,
      `edit:${flowId}`,
    );
    const modal = await until(() => h.slack.topView(PEOPLE.admin), 'edit modal');
    expect(modal.view.blocks.find((b: any) => b.block_id === 'af.name').element.initial_value).toBe(
      'support-production',
    );
    await h.driver.submitView(PEOPLE.admin, modal.id, { 'af.approvals': '2', 'af.appr.users': [PEOPLE.approver] });
    const row = await flowRow('support-production');
    expect(row).toMatchObject({ approvals_required: 2, approver_users: [PEOPLE.approver] });
    const [audit] = await h.sql`select details from audit_events where action = 'flow.updated'`;
    expect(audit!.details).toMatchObject({ before: { approvalsRequired: 1 }, after: { approvalsRequired: 2 } });

    const [id] = await requestAccess(h, PEOPLE.supporter, {
      resources: ['prod-db', 'web-1'],
      duration: '120',
      justification: 'INC-2',
    });
    const first = await approve(h, PEOPLE.dba, id!, {
      'tune.access.prod-db': 'read-write',
      'tune.login.web-1': 'ubuntu, deploy',
    });
    expect(first.json.view.title.text).toBe('Approval recorded');
    expect(await statusOf(h, id!)).toBe('pending');
    expect(allText(approverMessage(h, PEOPLE.approver, id!).message.blocks)).toContain(
      `1 of 2 approvals (<@${PEOPLE.dba}>)`,
    );

    const again = await replyTo(h, () =>
      h.driver.clickButton(PEOPLE.dba, approverMessage(h, PEOPLE.dba, id!), 'review.approve'),
    );
    expect(again.text).toContain('You already approved this request (1 of 2 approvals)');

    await approve(h, PEOPLE.approver, id!, { 'tune.duration': '60', 'tune.login.web-1': 'deploy' });
    expect(await statusOf(h, id!)).toBe('active');
    const [grant] = await h.sql`select policy from grants where request_id = ${id!}`;
    expect(grant!.policy).toEqual({
      durationMinutes: 60,
      resources: [
        { type: 'database', resource: 'prod-db', access: 'read-only', databases: [] },
        { type: 'ssh', resource: 'web-1', loginUsers: ['deploy'] },
      ],
    });
    const approvals = await h.sql`select approver_id from approvals where request_id = ${id!} order by created_at`;
    expect(approvals.map((a) => a.approver_id)).toEqual([PEOPLE.dba, PEOPLE.approver]);
  });

  it('adds a resource with tuning defaults that the approver modal then offers', async () => {
    await homeTab(PEOPLE.admin, 'resources');
    await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'admin.resource.add');
    const modal = await until(() => h.slack.topView(PEOPLE.admin), 'resource modal');
    await h.driver.suggest(PEOPLE.admin, modal.id, 'admin.pick.tags', 'production');
    await h.driver.submitView(PEOPLE.admin, modal.id, {
      'ar.name': 'bastion',
      'ar.type': 'ssh',
      'ar.tags': ['production'],
      'ar.logins': 'ops, readonly',
    });
    const [row] = await h.sql`select type, tags, defaults, managed_by from resources where name = 'bastion'`;
    expect(row).toMatchObject({
      type: 'ssh',
      tags: ['production'],
      managed_by: 'app',
      defaults: { loginUsers: ['ops', 'readonly'] },
    });
    const [id] = await requestAccess(h, PEOPLE.supporter, {
      resources: ['bastion'],
      duration: '60',
      justification: 'INC-3',
    });
    await h.driver.clickButton(PEOPLE.dba, approverMessage(h, PEOPLE.dba, id!), 'review.approve');
    const tuning = await until(() => h.slack.topView(PEOPLE.dba), 'tuning');
    expect(tuning.view.blocks.find((b: any) => b.block_id === 'tune.login.bastion').element.initial_value).toBe(
      'ops, readonly',
    );
    h.slack.clearViews(PEOPLE.dba);
  });

  it('adding the first Okta resource starts loading the Okta SDK, before any grant needs it', async () => {
    // No Okta resource at start: the SDK stayed unloaded (issue 24).
    expect(oktaSdkState()).toBe('not loaded');
    await homeTab(PEOPLE.admin, 'resources');
    await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'admin.resource.add');
    const modal = await until(() => h.slack.topView(PEOPLE.admin), 'resource modal');
    const saved = await h.driver.submitView(PEOPLE.admin, modal.id, {
      'ar.name': 'okta-admins',
      'ar.type': 'group',
      'ar.provisioner': 'okta',
      'ar.settings':
        'org_url: https://example.okta.com\ngroup_id: 00g1234567890abcdefg\ntoken: env:ACCESS_SECRET_OKTA_TOKEN',
    });
    expect(saved.json?.errors).toBeUndefined();
    expect(await h.sql`select name from resources where name = 'okta-admins'`).toHaveLength(1);
    // The save re-publishes the admin's Home (and tells the other admins): let that land before the next click.
    await h.settle();
    await until(() => allText(h.slack.home(PEOPLE.admin)?.view.blocks).includes('okta-admins'), 'home shows it');
    await until(() => oktaSdkState() === 'loaded', 'the Okta SDK loaded');
  });

  it('disabling a flow stops new requests through it', async () => {
    await homeTab(PEOPLE.admin, 'flows');
    await h.driver.selectAction(
      PEOPLE.admin,
      { viewId: h.slack.home(PEOPLE.admin)!.id },
      `admin.flow.menu.${flowId}`,
      `disable:${flowId}`,
    );
    await until(() => allText(h.slack.home(PEOPLE.admin)!.view.blocks).includes('disabled'), 'disabled shown');
    expect((await flowRow('support-production'))!.enabled).toBe(false);
    const reply = await replyTo(h, () => h.driver.command(PEOPLE.supporter, '/access', 'request'));
    expect(reply.text).toContain("There's nothing you can request yet");
  });
});

describe('admin actions are re-checked on the server', () => {
  it("a non-admin's forged admin click changes nothing and is refused", async () => {
    const home = await openHome(PEOPLE.other);
    const flow = await flowRow('support-production');
    await forgeViewAction(h, PEOPLE.other, home.id, {
      type: 'overflow',
      action_id: `admin.flow.menu.${flow!.id}`,
      selected_option: { text: { type: 'plain_text', text: 'Enable' }, value: `enable:${flow!.id}` },
    });
    const shown = await until(() => h.slack.topView(PEOPLE.other), 'refusal modal');
    expect(allText(shown.view)).toContain('Only admins can change approval flows and resources.');
    expect((await flowRow('support-production'))!.enabled).toBe(false);
    h.slack.clearViews(PEOPLE.other);
  });

  it('a non-admin submitting an admin modal is refused and nothing is stored', async () => {
    await homeTab(PEOPLE.admin, 'flows');
    await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'admin.flow.add');
    const modal = await until(() => h.slack.topView(PEOPLE.admin), 'flow modal');
    const res = await submitAs(h, PEOPLE.other, modal.id, {
      'af.name': 'sneaky',
      'af.appr.users': [PEOPLE.other],
      'af.req.everyone': ['everyone'],
      'af.resources': [],
    });
    expect(allText(res.json)).toContain('Only admins can change approval flows and resources.');
    expect(await flowRow('sneaky')).toBeUndefined();
    h.slack.clearViews(PEOPLE.other);
  });

  it('a flow managed by the file cannot be edited in Slack, even by an admin', async () => {
    const file = await flowRow('file-flow');
    h.slack.clearViews(PEOPLE.admin);
    const home = await openHome(PEOPLE.admin);
    await forgeViewAction(h, PEOPLE.admin, home.id, {
      type: 'overflow',
      action_id: `admin.flow.menu.${file!.id}`,
      selected_option: { text: { type: 'plain_text', text: 'Edit' }, value: `edit:${file!.id}` },
    });
    const shown = await until(() => h.slack.topView(PEOPLE.admin), 'refusal');
    expect(allText(shown.view)).toContain('managed by the ACCESS_CONFIG file');
    h.slack.clearViews(PEOPLE.admin);

    // A forged save naming the file's flow.
    await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'home.tab.flows');
    await until(() => allText(h.slack.home(PEOPLE.admin)!.view.blocks).includes('admin.flow.add'), 'flows tab');
    await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'admin.flow.add');
    const modal = await until(() => h.slack.topView(PEOPLE.admin), 'flow modal');
    h.slack.state.views.get(modal.id)!.view.private_metadata = JSON.stringify({ flowId: file!.id });
    await h.driver.suggest(PEOPLE.admin, modal.id, 'admin.pick.resources', 'graf');
    const res = await h.driver.submitView(PEOPLE.admin, modal.id, {
      'af.name': 'file-flow',
      'af.resources': ['grafana'],
      'af.req.everyone': ['everyone'],
      'af.appr.users': [PEOPLE.admin],
    });
    expect(res.json.view.blocks[0].text.text).toBe(
      'This is managed by the ACCESS_CONFIG file: change it there, not in Slack.',
    );
    expect((await flowRow('file-flow'))!.requester_everyone).toBe(false);
  });
});

describe('flow rules at work', () => {
  it('a justification pattern is enforced with the hint shown to the requester', async () => {
    h.slack.clearViews(PEOPLE.requester);
    await h.driver.command(PEOPLE.requester, '/access', 'request grafana');
    const modal = await until(() => h.slack.topView(PEOPLE.requester), 'request modal');
    expect(JSON.stringify(modal.view)).toContain('Start with the ticket id, like OPS-123');
    const res = await h.driver.submitView(PEOPLE.requester, modal.id, { 'request.justification': 'just because' });
    expect(res.json).toEqual({
      response_action: 'errors',
      errors: { 'request.justification': 'Start with the ticket id, like OPS-123' },
    });
    h.slack.clearViews(PEOPLE.requester);
  });

  it("a flow that notifies a channel posts there instead of DMs, and only approvers' clicks count", async () => {
    const dmsBefore = h.slack.dmsTo(PEOPLE.approver).length;
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['grafana'],
      duration: '60',
      justification: 'OPS-9 dashboards',
    });
    expect(h.slack.dmsTo(PEOPLE.approver)).toHaveLength(dmsBefore);
    const post = h.slack.messagesIn('C0GENERAL').find((m) => JSON.stringify(m.blocks).includes(id!))!;
    expect(post).toBeDefined();
    const refused = await replyTo(h, () =>
      h.driver.clickButton(PEOPLE.other, { channel: post.channel, ts: post.ts }, 'review.approve'),
    );
    expect(refused.text).toBe('Only an approver of this request can do that.');
    await h.driver.clickButton(PEOPLE.approver, { channel: post.channel, ts: post.ts }, 'review.approve');
    const modal = await until(() => h.slack.topView(PEOPLE.approver), 'tuning');
    await h.driver.submitView(PEOPLE.approver, modal.id, {});
    await h.settle();
    expect(await statusOf(h, id!)).toBe('active');
    expect(JSON.stringify(h.slack.message(post.channel, post.ts)!.blocks)).toContain(
      `Approved by <@${PEOPLE.approver}>`,
    );
  });

  it("App Home review buttons work like the DM's, and the home is re-published when a request changes", async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['grafana'],
      duration: '30',
      justification: 'OPS-10 more dashboards',
    });
    h.slack.clearViews(PEOPLE.approver);
    await openHome(PEOPLE.approver);
    await h.sql`delete from home_state where user_id = ${PEOPLE.approver}`;
    const home = await openHome(PEOPLE.approver);
    expect(JSON.stringify(home.view.blocks)).toContain(id);
    await openHome(PEOPLE.requester);
    // The home lists another pending request first; this is the button of the request made above.
    await h.driver.clickButton(PEOPLE.approver, { viewId: home.id }, 'review.approve', { value: id! });
    const modal = await until(() => h.slack.topView(PEOPLE.approver), 'tuning from home');
    expect(modal.view.callback_id).toBe('review.tuning');
    await h.driver.submitView(PEOPLE.approver, modal.id, {});
    await h.settle();
    expect(await statusOf(h, id!)).toBe('active');
    const requesterHome = JSON.stringify(h.slack.home(PEOPLE.requester)!.view.blocks);
    expect(requesterHome).toContain(`\`${id}\``);
    expect(requesterHome).toMatch(new RegExp(`${id}.*\\*active\\*`));
    expect(JSON.stringify(h.slack.home(PEOPLE.approver)!.view.blocks)).not.toContain(`"value":"${id}"`);
  });
});
