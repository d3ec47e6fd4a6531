import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import { approverMessage } from './support/journey-steps.js';
import { waitFor } from '../doubles/support/until.js';
import { startWebhookTarget, WEBHOOK_SECRET, type WebhookTarget } from './support/webhook-target.js';
import { PEOPLE } from './support/workspace.js';

/**
 * How many SQL statements one request and its approval send, end to end, as the benchmark's approval
 * does (a webhook grant: made real in its target, the requester told, every message refreshed). Counted
 * by the bot's own pool (BEGIN, COMMIT and savepoints included), so a change that adds a query per
 * item, per message or per person fails here, long before it shows in the benchmark. Not a timing
 * test: the background loops that poll are set far apart, and the count waits for the work to end.
 * `npm run bench` reports the same figure (statements per approval) beside its goal.
 */
const REQUEST_AT_MOST = 20;
// 44: each refresh that redrew a message reads the request once more (services/delivery.ts, refreshUntilCurrent:
// a stale render landing last is drawn again), two per approval.
const APPROVAL_AT_MOST = 44;

let h: Harness;
let target: WebhookTarget;
beforeAll(async () => {
  target = await startWebhookTarget();
  h = await startHarness({
    accessFile: `
resources:
  - { name: app-00, type: generic, provisioner: { type: webhook, url: "${target.url}", secret: "env:ACCESS_SECRET_HOOK" } }
flows:
  - name: apps
    resources: { names: [app-00] }
    requesters: { everyone: true }
    approvers: { users: [${PEOPLE.approver}] }
    max_duration: 8h
`,
    app: { secretEnv: { ACCESS_SECRET_HOOK: WEBHOOK_SECRET } },
    // Only the work itself: no poll of the outbox, session capture, reconcile or audit head meanwhile.
    env: {
      OUTBOX_POLL_SECONDS: '3600',
      SESSION_SAMPLE_SECONDS: '60',
      RECONCILE_INTERVAL_SECONDS: '3600',
      AUDIT_HEAD_LOG_SECONDS: '3600',
    },
  });
});
afterAll(async () => {
  await h?.stop();
  await target?.stop();
});

const statements = () => h.app.database.pool().statements;

/** Waits until the outbox has nothing left (read on the test's own connection) and the bot sends nothing more. */
async function quiet() {
  await waitFor(
    async () => (await h.sql`select count(*)::int as n from outbox where done_at is null`)[0]!.n === 0,
    'the outbox empty',
  );
  // Done when nothing is in flight and the count has not moved over five looks 100 ms apart: one look could
  // fall in a pause of a busy machine between two statements of the same work, and count the rest in the next round.
  let last = -1;
  let still = 0;
  await waitFor(async () => {
    const { statements: now, inUse, waiting } = h.app.database.pool();
    still = now === last && inUse === 0 && waiting === 0 ? still + 1 : 0;
    last = now;
    if (still < 5) await new Promise((r) => setTimeout(r, 100));
    return still >= 5;
  }, 'the bot done with its statements');
}

describe('statements per approval', () => {
  it(`a request takes at most ${REQUEST_AT_MOST} statements, its approval at most ${APPROVAL_AT_MOST}`, async () => {
    // A first round warms the caches (the catalogue, the directory, the authorization index), as a running bot has them.
    const rounds: Array<{ request: number; approval: number }> = [];
    for (let round = 0; round < 2; round += 1) {
      await quiet();
      const start = statements();
      h.slack.clearViews(PEOPLE.requester);
      await h.driver.command(PEOPLE.requester, '/access', 'request');
      const modal = await until(() => h.slack.topView(PEOPLE.requester), 'the request modal');
      await h.driver.submitView(PEOPLE.requester, modal.id, {
        'request.resources': ['app-00'],
        'request.duration': '60',
        'request.justification': `COUNT-${round}`,
      });
      const id = /req_[0-9a-z]+/.exec(JSON.stringify(h.slack.topView(PEOPLE.requester)?.view ?? {}))?.[0];
      expect(id).toBeDefined();
      await until(
        () => h.slack.dmsTo(PEOPLE.approver).some((m) => JSON.stringify(m.blocks).includes(id!)),
        'the approver told',
      );
      await quiet();
      const asked = statements();

      await h.driver.clickButton(PEOPLE.approver, approverMessage(h, PEOPLE.approver, id!), 'review.approve');
      const tuning = await until(() => h.slack.topView(PEOPLE.approver), 'the tuning modal');
      await h.driver.submitView(PEOPLE.approver, tuning.id, {});
      h.slack.clearViews(PEOPLE.approver);
      await until(
        () => target.deliveries.find((d) => d.requestId === id && d.type === 'grant.activated'),
        'the grant made real',
      );
      await until(
        () => h.slack.dmsTo(PEOPLE.requester).some((m) => m.text.includes('is ready') && m.text.includes(id!)),
        'the requester told',
      );
      await quiet();
      rounds.push({ request: asked - start, approval: statements() - asked });
    }
    const warm = rounds.at(-1)!;
    // On failure: list the statements with postgres-js' `debug` option (a scratch copy of this test) to see which one came in.
    expect(warm.request, `statements of the request: ${JSON.stringify(rounds)}`).toBeLessThanOrEqual(REQUEST_AT_MOST);
    expect(warm.approval, `statements of the approval: ${JSON.stringify(rounds)}`).toBeLessThanOrEqual(
      APPROVAL_AT_MOST,
    );
  });
});
