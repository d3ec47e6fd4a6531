import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approverMessage, forgeViewAction, myMessage, replyTo, statusOf } from './support/journey-steps.js';
import { until } from '../doubles/slack/driver.js';
import { PEOPLE } from './support/workspace.js';
import { BUNDLE_ACCESS_FILE as accessFile } from './support/bundle-catalogue.js';

const rita = PEOPLE.requester;
const dana = PEOPLE.dba;
const alex = PEOPLE.approver;
const oscar = PEOPLE.other;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ accessFile });
});
afterAll(async () => {
  await h?.stop();
});

/** Rita's one DM about her bundle pick. */
function bundleMessage(user: string) {
  const dms = h.slack.dmsTo(user).filter((m) => allText(m.blocks).includes(':package: *incident-responder*'));
  expect(dms).toHaveLength(1);
  return allText(dms[0]!.blocks);
}

/** Opens the form as `user` and picks the bundle: the form redraws with its parts and duration. */
async function pickBundle(user: string, bundle: string) {
  h.slack.clearViews(user);
  await h.driver.command(user, '/access', 'request');
  const modal = await until(() => h.slack.topView(user), 'the request modal');
  await h.driver.selectAction(user, { viewId: modal.id }, 'request.bundle.pick', bundle);
  return until(() => {
    const v = h.slack.topView(user);
    return v && allText(v.view.blocks).includes('request.resources.1') ? v : undefined;
  }, 'the form redrawn for the bundle');
}

describe('a bundle (access profile)', () => {
  let ids: string[] = [];

  it('picking the bundle puts its parts and its duration in the form; sending it makes one request per flow', async () => {
    const modal = await pickBundle(rita, 'incident-responder');
    const blocks = modal.view.blocks as { block_id?: string; element?: Record<string, unknown> }[];
    const resources = blocks.find((b) => b.block_id === 'request.resources.1')!;
    expect((resources.element!.initial_options as { value: string }[]).map((o) => o.value)).toEqual([
      'grafana',
      'k8s-prod',
      'prod-db',
    ]);
    const duration = blocks.find((b) => b.block_id === 'request.duration.1')!;
    expect(duration.element!.initial_option).toMatchObject({ value: '120' });
    const before = new Set((await h.sql`select id from access_requests`).map((r) => r.id as string));
    const res = await h.driver.submitView(rita, modal.id, { 'request.justification': 'INC-42: payments are failing' });
    expect(res.json?.response_action).not.toBe('errors');
    h.slack.clearViews(rita);
    await h.settle();
    const rows = await h.sql`select r.id, r.flow_name, r.duration_minutes, r.bundle_request_id, b.bundle_name
      from access_requests r join bundle_requests b on b.id = r.bundle_request_id order by r.flow_name`;
    ids = rows.map((r) => r.id as string).filter((id) => !before.has(id));
    expect(rows.map((r) => [r.flow_name, r.duration_minutes, r.bundle_name])).toEqual([
      ['databases', 120, 'incident-responder'],
      ['ops', 120, 'incident-responder'],
    ]);
    expect(rows[0]!.bundle_request_id).toBe(rows[1]!.bundle_request_id);
    const [event] = await h.sql`select actor, details from audit_events where action = 'bundle.requested'`;
    expect(event).toMatchObject({
      actor: rita,
      details: { bundle: 'incident-responder', requests: expect.arrayContaining(ids) },
    });
  });

  it('the requester gets one bundle message with each part pending with its approvers', async () => {
    const [dbRequest, opsRequest] = ids as [string, string];
    const text = bundleMessage(rita);
    expect(text).toContain('*incident-responder*: 3 parts');
    expect(text).toContain(
      `\`prod-db\` _(flow databases, \`${dbRequest}\`)_: :hourglass_flowing_sand: pending with <@${dana}>`,
    );
    expect(text).toContain(
      `\`grafana\`, \`k8s-prod\` _(flow ops, \`${opsRequest}\`)_: :hourglass_flowing_sand: pending with <@${alex}>`,
    );
  });

  it("each flow's approver is told it is part of the bundle and what it asks for", async () => {
    const [dbRequest, opsRequest] = ids as [string, string];
    const danas = allText(approverMessage(h, dana, dbRequest).message.blocks);
    expect(danas).toContain("Part of bundle *incident-responder* (1 of 3 parts in this flow's request)");
    expect(danas).toContain('Asks for prod-db: read-only (databases: app)');
    const alexs = allText(approverMessage(h, alex, opsRequest).message.blocks);
    expect(alexs).toContain("(2 of 3 parts in this flow's request)");
    expect(alexs).toContain('k8s-prod: view in payments');
  });

  it('the tuning modal starts from the asked scope, and an approver who widens it is granted the asked scope', async () => {
    const [dbRequest] = ids as [string];
    await h.driver.clickButton(dana, approverMessage(h, dana, dbRequest), 'review.approve');
    const modal = await until(() => h.slack.topView(dana), 'the tuning modal');
    const text = allText(modal.view.blocks);
    expect(text).toContain('Asks for prod-db: read-only (databases: app). You can narrow it, not widen it.');
    // Read-write is not offered: read-only is what was asked.
    expect(text).not.toContain('"value":"read-write"');
    // A forged submission asking for every database and read-write gets the asked scope, nothing more.
    await h.driver.submitView(
      dana,
      modal.id,
      { 'tune.databases.prod-db': '' },
      {
        raw: {
          'tune.access.prod-db': {
            'tune.access.value': { type: 'radio_buttons', selected_option: { value: 'read-write' } },
          },
        },
      },
    );
    h.slack.clearViews(dana);
    await h.settle();
    expect(await statusOf(h, dbRequest)).toBe('active');
    const [grant] = await h.sql`select policy from grants where request_id = ${dbRequest}`;
    expect(grant!.policy).toEqual({
      resources: [{ type: 'database', resource: 'prod-db', access: 'read-only', databases: ['app'] }],
      durationMinutes: 120,
    });
  });

  it('the other flow denies its part: each part ends on its own', async () => {
    const [dbRequest, opsRequest] = ids as [string, string];
    await h.driver.clickButton(alex, approverMessage(h, alex, opsRequest), 'review.deny');
    const modal = await until(() => h.slack.topView(alex), 'deny modal');
    await h.driver.submitView(alex, modal.id, { 'deny.reason': 'not for this incident' });
    h.slack.clearViews(alex);
    await h.settle();
    expect(await statusOf(h, opsRequest)).toBe('denied');
    expect(await statusOf(h, dbRequest)).toBe('active');
    expect(allText(myMessage(h, rita, opsRequest).message.blocks)).toContain('Part of bundle *incident-responder*');
    // `/access list` (and App Home's list) names the bundle beside each part.
    const list = await replyTo(h, () => h.driver.command(rita, '/access', 'list'));
    expect(allText(list.blocks)).toContain(`\`${opsRequest}\` \`grafana\`, \`k8s-prod\``);
    expect(allText(list.blocks).match(/:package: bundle \*incident-responder\*/g)).toHaveLength(2);
    // The one bundle message shows each part where it stands (updated in place, never posted again).
    const text = bundleMessage(rita);
    expect(text).toContain(`flow databases, \`${dbRequest}\`)_: :white_check_mark: ready`);
    expect(text).toContain(`flow ops, \`${opsRequest}\`)_: :x: denied`);
  });

  it("Rita's App Home lists the parts together under the bundle's name, each with its status and buttons", async () => {
    const [dbRequest, opsRequest] = ids as [string, string];
    const before = h.slack.calls('views.publish').length;
    await h.driver.appHomeOpened(rita);
    await until(() => h.slack.calls('views.publish').length > before, 'home published');
    const blocks = h.slack.home(rita)!.view.blocks as {
      type: string;
      text?: { text: string };
      elements?: { action_id: string; value?: string }[];
    }[];
    expect(blocks.length).toBeLessThanOrEqual(100);
    const texts = blocks.map((b) => b.text?.text ?? '');
    const headings = texts.flatMap((t, i) => (t === ':package: *incident-responder*' ? [i] : []));
    // The active part (with its buttons) and the denied part each sit under one heading in their list.
    expect(headings).toHaveLength(2);
    const active = texts.findIndex((t) => t.includes(`\`${dbRequest}\``));
    expect(active).toBe(headings[0]! + 1);
    expect(texts[active]).toContain('*active*');
    expect(blocks[active + 1]!.elements?.map((e) => e.value)).toContain(dbRequest);
    const denied = texts.findIndex((t) => t.includes(`\`${opsRequest}\``));
    expect(denied).toBe(headings[1]! + 1);
    expect(texts[denied]).toContain('*denied*');
  });

  it('someone who may request only some parts sees the bundle, is told which parts are left out, and gets the rest', async () => {
    h.slack.clearViews(oscar);
    await h.driver.command(oscar, '/access', 'request');
    const first = await until(() => h.slack.topView(oscar), 'the request modal');
    await h.driver.selectAction(oscar, { viewId: first.id }, 'request.bundle.pick', 'incident-responder');
    const modal = await until(() => {
      const v = h.slack.topView(oscar);
      return v && allText(v.view.blocks).includes('left out') ? v : undefined;
    }, 'the form redrawn for the bundle');
    expect(allText(modal.view.blocks)).toContain('You cannot request `k8s-prod`, `grafana` of this bundle');
    const res = await h.driver.submitView(oscar, modal.id, { 'request.justification': 'INC-43' });
    expect(res.json?.response_action).not.toBe('errors');
    await h.settle();
    const [row] = await h.sql`select r.flow_name, b.left_out from access_requests r
      join bundle_requests b on b.id = r.bundle_request_id where r.requester_id = ${oscar}`;
    expect(row).toMatchObject({ flow_name: 'databases', left_out: ['k8s-prod', 'grafana'] });
  });

  it('`/access request bundle:<name>` opens the form with the bundle picked; an unknown one is said', async () => {
    h.slack.clearViews(rita);
    await h.driver.command(rita, '/access', 'request bundle:incident-responder');
    const modal = await until(() => h.slack.topView(rita), 'the request modal');
    const blocks = modal.view.blocks as { block_id?: string; element?: Record<string, unknown> }[];
    expect(blocks.find((b) => b.block_id === 'request.bundle')!.element!.initial_option).toMatchObject({
      value: 'incident-responder',
    });
    const resources = blocks.find((b) => b.block_id === 'request.resources.1')!;
    expect((resources.element!.initial_options as unknown[]).length).toBe(3);
    h.slack.clearViews(rita);
    await h.driver.command(rita, '/access', 'request bundle:nope');
    const other = await until(() => h.slack.topView(rita), 'the request modal');
    expect(allText(other.view.blocks)).toContain('`bundle:nope` is not something you can request');
    h.slack.clearViews(rita);
  });

  it('a forged bundle name is refused under the resources field, and nothing is stored', async () => {
    const count = async () => (await h.sql`select count(*)::int as n from bundle_requests`)[0]!.n as number;
    const before = await count();
    h.slack.clearViews(oscar);
    await h.driver.command(oscar, '/access', 'request');
    const modal = await until(() => h.slack.topView(oscar), 'the request modal');
    const res = await h.driver.submitView(
      oscar,
      modal.id,
      { 'request.resources': ['prod-db'], 'request.justification': 'INC-44' },
      {
        raw: {
          'request.bundle': {
            'request.bundle.pick': { type: 'static_select', selected_option: { value: 'no-such-bundle' } },
          },
        },
      },
    );
    expect(res.json).toMatchObject({
      response_action: 'errors',
      errors: { 'request.resources': 'You cannot request the bundle “no-such-bundle”.' },
    });
    expect(await count()).toBe(before);
  });
});

describe('bundles in App Home', () => {
  const admin = PEOPLE.admin;

  async function resourcesTab() {
    const before = h.slack.calls('views.publish').length;
    await h.driver.appHomeOpened(admin);
    await until(() => h.slack.calls('views.publish').length > before, 'home published');
    const hash = h.slack.home(admin)?.hash;
    await h.driver.clickButton(admin, { viewId: h.slack.home(admin)!.id }, 'home.tab.resources');
    return until(() => {
      const home = h.slack.home(admin);
      return home?.hash !== hash && allText(home!.view.blocks).includes('admin.bundle.add') && home;
    }, 'the resources tab');
  }

  it('lists the file bundle read-only, adds one with a field-level error first, then edits it', async () => {
    const home = await resourcesTab();
    const text = allText(home.view.blocks);
    expect(text).toContain('*incident-responder*  :page_facing_up: managed by ACCESS_CONFIG');
    expect(text).not.toContain('admin.bundle.menu.');

    await h.driver.clickButton(admin, { viewId: home.id }, 'admin.bundle.add');
    const modal = await until(() => h.slack.topView(admin), 'bundle modal');
    const refused = await h.driver.submitView(admin, modal.id, {
      'ab.name': 'db-reader',
      'ab.resources': ['prod-db', 'grafana'],
      'ab.duration': '1h',
      'ab.tuning': 'prod-db: { role: view }',
    });
    expect(refused.json).toMatchObject({
      response_action: 'errors',
      errors: { 'ab.tuning': 'prod-db.role: a database resource is tuned with access, databases, not role.' },
    });
    expect(await h.sql`select 1 from bundles where name = 'db-reader'`).toHaveLength(0);
    const tooLong = await h.driver.submitView(admin, modal.id, {
      'ab.tuning': 'prod-db: { access: read-only, databases: [audit] }',
      'ab.duration': '8h',
    });
    expect(tooLong.json?.errors?.['ab.duration']).toBe(
      'This is longer than any flow covering prod-db allows (240 minutes at most).',
    );
    await h.driver.submitView(admin, modal.id, { 'ab.duration': '1h' });
    await h.settle();
    const [row] = await h.sql`select id, parts, duration_minutes, managed_by from bundles where name = 'db-reader'`;
    expect(row).toMatchObject({
      duration_minutes: 60,
      managed_by: 'app',
      parts: [
        {
          resource: 'prod-db',
          tuning: { type: 'database', resource: 'prod-db', access: 'read-only', databases: ['audit'] },
        },
        { resource: 'grafana', tuning: null },
      ],
    });
    const [created] = await h.sql`select actor from audit_events where action = 'bundle.created'`;
    expect(created).toMatchObject({ actor: admin });

    // Edit: the modal shows the scope as YAML; a new duration is saved and audited.
    const listed = await resourcesTab();
    await h.driver.selectAction(
      admin,
      { viewId: listed.id },
      `admin.bundle.menu.${row!.id as string}`,
      `edit:${row!.id as string}`,
    );
    const edit = await until(() => h.slack.topView(admin), 'bundle modal (edit)');
    expect(allText(edit.view.blocks)).toContain('prod-db: { access: read-only, databases: [ audit ] }');
    await h.driver.submitView(admin, edit.id, { 'ab.duration': '30m' });
    await h.settle();
    expect((await h.sql`select duration_minutes from bundles where name = 'db-reader'`)[0]).toMatchObject({
      duration_minutes: 30,
    });
    expect(await h.sql`select 1 from audit_events where action = 'bundle.updated'`).toHaveLength(1);
  });

  it('a forged edit of the file-managed bundle is refused and changes nothing', async () => {
    h.slack.clearViews(admin);
    const [fileBundle] = await h.sql`select id from bundles where name = 'incident-responder'`;
    const home = await resourcesTab();
    const res = await forgeViewAction(h, admin, home.id, {
      type: 'overflow',
      action_id: `admin.bundle.menu.${fileBundle!.id as string}`,
      selected_option: { value: `edit:${fileBundle!.id as string}` },
    });
    expect(res.status).toBe(200);
    const said = await until(() => {
      const v = h.slack.topView(admin);
      return v && allText(v.view.blocks).includes('managed by the ACCESS_CONFIG file') ? v : undefined;
    }, 'the refusal');
    expect(said.view.callback_id).not.toBe('admin.bundle.save');
    expect(
      await h.sql`select 1 from audit_events where action like 'bundle.%' and details->>'bundleId' = ${fileBundle!.id as string}`,
    ).toHaveLength(0);
  });
});
