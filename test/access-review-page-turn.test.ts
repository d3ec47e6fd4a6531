import { WebClient } from '@slack/web-api';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { createAccessReviewJobs } from '../src/services/access-review-jobs.js';
import type { ServiceDeps } from '../src/services/deps.js';
import type { ReviewMessenger } from '../src/services/ports-messengers.js';
import { createReviewMessenger } from '../src/slack/access-review/review-messenger.js';
import { BOT_TOKEN, startHarness, type Harness } from './support/harness.js';
import { allText } from './support/journey-steps.js';
import { ACCESS_FILE, PEOPLE } from './support/workspace.js';

/**
 * A reviewer's Next is drawn by the listener at once, while the outbox may be refreshing every reviewer's DM
 * after someone's decision. A refresh that read the reviewer's page before the turn and whose chat.update
 * lands after it would put the old page back under the reviewer's eyes: it must draw the turned page again.
 */
const PEOPLE_UNDER_REVIEW = Array.from({ length: 25 }, (_, i) => `U0PAGE${String(i).padStart(2, '0')}`);
const FILE = ACCESS_FILE.replace(
  '    max_duration: 8h\n',
  '    max_duration: 8h\n    review: { every: 90d, reviewers: { users: [U0ADMIN] } }\n',
);

let h: Harness;
beforeAll(async () => {
  // Before the bot starts: it opens the due review at once, with the group's members as they are then.
  h = await startHarness({
    accessFile: FILE,
    workspace: (slack) => {
      for (const id of PEOPLE_UNDER_REVIEW) slack.addUser({ id, name: id.toLowerCase() });
      slack.setUsergroupUsers('S0SUPPORT', PEOPLE_UNDER_REVIEW);
    },
  });
});
afterAll(async () => {
  await h?.stop();
});

describe('a refresh of the review DMs racing a page turn', () => {
  it('draws the page the reviewer turned to, not the one it read before the turn', async () => {
    // Opened at start (or now): its DM, whichever pass posted it.
    await h.app.jobs.reviewsNow();
    const dm = await until(
      () => h.slack.dmsTo(PEOPLE.admin).find((m) => allText(m.blocks).includes('Access review: support-prod')),
      'the review DM',
    );
    await h.settle();
    const reviewId = /rev_[0-9a-z]+/.exec(allText(dm.blocks))![0];
    const shown = () => allText(h.slack.message(dm.channel, dm.ts)!.blocks);
    expect(shown()).toMatch(/Page 1 of [2-9]/);

    // The slow refresh: it reads the admin's page (the first) and draws it, but its chat.update is held until
    // the admin has turned to the next page.
    let release!: () => void;
    const turned = new Promise<void>((r) => (release = r));
    const real = createReviewMessenger(
      new WebClient(BOT_TOKEN, { slackApiUrl: h.slack.apiUrl }),
      pino({ level: 'silent' }),
      { run: (_method, call) => call(), pause: () => undefined },
    );
    let held = 0;
    const slow: ReviewMessenger = {
      ...real,
      async updateReview(ref, page) {
        if (held++ === 0) await turned;
        return real.updateReview(ref, page);
      },
    };
    const deps = { db: h.app.database.db } as unknown as ServiceDeps;
    const refresh = createAccessReviewJobs(deps, slow).handlers['access_review.refresh']({
      payload: { reviewId },
    } as never);

    await until(() => held === 1, 'the refresh to hold its first update');
    await h.driver.clickButton(PEOPLE.admin, { channel: dm.channel, ts: dm.ts }, 'accessreview.next');
    await until(() => shown().includes('Page 2 of'), 'the listener to draw page 2');
    release();
    await refresh;

    expect(shown()).toContain('Page 2 of');
    expect(held).toBeGreaterThan(1);
  });
});
