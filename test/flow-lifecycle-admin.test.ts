import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/** Resources only: the flow is made in App Home. */
const accessFile = `
resources:
  - { name: staging-db, type: database, tags: [staging] }
  - { name: prod-db, type: database, tags: [production] }
`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ accessFile });
});
afterAll(async () => {
  await h?.stop();
});

const RULES = `- name: office-hours
  resources: { names: [staging-db] }
  max_duration: 1h
  weekdays: mon-fri
  hours: "09:00-17:00"
  time_zone: Europe/Berlin
`;

const basics = {
  'af.name': 'staging-app',
  'af.resources': ['staging-db'],
  'af.req.users': [PEOPLE.requester],
  'af.appr.users': [PEOPLE.approver],
  'af.max': '480',
};

async function openAddFlow() {
  const before = h.slack.calls('views.publish').length;
  await h.driver.appHomeOpened(PEOPLE.admin);
  await until(() => h.slack.calls('views.publish').length > before, 'home published');
  const home = h.slack.home(PEOPLE.admin)!;
  await h.driver.clickButton(PEOPLE.admin, { viewId: home.id }, 'home.tab.flows');
  await until(() => allText(h.slack.home(PEOPLE.admin)?.view.blocks).includes('admin.flow.add'), 'flows tab');
  h.slack.clearViews(PEOPLE.admin);
  await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'admin.flow.add');
  return until(() => h.slack.topView(PEOPLE.admin), 'flow modal');
}

const lifecycleOf = async (name: string) =>
  (await h.sql`select id, lifecycle from flows where name = ${name}`)[0] as
    { id: string; lifecycle: Record<string, unknown> } | undefined;

describe('the App Home flow editor sets every lifecycle field', () => {
  it('shows the lifecycle inputs in a modal Slack accepts', async () => {
    const modal = await openAddFlow();
    const ids = modal.view.blocks.map((b: any) => b.block_id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'af.remind',
        'af.escalate',
        'af.esc.users',
        'af.esc.groups',
        'af.ttl',
        'af.auto',
        'af.bg.users',
        'af.bg.groups',
        'af.bg.max',
        'af.bg.channel',
      ]),
    );
    expect(modal.view.blocks.length).toBeLessThanOrEqual(100);
  });

  it('puts a wrong auto-approval rule under its field, with the path of the mistake', async () => {
    const modal = h.slack.topView(PEOPLE.admin)!;
    const zone = await h.driver.submitView(PEOPLE.admin, modal.id, {
      ...basics,
      'af.auto': RULES.replace('Europe/Berlin', 'Europe/Atlantis'),
    });
    expect(zone.json).toEqual({
      response_action: 'errors',
      errors: { 'af.auto': 'auto_approve[0].time_zone: must be an IANA time zone like Europe/Berlin' },
    });
    const yaml = await h.driver.submitView(PEOPLE.admin, modal.id, { ...basics, 'af.auto': '- name: [unclosed' });
    expect(yaml.json.errors['af.auto']).toMatch(/^Not valid YAML/);
    const unknown = await h.driver.submitView(PEOPLE.admin, modal.id, {
      ...basics,
      'af.auto': RULES.replace('staging-db', 'nope-db'),
    });
    expect(unknown.json.errors['af.auto']).toBe('Rule “office-hours”: unknown resource nope-db.');
    expect(await lifecycleOf('staging-app')).toBeUndefined();
  });

  it('refuses an escalation without anyone to escalate to', async () => {
    const modal = h.slack.topView(PEOPLE.admin)!;
    const res = await h.driver.submitView(PEOPLE.admin, modal.id, { ...basics, 'af.auto': null, 'af.escalate': '120' });
    expect(res.json.errors).toEqual({ 'af.esc.users': 'Pick who is told when a request waits too long.' });
  });

  it('saves reminders, escalation, pending TTL, auto-approval and break-glass', async () => {
    const modal = h.slack.topView(PEOPLE.admin)!;
    const res = await h.driver.submitView(PEOPLE.admin, modal.id, {
      ...basics,
      'af.remind': '30',
      'af.escalate': '120',
      'af.esc.users': [PEOPLE.admin],
      'af.ttl': '720',
      'af.auto': RULES,
      'af.bg.users': [PEOPLE.other],
      'af.bg.max': '120',
      'af.bg.channel': 'C0GENERAL',
    });
    expect(res.text).toBe('');
    expect((await lifecycleOf('staging-app'))?.lifecycle).toEqual({
      remindAfterMinutes: 30,
      escalateAfterMinutes: 120,
      escalationUsers: [PEOPLE.admin],
      escalationGroups: [],
      pendingTtlMinutes: 720,
      autoApprove: [
        {
          name: 'office-hours',
          resourceNames: ['staging-db'],
          resourceTags: [],
          maxDurationMinutes: 60,
          weekdays: [1, 2, 3, 4, 5],
          from: '09:00',
          to: '17:00',
          timeZone: 'Europe/Berlin',
        },
      ],
      breakGlass: { users: [PEOPLE.other], groups: [], maxDurationMinutes: 120, channel: 'C0GENERAL' },
    });
    h.slack.clearViews(PEOPLE.admin);
  });

  it('editing the flow shows its lifecycle and saving it unchanged keeps every field', async () => {
    const flow = (await lifecycleOf('staging-app'))!;
    await until(
      () => allText(h.slack.home(PEOPLE.admin)?.view.blocks).includes(`admin.flow.menu.${flow.id}`),
      'flow listed',
    );
    await h.driver.selectAction(
      PEOPLE.admin,
      { viewId: h.slack.home(PEOPLE.admin)!.id },
      `admin.flow.menu.${flow.id}`,
      `edit:${flow.id}`,
    );
    const modal = await until(() => h.slack.topView(PEOPLE.admin), 'edit modal');
    const block = (id: string) => modal.view.blocks.find((b: any) => b.block_id === id).element;
    expect(block('af.remind').initial_option.value).toBe('30');
    expect(block('af.escalate').initial_option.value).toBe('120');
    expect(block('af.esc.users').initial_users).toEqual([PEOPLE.admin]);
    expect(block('af.ttl').initial_option.value).toBe('720');
    expect(block('af.auto').initial_value).toContain('name: office-hours');
    expect(block('af.auto').initial_value).toContain('time_zone: Europe/Berlin');
    expect(block('af.bg.users').initial_users).toEqual([PEOPLE.other]);
    expect(block('af.bg.max').initial_option.value).toBe('120');
    expect(block('af.bg.channel').initial_conversation).toBe('C0GENERAL');

    const audits = async () =>
      (await h.sql`select count(*)::int as n from audit_events where action = 'flow.updated'`)[0]!.n as number;
    const before = await audits();
    const res = await h.driver.submitView(PEOPLE.admin, modal.id, {});
    expect(res.text).toBe('');
    expect((await lifecycleOf('staging-app'))?.lifecycle).toEqual(flow.lifecycle);
    expect(await audits()).toBe(before);
    h.slack.clearViews(PEOPLE.admin);
  });

  it('clearing the break-glass people turns break-glass off', async () => {
    const flow = (await lifecycleOf('staging-app'))!;
    await h.driver.selectAction(
      PEOPLE.admin,
      { viewId: h.slack.home(PEOPLE.admin)!.id },
      `admin.flow.menu.${flow.id}`,
      `edit:${flow.id}`,
    );
    const modal = await until(() => h.slack.topView(PEOPLE.admin), 'edit modal');
    await h.driver.submitView(PEOPLE.admin, modal.id, { 'af.bg.users': null, 'af.remind': 'never' });
    const after = (await lifecycleOf('staging-app'))!.lifecycle;
    expect(after).toMatchObject({
      breakGlass: null,
      remindAfterMinutes: null,
      escalateAfterMinutes: 120,
      pendingTtlMinutes: 720,
    });
    h.slack.clearViews(PEOPLE.admin);
  });
});
