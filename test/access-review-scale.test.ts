import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/** 500 people in two user groups: 300 may request, 200 approve (and Dana is named as an approver too). */
const BIG = Array.from({ length: 500 }, (_, i) => `U0BIG${String(i).padStart(3, '0')}`);

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  for (const id of BIG) h.slack.addUser({ id, name: id.toLowerCase() });
  h.slack.addUsergroup({ id: 'S0BIGREQ', handle: 'everyone-eng', name: 'Engineering', users: BIG.slice(0, 300) });
  h.slack.addUsergroup({ id: 'S0BIGAPR', handle: 'leads', name: 'Leads', users: BIG.slice(300) });
  // The flow comes from the App Home editor, after the groups exist.
  await h.driver.appHomeOpened(PEOPLE.admin);
  await until(() => h.slack.home(PEOPLE.admin), 'home');
  await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'home.tab.flows');
  await until(() => allText(h.slack.home(PEOPLE.admin)!.view.blocks).includes('admin.flow.add'), 'flows tab');
  await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'admin.flow.add');
  const modal = await until(() => h.slack.topView(PEOPLE.admin), 'flow modal');
  const res = await h.driver.submitView(PEOPLE.admin, modal.id, {
    'af.name': 'engineering-prod',
    'af.resources': ['prod-db'],
    'af.req.groups': ['S0BIGREQ'],
    'af.appr.groups': ['S0BIGAPR'],
    'af.max': '60',
    'af.review.every': String(90 * 1440),
    'af.review.users': [PEOPLE.admin, PEOPLE.other],
  });
  expect(res.text).toBe('');
  h.slack.clearViews(PEOPLE.admin);
});
afterAll(async () => {
  await h?.stop();
});

describe('an access review of a flow whose groups hold 500 people', () => {
  it('renders page by page within Block Kit limits and is completed page by page', async () => {
    await h.app.jobs.reviewsNow();
    await h.settle();
    const [review] = await h.sql`select id from access_reviews where flow_name = 'engineering-prod'`;
    const rev = review!.id as string;
    expect((await h.sql`select count(*)::int as n from access_review_items where review_id = ${rev}`)[0]!.n).toBe(500);
    const dm = h.slack.dmsTo(PEOPLE.admin).find((m) => allText(m.blocks).includes(rev))!;
    const where = { channel: dm.channel, ts: dm.ts };
    const current = () => h.slack.message(where.channel, where.ts)!;
    expect(allText(current().blocks)).toContain('Page 1 of 50');

    // After each click, the listener's redraw and then the outbox's refresh of every reviewer's DM (which may
    // have read the page before the click: it draws the turned page again): wait for both, then look.
    for (let page = 0; page < 50; page++) {
      const shown = current();
      // The double refuses anything over Slack's limits (50 blocks, 3000 characters a section…): each
      // page was accepted, and is well inside.
      expect(shown.blocks!.length).toBeLessThanOrEqual(50);
      expect(allText(shown.blocks)).toContain(`Page ${page + 1} of 50`);
      const before = allText(shown.blocks);
      if (page === 49) {
        // One Remove among them: a group member, so the admins hear of it.
        await h.driver.clickButton(PEOPLE.admin, where, 'accessreview.remove', {
          blockId: `accessreview.person.${BIG[499]}`,
        });
        await until(() => allText(current().blocks) !== before, 'the remove shown');
        await h.settle();
      }
      const beforeKeep = allText(current().blocks);
      await h.driver.clickButton(PEOPLE.admin, where, 'accessreview.keep_page');
      await until(() => allText(current().blocks) !== beforeKeep, `page ${page + 1} kept`);
      await h.settle();
      if (page < 49) {
        const beforeNext = allText(current().blocks);
        await h.driver.clickButton(PEOPLE.admin, where, 'accessreview.next');
        await until(() => allText(current().blocks) !== beforeNext, `page ${page + 2} shown`);
        await h.settle();
      }
    }
    await h.settle();

    const [done] = await h.sql`select status from access_reviews where id = ${rev}`;
    expect(done!.status).toBe('done');
    const counts =
      await h.sql`select decision, count(*)::int as n from access_review_items where review_id = ${rev} group by decision order by decision`;
    expect(counts.map((r) => [r.decision, r.n])).toEqual([
      ['keep', 499],
      ['remove', 1],
    ]);
    // The other reviewer's DM, still on page 1, shows the finished review.
    const oscar = h.slack.dmsTo(PEOPLE.other).find((m) => allText(m.blocks).includes(rev))!;
    const text = allText(h.slack.message(oscar.channel, oscar.ts)!.blocks);
    expect(text).toContain('499 kept, 1 removed');
    expect(text).not.toContain('accessreview.keep');
    expect(h.slack.failures().filter((c) => c.method.startsWith('chat.'))).toEqual([]);
    expect(h.slack.dmsTo(PEOPLE.admin).some((m) => allText(m.blocks).includes(`removed <@${BIG[499]}>`))).toBe(true);
  });
});
