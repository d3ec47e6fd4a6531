import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from './client.js';
import { count, itemColumns, reviewColumns, type ReviewItemRow, type ReviewRow } from './access-review-queries.js';
import { accessReviewItems, accessReviews, auditEvents } from './schema/index.js';

/** Access reviews as lists and exports read them (App Home, GET /api/v1/reviews, `npm run audit -- review`). */

/** Reviews this person may decide in, open first, newest first. */
export async function reviewsOf(db: Executor, userId: string, limit: number): Promise<ReviewRow[]> {
  return db
    .select(reviewColumns)
    .from(accessReviews)
    .where(sql`${accessReviews.reviewers} @> ${JSON.stringify([userId])}::jsonb`)
    .orderBy(desc(sql`${accessReviews.status} = 'open'`), desc(accessReviews.openedAt))
    .limit(limit);
}

/** The most recent reviews of every flow, open first. */
export async function recentReviews(db: Executor, limit: number): Promise<ReviewRow[]> {
  return db
    .select(reviewColumns)
    .from(accessReviews)
    .orderBy(desc(sql`${accessReviews.status} = 'open'`), desc(accessReviews.openedAt))
    .limit(limit);
}

/** Decided and total per review, for lists. */
export async function progressOf(
  db: Executor,
  reviewIds: string[],
): Promise<Map<string, { total: number; decided: number; removed: number }>> {
  if (reviewIds.length === 0) return new Map();
  const rows = await db
    .select({
      reviewId: accessReviewItems.reviewId,
      total: count,
      decided: sql<number>`count(${accessReviewItems.decision})::int`,
      removed: sql<number>`count(*) filter (where ${accessReviewItems.decision} = 'remove')::int`,
    })
    .from(accessReviewItems)
    .where(inArray(accessReviewItems.reviewId, reviewIds))
    .groupBy(accessReviewItems.reviewId);
  return new Map(rows.map(({ reviewId, ...c }) => [reviewId, c]));
}

export async function allReviewItems(db: Executor, reviewId: string): Promise<ReviewItemRow[]> {
  return db
    .select(itemColumns)
    .from(accessReviewItems)
    .where(eq(accessReviewItems.reviewId, reviewId))
    .orderBy(asc(accessReviewItems.position));
}

/** The hash-chain entries of a review's decisions (id and hash per person), for the export. */
export async function decisionEvents(
  db: Executor,
  reviewId: string,
): Promise<Map<string, { id: number; hash: string; createdAt: Date }>> {
  const rows = await db
    .select({
      id: auditEvents.id,
      hash: auditEvents.hash,
      createdAt: auditEvents.createdAt,
      user: sql<string>`${auditEvents.details}->>'user'`,
    })
    .from(auditEvents)
    .where(and(eq(auditEvents.action, 'access_review.decided'), sql`${auditEvents.details}->>'reviewId' = ${reviewId}`))
    .orderBy(asc(auditEvents.id));
  return new Map(rows.map((r) => [r.user, { id: r.id, hash: r.hash, createdAt: r.createdAt }]));
}
