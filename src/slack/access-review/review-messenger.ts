import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { ReviewMessenger } from '../../services/ports-messengers.js';
import type { Pacer } from '../pacer.js';
import { slackErrorCode } from '../slack-error.js';
import { renderReviewFinding, renderReviewMessage, renderReviewReminder } from './review-message.js';

/** chat.update's answers meaning the message can never be edited again. */
const GONE = new Set(['message_not_found', 'channel_not_found', 'is_inactive', 'is_archived', 'thread_not_found']);

/** The ReviewMessenger port over Slack's Web API; updates go through the pacer (chat.update's tier). */
export function createReviewMessenger(client: WebClient, logger: Logger, pacer: Pacer): ReviewMessenger {
  return {
    async postReview(reviewerId, page) {
      const m = renderReviewMessage(page);
      const res = await client.chat.postMessage({ channel: reviewerId, text: m.text, blocks: m.blocks });
      return { channel: res.channel!, ts: res.ts! };
    },
    async updateReview(ref, page) {
      const m = renderReviewMessage(page);
      try {
        await pacer.run('chat.update', () =>
          client.chat.update({ channel: ref.channel, ts: ref.ts, text: m.text, blocks: m.blocks }),
        );
        return true;
      } catch (e) {
        if (!GONE.has(slackErrorCode(e) ?? '')) throw e;
        logger.warn(
          { review_id: page.reviewId, channel: ref.channel },
          'access review message is gone; not updating it',
        );
        return false;
      }
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
