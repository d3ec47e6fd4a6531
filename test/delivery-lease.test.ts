import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approverMessage, requestAccess } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/**
 * A paced decision fan-out can outlast the outbox lease (200 approvers at Slack's 50 updates a minute take
 * four minutes). The worker renews the lease while it works, so a second replica never takes the same
 * item and updates the messages a second time.
 */
const BULK = Array.from({ length: 9 }, (_, i) => `U0BULK${String(i).padStart(3, '0')}`);
const accessFile = `
resources:
  - { name: slow-db, type: database }
flows:
  - { name: slow, resources: { names: [slow-db] }, requesters: { users: [U0REQ] }, approvers: { users: [${BULK.join(', ')}] }, max_duration: 8h }
`;

let h: Harness;
beforeAll(async () => {
  // 30 updates a minute (a burst of 6, then one every 2 s): the ten messages take about 8 s, past the 5 s lease.
  h = await startHarness({ accessFile, env: { OUTBOX_LEASE_SECONDS: '5', SLACK_UPDATES_PER_MINUTE: '30' } });
});
afterAll(async () => {
  await h?.stop();
});

describe('a fan-out longer than the outbox lease', () => {
  it('a second replica does not take the item over and update the messages again', async () => {
    const [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['slow-db'],
      duration: '60',
      justification: 'SLOW-1 long fan-out',
    })) as [string];
    const second = await h.replica();
    h.slack.clearCalls();
    const where = approverMessage(h, BULK[0]!, id);
    await h.driver.clickButton(BULK[0]!, where, 'review.approve');
    const modal = await until(() => h.slack.topView(BULK[0]!), 'the tuning modal');
    await h.driver.submitView(BULK[0]!, modal.id, {});
    const afterLease = new Promise((r) => setTimeout(r, 6000)).then(() => second.jobs.drainOutbox());
    await Promise.all([h.settle(), afterLease]);
    for (const user of [...BULK, PEOPLE.requester]) {
      const m = h.slack.dmsTo(user).find((x) => allText(x.blocks).includes(id))!;
      expect(allText(m.blocks)).toContain('Approved');
      expect(
        h.slack.calls('chat.update').filter((c) => c.ok && c.args.ts === m.ts),
        `${user}'s message`,
      ).toHaveLength(1);
    }
  });
});
