import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackDriver, until } from '../doubles/slack/driver.js';
import { SIGNING_SECRET, startHarness, type Harness } from './support/harness.js';
import { PEOPLE } from './support/workspace.js';

/** Which admin tab a Home view shows (its tab button is marked with a bullet). */
const activeTab = (blocks: unknown) => /"text":"• ([^"]+)"/.exec(JSON.stringify(blocks))?.[1];

let h: Harness;
let other: SlackDriver;
beforeAll(async () => {
  h = await startHarness();
  const replica = await h.replica();
  other = new SlackDriver({
    eventsUrl: `http://127.0.0.1:${replica.port}/slack/events`,
    signingSecret: SIGNING_SECRET,
    slack: h.slack,
  });
});
afterAll(async () => {
  await h?.stop();
});

describe('App Home renders racing each other', () => {
  it('publishes with the hash of the view it last saw', async () => {
    await h.driver.appHomeOpened(PEOPLE.admin);
    const first = await until(() => h.slack.home(PEOPLE.admin), 'the first Home');
    const seen = first.hash;
    const before = h.slack.calls('views.publish').length;
    // The event carries the view now shown: the next render replaces exactly that one.
    await h.driver.appHomeOpened(PEOPLE.admin);
    const call = await until(
      () =>
        h.slack
          .calls('views.publish')
          .slice(before)
          .find((c) => c.ok),
      'the second publish',
    );
    expect(call.args.hash).toBe(seen);
  });

  it('an older render arriving late does not replace a newer one: the bot renders again', async () => {
    const home = h.slack.home(PEOPLE.admin)!;
    const start = h.slack.calls('views.publish').length;
    // Render A (this replica, "Flows"): its publish is rate limited, so the client sends it again a second later.
    h.slack.failNext('views.publish', { status: 429, retryAfterSec: 1 });
    await h.driver.clickButton(PEOPLE.admin, { viewId: home.id }, 'home.tab.flows');
    await until(
      () =>
        h.slack
          .calls('views.publish')
          .slice(start)
          .some((c) => c.error === 'ratelimited'),
      'render A rate limited',
    );
    // Render B (the other replica, "Resources") lands in the meantime: it is the newest state.
    await other.clickButton(PEOPLE.admin, { viewId: home.id }, 'home.tab.resources');
    await until(() => activeTab(h.slack.home(PEOPLE.admin)?.view.blocks) === 'Resources', 'render B shown');
    const afterB = h.slack.calls('views.publish').length;
    // A's late retry, then whatever the bot does about it, until a publish after B succeeds.
    await until(
      () =>
        h.slack
          .calls('views.publish')
          .slice(afterB)
          .some((c) => c.ok),
      'render A settled',
    );
    const late = h.slack.calls('views.publish').slice(afterB);
    expect(activeTab(h.slack.home(PEOPLE.admin)!.view.blocks)).toBe('Resources');
    expect(late[0]!.error).toBe('hash_conflict');
  });
});
