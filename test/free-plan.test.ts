import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, requestAccess, statusOf } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/** A Slack Free workspace: usergroups.* answer plan_upgrade_required. The sample flows name groups. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ slackPlan: 'free' });
});
afterAll(async () => {
  await h?.stop();
});

describe('a workspace on the Free Slack plan (no user groups)', () => {
  it('a requester named by user id still requests; approvers named by user id are asked', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'INC-7 on Free',
    });
    expect(id).toBeDefined();
    expect(await statusOf(h, id!)).toBe('pending');
    expect(allText(h.slack.dmsTo(PEOPLE.approver).map((m) => m.blocks))).toContain(id!);
    // Groups count as empty, and the operator is told why.
    expect(h.slack.calls('usergroups.users.list').some((c) => c.error === 'plan_upgrade_required')).toBe(true);
    expect(h.logs.some((l) => /"level":40/.test(l) && l.includes('plan_upgrade_required'))).toBe(true);
  });

  it('someone in a requester group only is not offered the flow, and is told so instead of an error', async () => {
    h.slack.clearViews(PEOPLE.supporter);
    await h.driver.command(PEOPLE.supporter, '/access', 'request');
    await h.settle();
    const seen = allText([...h.slack.ephemeralsTo(PEOPLE.supporter), h.slack.topView(PEOPLE.supporter)?.view ?? null]);
    expect(seen).not.toContain('Something went wrong');
    expect(seen).not.toContain('prod-db');
  });

  it('the flow editor offers people instead of groups and says why', async () => {
    await h.driver.appHomeOpened(PEOPLE.admin);
    const home = await until(() => h.slack.home(PEOPLE.admin), 'admin home');
    await h.driver.clickButton(PEOPLE.admin, { viewId: home.id }, 'home.tab.flows');
    await until(() => allText(h.slack.home(PEOPLE.admin)!.view.blocks).includes('admin.flow.add'), 'flows tab');
    await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'admin.flow.add');
    const modal = await until(() => h.slack.topView(PEOPLE.admin), 'flow modal');
    const text = allText(modal.view.blocks);
    expect(text).toContain('User groups need a paid Slack plan; pick people instead.');
    const blockIds = modal.view.blocks.map((b: any) => b.block_id);
    expect(blockIds).toEqual(expect.arrayContaining(['af.req.users', 'af.appr.users']));
    expect(text).not.toContain('admin.pick.groups');
    const res = await h.driver.submitView(PEOPLE.admin, modal.id, {
      'af.name': 'free-flow',
      'af.tags': ['production'],
      'af.req.users': [PEOPLE.other],
      'af.appr.users': [PEOPLE.approver],
      'af.max': '240',
    });
    expect(res.slackError).toBeUndefined();
    expect(res.text).toBe('');
    const [row] =
      await h.sql`select requester_users, requester_groups, approver_users, approver_groups from flows where name = 'free-flow'`;
    expect(row).toMatchObject({
      requester_users: [PEOPLE.other],
      requester_groups: [],
      approver_users: [PEOPLE.approver],
      approver_groups: [],
    });
  });

  it('editing a flow that names groups (from before a downgrade) keeps them', async () => {
    const [flow] =
      await h.sql`update flows set approver_groups = ${['S0DBTEAM']} where name = 'free-flow' returning id`;
    const flowId = flow!.id as string;
    h.slack.clearViews(PEOPLE.admin);
    await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'home.tab.flows');
    await until(
      () => allText(h.slack.home(PEOPLE.admin)!.view.blocks).includes(`admin.flow.menu.${flowId}`),
      'the flow listed',
    );
    await h.driver.selectAction(
      PEOPLE.admin,
      { viewId: h.slack.home(PEOPLE.admin)!.id },
      `admin.flow.menu.${flowId}`,
      `edit:${flowId}`,
    );
    const modal = await until(() => h.slack.topView(PEOPLE.admin), 'flow modal');
    expect(allText(modal.view.blocks)).toContain('The groups this flow names stay saved');
    const res = await h.driver.submitView(PEOPLE.admin, modal.id, { 'af.max': '480' });
    expect(res.text).toBe('');
    const [row] = await h.sql`select approver_groups, max_duration_minutes from flows where id = ${flowId}`;
    expect(row).toMatchObject({ approver_groups: ['S0DBTEAM'], max_duration_minutes: 480 });
  });
});
