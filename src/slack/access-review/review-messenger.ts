import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { ReviewMessenger } from '../../services/ports-messengers.js';
import type { Pacer } from '../pacer.js';
import { MESSAGE_GONE, updateIfThere } from '../paced-update.js';
import { slackErrorCode } from '../slack-error.js';
import { renderReviewFinding, renderReviewMessage, renderReviewReminder } from './review-message.js';

/** A thread reply's answers meaning the review message is gone for good. */
const GONE = new Set([...MESSAGE_GONE, 'thread_not_found']);

/** The ReviewMessenger port over Slack's Web API; updates go through the pacer (chat.update's tier). */
export function createReviewMessenger(client: WebClient, logger: Logger, pacer: Pacer): ReviewMessenger {
  return {
    async postReview(reviewerId, page) {
      const m = renderReviewMessage(page);
      const res = await client.chat.postMessage({ channel: reviewerId, text: m.text, blocks: m.blocks });
      return { channel: res.channel!, ts: res.ts! };
    },
    async updateReview(ref, page) {
      const updated = await updateIfThere(client, pacer, ref, renderReviewMessage(page));
      if (!updated)
        logger.warn(
          { review_id: page.reviewId, channel: ref.channel },
          'access review message is gone; not updating it',
        );
      return updated;
    },
    async postReviewReminder(ref, page) {
      const m = renderReviewReminder(page);
      try {
        await client.chat.postMessage({ channel: ref.channel, thread_ts: ref.ts, text: m.text, blocks: m.blocks });
      } catch (e) {
        if (!GONE.has(slackErrorCode(e) ?? '')) throw e;
      }
    },
    async postReviewFinding(adminId, finding) {
      const m = renderReviewFinding(finding);
      try {
        await client.chat.postMessage({ channel: adminId, text: m.text, blocks: m.blocks });
      } catch (e) {
        // The finding is in the audit trail and the export either way; one admin we cannot reach must not hold back the others.
        logger.warn(
          { slack_user: adminId, review_id: finding.reviewId, err: e },
          'could not tell an admin about a review finding',
        );
      }
    },
  };
}
