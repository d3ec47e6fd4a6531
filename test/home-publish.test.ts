import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approve, requestAccess, statusOf } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/**
 * A decision re-publishes the App Home of the people involved who have opened theirs; the others have
 * no Home view to keep current, and get a fresh one when they open it (Slack says so every time).
 */
let h: Harness;
let id: string;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

const publishedTo = (from: number) =>
  h.slack
    .calls('views.publish')
    .slice(from)
    .filter((c) => c.ok)
    .map((c) => c.args.user_id as string);

async function openHome(user: string) {
  const before = h.slack.calls('views.publish').length;
  await h.driver.appHomeOpened(user);
  await until(() => publishedTo(before).includes(user), `${user}'s Home published`);
  return h.slack.home(user)!;
}

describe('App Home after a decision', () => {
  it('is re-published for the approver who opened theirs, not for people who never opened it', async () => {
    [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'HOME-1 who sees what',
    })) as [string];
    expect(allText((await openHome(PEOPLE.approver)).view.blocks)).toContain(id);
    const before = h.slack.calls('views.publish').length;

    await approve(h, PEOPLE.approver, id);

    expect(await statusOf(h, id)).toBe('active');
    expect(publishedTo(before)).toContain(PEOPLE.approver);
    expect(allText(h.slack.home(PEOPLE.approver)!.view.blocks)).not.toContain(`"value":"${id}"`);
    // The requester and the other approver (the DB team) never opened their Home.
    expect(publishedTo(before)).not.toContain(PEOPLE.requester);
    expect(publishedTo(before)).not.toContain(PEOPLE.dba);
    expect(h.slack.home(PEOPLE.requester)).toBeUndefined();
  });

  it('shows the current state to someone opening it for the first time after the decision', async () => {
    const home = allText((await openHome(PEOPLE.requester)).view.blocks);
    expect(home).toMatch(new RegExp(`${id}.*\\*active\\*`));
  });
});
