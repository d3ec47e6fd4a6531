import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/** PagerDuty is set up for this bot, Opsgenie is not. */
const accessFile = `
resources:
  - { name: staging-db, type: database, tags: [staging] }
`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    accessFile,
    env: { PAGERDUTY_API_TOKEN: 'u+pd-admin-test-token', PAGERDUTY_API_URL: 'http://127.0.0.1:9' },
  });
});
afterAll(async () => {
  await h?.stop();
});

const basics = {
  'af.name': 'oncall-app',
  'af.resources': ['staging-db'],
  'af.req.users': [PEOPLE.requester],
  'af.appr.users': [PEOPLE.approver],
  'af.max': '480',
};
const RULE = '- name: responders\n  max_duration: 1h\n  on_call: { pagerduty: { schedules: [PSTAGE1] } }\n';

async function openAddFlow() {
  const before = h.slack.calls('views.publish').length;
  await h.driver.appHomeOpened(PEOPLE.admin);
  await until(() => h.slack.calls('views.publish').length > before, 'home published');
  await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'home.tab.flows');
  await until(() => allText(h.slack.home(PEOPLE.admin)?.view.blocks).includes('admin.flow.add'), 'flows tab');
  h.slack.clearViews(PEOPLE.admin);
  await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'admin.flow.add');
  return until(() => h.slack.topView(PEOPLE.admin), 'flow modal');
}

const lifecycleOf = async (name: string) =>
  (await h.sql`select lifecycle from flows where name = ${name}`)[0]?.lifecycle as Record<string, unknown> | undefined;

describe('the App Home flow editor sets on-call rules and approvers', () => {
  it('offers an on-call approvers field', async () => {
    const modal = await openAddFlow();
    expect(modal.view.blocks.map((b: any) => b.block_id)).toContain('af.oncall');
  });

  it('says under the field when a service is not set up for this bot, or the YAML is wrong', async () => {
    const modal = h.slack.topView(PEOPLE.admin)!;
    const og = await h.driver.submitView(PEOPLE.admin, modal.id, {
      ...basics,
      'af.oncall': 'opsgenie: { schedules: [ops-primary] }',
    });
    expect(og.json).toEqual({
      response_action: 'errors',
      errors: { 'af.oncall': 'Opsgenie is not set up for this bot: ask whoever runs it to set OPSGENIE_API_KEY.' },
    });
    const rule = await h.driver.submitView(PEOPLE.admin, modal.id, {
      ...basics,
      'af.oncall': null,
      'af.auto': RULE.replace('pagerduty: { schedules: [PSTAGE1] }', 'opsgenie: { schedules: [ops] }'),
    });
    expect(rule.json.errors).toEqual({
      'af.auto': 'Opsgenie is not set up for this bot: ask whoever runs it to set OPSGENIE_API_KEY.',
    });
    const bad = await h.driver.submitView(PEOPLE.admin, modal.id, {
      ...basics,
      'af.auto': null,
      'af.oncall': 'pagerduty: { schedules: [lowercase] }',
    });
    expect(bad.json.errors['af.oncall']).toBe('on_call.pagerduty.schedules[0]: must be a PagerDuty id like PABC123');
    expect(await lifecycleOf('oncall-app')).toBeUndefined();
  });

  it('saves an on-call auto-approval rule and on-call approvers (escalation needs no one else), and shows them again', async () => {
    const modal = h.slack.topView(PEOPLE.admin)!;
    const res = await h.driver.submitView(PEOPLE.admin, modal.id, {
      ...basics,
      'af.auto': RULE,
      'af.oncall': 'pagerduty: { escalation_policies: [PPAYPOL] }',
      'af.escalate': '60',
    });
    expect(res.text).toBe('');
    const lifecycle = await lifecycleOf('oncall-app');
    expect(lifecycle?.onCallApprovers).toEqual([{ service: 'pagerduty', escalationPolicy: 'PPAYPOL' }]);
    expect((lifecycle?.autoApprove as any[])[0]).toMatchObject({
      name: 'responders',
      onCall: [{ service: 'pagerduty', schedule: 'PSTAGE1' }],
    });
    await h.driver.appHomeOpened(PEOPLE.admin);
    await until(
      () =>
        allText(h.slack.home(PEOPLE.admin)?.view.blocks).includes(
          'on-call approvers: PagerDuty escalation policy PPAYPOL',
        ),
      'the flow row names its on-call approvers',
    );
    // Opened again, the editor shows what was saved.
    const [{ id }] = (await h.sql`select id from flows where name = 'oncall-app'`) as unknown as [{ id: string }];
    await h.driver.appHomeOpened(PEOPLE.admin);
    await until(
      () => allText(h.slack.home(PEOPLE.admin)?.view.blocks).includes(`admin.flow.menu.${id}`),
      'flow listed',
    );
    h.slack.clearViews(PEOPLE.admin);
    await h.driver.selectAction(
      PEOPLE.admin,
      { viewId: h.slack.home(PEOPLE.admin)!.id },
      `admin.flow.menu.${id}`,
      `edit:${id}`,
    );
    const edit = await until(() => h.slack.topView(PEOPLE.admin), 'edit modal');
    const field = (block: string) =>
      edit.view.blocks.find((b: any) => b.block_id === block)?.element?.initial_value as string;
    expect(field('af.oncall')).toContain('escalation_policies:\n    - PPAYPOL');
    expect(field('af.auto')).toContain('on_call:');
    expect(field('af.auto')).toContain('PSTAGE1');
  });
});
