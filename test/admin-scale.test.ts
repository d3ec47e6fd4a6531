import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import { PEOPLE } from './support/workspace.js';

/** 2,000 resources and 300 flows with long lists: every view must stay within Slack's limits. */
const resources = Array.from(
  { length: 2000 },
  (_, i) =>
    `  - { name: res-${String(i).padStart(4, '0')}, type: ${['ssh', 'database', 'kubernetes', 'http', 'generic'][i % 5]}, tags: [team-${i % 40}, env-${i % 3}], description: "Resource number ${i} with a description long enough to wrap in the list" }`,
);
const users = Array.from({ length: 60 }, (_, i) => `U0BULK${String(i).padStart(3, '0')}`);
const flows = Array.from({ length: 300 }, (_, i) =>
  [
    `  - name: flow-${String(i).padStart(3, '0')}`,
    `    description: "Flow ${i}: ${'a long description '.repeat(10)}"`,
    `    resources: { names: [${Array.from({ length: 20 }, (_, j) => `res-${String((i * 7 + j) % 2000).padStart(4, '0')}`).join(', ')}], tags: [team-${i % 40}, env-${i % 3}] }`,
    `    requesters: { users: [U0REQ, ${users.join(', ')}], groups: [S0SUPPORT] }`,
    `    approvers: { users: [U0APPR, ${users.slice(0, 30).join(', ')}], groups: [S0DBTEAM] }`,
    `    max_duration: 8h`,
    `    approvals_required: ${(i % 3) + 1}`,
    `    justification: { min_length: 5, pattern: "^[A-Z]+-[0-9]+", hint: "Start with the ticket id, like OPS-123" }`,
  ].join('\n'),
);
const accessFile = `resources:\n${resources.join('\n')}\nflows:\n${flows.join('\n')}\n`;

let h: Harness;
beforeAll(async () => {
  // What this file holds is that views stay within Slack's limits at this size; how fast they open at this
  // size is bench/scale.ts's figure. A trigger that outlives a 5x-oversubscribed machine keeps the two apart.
  h = await startHarness({ accessFile });
  // Half the flows and resources as if made in App Home, so their rows carry menus.
  await h.sql`update flows set managed_by = 'app' where name < 'flow-150'`;
  await h.sql`update resources set managed_by = 'app' where name < 'res-1000'`;
});
afterAll(async () => {
  await h?.stop();
});

const blockCount = (userId: string) => h.slack.home(userId)!.view.blocks.length;

async function showHome(userId: string, tab: string, page: number) {
  await h.sql`insert into home_state (user_id, tab, page) values (${userId}, ${tab}, ${page}) on conflict (user_id) do update set tab = excluded.tab, page = excluded.page`;
  const before = h.slack.calls('views.publish').length;
  await h.driver.appHomeOpened(userId);
  await until(() => h.slack.calls('views.publish').length > before, 'home published');
  return h.slack.home(userId)!;
}

describe('views stay within Slack limits with 300 flows and 2,000 resources', () => {
  it.each([
    ['flows', 0],
    ['flows', 19],
    ['resources', 0],
    ['resources', 79],
  ])('the %s tab, page %i', async (tab, page) => {
    const home = await showHome(PEOPLE.admin, tab, page);
    expect(h.slack.failures()).toEqual([]);
    expect(blockCount(PEOPLE.admin)).toBeLessThanOrEqual(100);
    expect(JSON.stringify(home.view.blocks)).toContain(`Page ${page + 1} of ${tab === 'flows' ? 20 : 80}`);
  });

  it('pages forward with the Next button', async () => {
    await showHome(PEOPLE.admin, 'flows', 0);
    const before = h.slack.home(PEOPLE.admin)!.hash;
    await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'home.page.next');
    const home = await until(
      () => h.slack.home(PEOPLE.admin)!.hash !== before && h.slack.home(PEOPLE.admin),
      'next page',
    );
    expect(JSON.stringify(home.view.blocks)).toContain('Page 2 of 20');
    expect(JSON.stringify(home.view.blocks)).toContain('flow-015');
  });

  it('the edit modal of a flow with long lists', async () => {
    await showHome(PEOPLE.admin, 'flows', 0);
    const [flow] = await h.sql`select id from flows where name = 'flow-000'`;
    await h.driver.selectAction(
      PEOPLE.admin,
      { viewId: h.slack.home(PEOPLE.admin)!.id },
      `admin.flow.menu.${flow!.id}`,
      `edit:${flow!.id}`,
    );
    const modal = await until(() => h.slack.topView(PEOPLE.admin), 'edit modal');
    expect(modal.view.blocks.length).toBeLessThanOrEqual(100);
    expect(h.slack.failures()).toEqual([]);
    h.slack.clearViews(PEOPLE.admin);
  });

  it('the request form and its type-ahead for someone in every flow', async () => {
    await h.driver.command(PEOPLE.requester, '/access', 'request');
    const modal = await until(() => h.slack.topView(PEOPLE.requester), 'request modal');
    const element = modal.view.blocks.find((b: any) => b.block_id === 'request.resources').element;
    expect(element.type).toBe('multi_external_select');
    // Before a pick no flow's hint is shown (300 flows' hints glued together would say nothing true); a pick
    // redraws the form with its flow's rules (test/request-form-rules.test.ts).
    expect(JSON.stringify(modal.view)).not.toContain('Start with the ticket id, like OPS-123');
    const res = await h.driver.suggest(PEOPLE.requester, modal.id, 'request.resources.select', 'res-1');
    expect(res.json.options).toHaveLength(100);
    expect(h.slack.failures()).toEqual([]);
  });

  it('"My access" for an approver of every flow', async () => {
    await showHome(PEOPLE.approver, 'mine', 0);
    expect(blockCount(PEOPLE.approver)).toBeLessThanOrEqual(100);
    expect(h.slack.failures()).toEqual([]);
  });
});
