import { and, eq } from 'drizzle-orm';
import type { Executor } from './client.js';
import { accessReviewMessages } from './schema/index.js';

/** Each reviewer's DM about a review (channel, ts) and the page it shows. */
export interface ReviewMessageRow {
  reviewerId: string;
  channel: string;
  ts: string;
  page: number;
}

export async function saveReviewMessage(db: Executor, reviewId: string, m: ReviewMessageRow) {
  await db
    .insert(accessReviewMessages)
    .values({ reviewId, ...m })
    .onConflictDoUpdate({
      target: [accessReviewMessages.reviewId, accessReviewMessages.reviewerId],
      set: { channel: m.channel, ts: m.ts },
    });
}

export async function reviewMessages(db: Executor, reviewId: string): Promise<ReviewMessageRow[]> {
  return db
    .select({
      reviewerId: accessReviewMessages.reviewerId,
      channel: accessReviewMessages.channel,
      ts: accessReviewMessages.ts,
      page: accessReviewMessages.page,
    })
    .from(accessReviewMessages)
    .where(eq(accessReviewMessages.reviewId, reviewId));
}

export async function setMessagePage(db: Executor, reviewId: string, reviewerId: string, page: number) {
  await db
    .update(accessReviewMessages)
    .set({ page })
    .where(and(eq(accessReviewMessages.reviewId, reviewId), eq(accessReviewMessages.reviewerId, reviewerId)));
}
