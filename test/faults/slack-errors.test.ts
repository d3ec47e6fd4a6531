import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../doubles/slack/driver.js';
import { startHarness, type Harness } from '../support/harness.js';
import { allText, approverMessage, requestAccess } from '../support/journey-steps.js';
import { PEOPLE } from '../support/workspace.js';

/**
 * Slack answers 429 (with Retry-After) and 500 now and then. Every notification must still reach its
 * person, and only once: Slack did nothing with a refused call, so a retry that posts again after a
 * success would be a duplicate the person sees.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

const REQUESTS = 4;
const OUTBOX_METHODS = ['chat.postMessage', 'chat.update', 'views.publish'];

/**
 * Queues a mix of faults on the methods the outbox uses: one 429 every other round (each pauses every
 * Slack call for its Retry-After second), and 500s, two in a row outlasting WebClient's own retry.
 */
function injectFaults(round: number) {
  for (const [i, method] of OUTBOX_METHODS.entries()) {
    if (round % 2 === 0 && i === round % 3) h.slack.failNext(method, { status: 429, retryAfterSec: 1 }, 1);
    else h.slack.failNext(method, { status: 500 }, (round + i) % 2 === 0 ? 2 : 1);
  }
}

/** Lets the outbox run until it is empty; backoff waits are skipped (Retry-After is checked apart). */
async function deliverEverything() {
  for (let pass = 0; pass < 20; pass++) {
    await h.settle();
    const [left] = await h.sql`select count(*)::int as n from outbox where done_at is null`;
    if (left!.n === 0) return;
    await h.sql`update outbox set available_at = now() where done_at is null`;
  }
  throw new Error('the outbox never emptied');
}

describe('Slack rate limits and errors', () => {
  it('every approver DM and requester notice arrives exactly once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      injectFaults(i);
      const [id] = await requestAccess(h, PEOPLE.requester, {
        resources: ['prod-db'],
        duration: '60',
        justification: `FLT-${i}: faults`,
      });
      ids.push(id!);
    }
    await deliverEverything();
    // Decide them under the same weather: half approved, half denied.
    for (const [i, id] of ids.entries()) {
      injectFaults(i + 1);
      const where = approverMessage(h, PEOPLE.approver, id);
      await h.driver.clickButton(PEOPLE.approver, where, i % 2 === 0 ? 'review.approve' : 'review.deny');
      const modal = await until(() => h.slack.topView(PEOPLE.approver), 'the decision modal');
      const res = await h.driver.submitView(PEOPLE.approver, modal.id, {});
      expect(res.status).toBe(200);
      h.slack.clearViews(PEOPLE.approver);
    }
    await deliverEverything();

    const refused = h.slack.failures().filter((c) => c.error === 'ratelimited' || c.error === 'http_500');
    expect(refused.length).toBeGreaterThanOrEqual(2 * REQUESTS);
    for (const [i, id] of ids.entries()) {
      for (const approver of [PEOPLE.approver, PEOPLE.dba]) {
        const cards = h.slack.dmsTo(approver).filter((m) => allText(m.blocks).includes(id));
        expect(cards, `${approver}'s messages about ${id}`).toHaveLength(1);
        expect(allText(cards[0]!.blocks)).toContain(i % 2 === 0 ? 'Approved by' : 'Denied by');
      }
      const toRequester = h.slack.dmsTo(PEOPLE.requester).filter((m) => allText(m.blocks).includes(id));
      const notices = toRequester.filter((m) => /approved your request|denied your request/.test(allText(m.blocks)));
      expect(notices, `notices about ${id}`).toHaveLength(1);
      expect(toRequester, `requester messages about ${id}`).toHaveLength(2);
    }
    expect(await h.sql`select id from outbox where last_error like 'gave up%'`).toHaveLength(0);
  });

  it("a 429's Retry-After is honoured before the call is made again", async () => {
    h.slack.clearCalls();
    h.slack.failNext('chat.postMessage', { status: 429, retryAfterSec: 1 }, 1);
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'FLT-retry-after',
    });
    await deliverEverything();
    const posts = h.slack.calls('chat.postMessage');
    const limited = posts.findIndex((c) => c.error === 'ratelimited');
    expect(limited).toBeGreaterThanOrEqual(0);
    expect(posts[limited + 1]!.at - posts[limited]!.at).toBeGreaterThanOrEqual(950);
    expect(h.slack.dmsTo(PEOPLE.approver).filter((m) => allText(m.blocks).includes(id!))).toHaveLength(1);
  });
});
