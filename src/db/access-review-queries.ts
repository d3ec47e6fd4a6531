import { and, asc, desc, eq, gte, inArray, isNull, lt, lte, max, or, sql } from 'drizzle-orm';
import type {
  RemovalOutcome,
  ReviewDecision,
  ReviewEvidence,
  ReviewPersonModel,
  ReviewRule,
} from '../domain/access-review.js';
import type { ManagedBy } from '../domain/catalog.js';
import type { Executor } from './client.js';
import { accessRequests, accessReviewItems, accessReviews, approvals, grants, sessions } from './schema/index.js';

export interface ReviewRow {
  id: string;
  flowId: string;
  flowName: string;
  period: number;
  periodStart: Date;
  dueAt: Date;
  rule: ReviewRule;
  reviewers: string[];
  managedBy: ManagedBy;
  notes: { everyone: boolean; onCall: boolean };
  status: 'open' | 'done';
  openedAt: Date;
  remindedAt: Date | null;
  closedAt: Date | null;
}

/** A reviewed person as stored: the model the messages draw, with its row's place and decision time. */
export interface ReviewItemRow extends ReviewPersonModel {
  id: number;
  position: number;
  decidedAt: Date | null;
}

export const reviewColumns = {
  id: accessReviews.id,
  flowId: accessReviews.flowId,
  flowName: accessReviews.flowName,
  period: accessReviews.period,
  periodStart: accessReviews.periodStart,
  dueAt: accessReviews.dueAt,
  rule: accessReviews.rule,
  reviewers: accessReviews.reviewers,
  managedBy: accessReviews.managedBy,
  notes: accessReviews.notes,
  status: accessReviews.status,
  openedAt: accessReviews.openedAt,
  remindedAt: accessReviews.remindedAt,
  closedAt: accessReviews.closedAt,
};

export const itemColumns = {
  id: accessReviewItems.id,
  position: accessReviewItems.position,
  userId: accessReviewItems.userId,
  roles: accessReviewItems.roles,
  direct: accessReviewItems.direct,
  groups: accessReviewItems.groups,
  evidence: accessReviewItems.evidence,
  decision: accessReviewItems.decision,
  decidedBy: accessReviewItems.decidedBy,
  decidedAt: accessReviewItems.decidedAt,
  outcomes: accessReviewItems.outcomes,
};

/** The latest review of each flow: its period and due time (the schedule's anchor). */
export async function lastReviews(db: Executor): Promise<Map<string, { period: number; dueAt: Date }>> {
  const rows = await db
    .selectDistinctOn([accessReviews.flowId], {
      flowId: accessReviews.flowId,
      period: accessReviews.period,
      dueAt: accessReviews.dueAt,
    })
    .from(accessReviews)
    .orderBy(accessReviews.flowId, desc(accessReviews.period));
  return new Map(rows.map((r) => [r.flowId, { period: r.period, dueAt: r.dueAt }]));
}

export type NewReviewItem = Omit<ReviewItemRow, 'id' | 'decision' | 'decidedBy' | 'decidedAt' | 'outcomes'>;

/**
 * Inserts a review and its people, unless that flow's period already has one (another replica opened it
 * first): `(flow_id, period)` is unique, so exactly one insert wins. Returns whether this one did.
 */
export async function insertReview(
  tx: Executor,
  review: Omit<ReviewRow, 'status' | 'remindedAt' | 'closedAt'>,
  items: NewReviewItem[],
): Promise<boolean> {
  const inserted = await tx
    .insert(accessReviews)
    .values({ ...review, status: 'open' })
    .onConflictDoNothing({ target: [accessReviews.flowId, accessReviews.period] })
    .returning({ id: accessReviews.id });
  if (inserted.length === 0) return false;
  // In chunks: 500 people with their evidence stay well under PostgreSQL's 65,535 parameters either way.
  for (let i = 0; i < items.length; i += 500)
    await tx
      .insert(accessReviewItems)
      .values(items.slice(i, i + 500).map((item) => ({ ...item, reviewId: review.id })));
  return true;
}

export const count = sql<number>`count(*)::int`;

/**
 * The evidence for each person, from the rows the audit trail records: requests they made through the
 * flow in the period, approvals they gave in it, sessions of their grants through the flow in it, and
 * their last grant through the flow (ever, up to the end of the period). One grouped query each.
 */
export async function reviewEvidence(
  db: Executor,
  flowId: string,
  from: Date,
  to: Date,
): Promise<Map<string, ReviewEvidence>> {
  const inFlow = eq(accessRequests.flowId, flowId);
  const [requests, given, lastGrants, sessionCounts] = await Promise.all([
    db
      .select({ userId: accessRequests.requesterId, n: count })
      .from(accessRequests)
      .where(and(inFlow, gte(accessRequests.createdAt, from), lt(accessRequests.createdAt, to)))
      .groupBy(accessRequests.requesterId),
    db
      .select({ userId: approvals.approverId, n: count })
      .from(approvals)
      .innerJoin(accessRequests, eq(accessRequests.id, approvals.requestId))
      .where(and(inFlow, gte(approvals.createdAt, from), lt(approvals.createdAt, to)))
      .groupBy(approvals.approverId),
    db
      .select({ userId: accessRequests.requesterId, at: max(grants.startsAt) })
      .from(grants)
      .innerJoin(accessRequests, eq(accessRequests.id, grants.requestId))
      .where(and(inFlow, lt(grants.startsAt, to)))
      .groupBy(accessRequests.requesterId),
    db
      .select({ userId: accessRequests.requesterId, n: count })
      .from(sessions)
      .innerJoin(accessRequests, eq(accessRequests.id, sessions.requestId))
      .where(and(inFlow, gte(sessions.startedAt, from), lt(sessions.startedAt, to)))
      .groupBy(accessRequests.requesterId),
  ]);
  const out = new Map<string, ReviewEvidence>();
  const of = (userId: string) => {
    let e = out.get(userId);
    if (!e) out.set(userId, (e = { requests: 0, approvalsGiven: 0, lastGrantAt: null, sessions: 0 }));
    return e;
  };
  for (const r of requests) of(r.userId).requests = r.n;
  for (const r of given) of(r.userId).approvalsGiven = r.n;
  for (const r of lastGrants) of(r.userId).lastGrantAt = r.at ? new Date(r.at).toISOString() : null;
  for (const r of sessionCounts) of(r.userId).sessions = r.n;
  return out;
}

export async function findReview(db: Executor, id: string): Promise<ReviewRow | undefined> {
  const [row] = await db.select(reviewColumns).from(accessReviews).where(eq(accessReviews.id, id));
  return row;
}

export async function lockReview(tx: Executor, id: string): Promise<ReviewRow | undefined> {
  const [row] = await tx.select(reviewColumns).from(accessReviews).where(eq(accessReviews.id, id)).for('update');
  return row;
}

export async function reviewItemsPage(
  db: Executor,
  reviewId: string,
  offset: number,
  limit: number,
): Promise<ReviewItemRow[]> {
  return db
    .select(itemColumns)
    .from(accessReviewItems)
    .where(eq(accessReviewItems.reviewId, reviewId))
    .orderBy(asc(accessReviewItems.position))
    .offset(offset)
    .limit(limit);
}

export async function reviewItemOf(db: Executor, reviewId: string, userId: string): Promise<ReviewItemRow | undefined> {
  const [row] = await db
    .select(itemColumns)
    .from(accessReviewItems)
    .where(and(eq(accessReviewItems.reviewId, reviewId), eq(accessReviewItems.userId, userId)));
  return row;
}

/** These people's rows of a review, locked for a decision (under the review's own lock). */
export async function lockReviewItems(tx: Executor, reviewId: string, userIds: string[]): Promise<ReviewItemRow[]> {
  if (userIds.length === 0) return [];
  return tx
    .select(itemColumns)
    .from(accessReviewItems)
    .where(and(eq(accessReviewItems.reviewId, reviewId), inArray(accessReviewItems.userId, userIds)))
    .orderBy(asc(accessReviewItems.position))
    .for('update');
}

export async function writeDecision(
  tx: Executor,
  itemId: number,
  decision: { decision: ReviewDecision; decidedBy: string; decidedAt: Date; outcomes: RemovalOutcome[] },
) {
  await tx.update(accessReviewItems).set(decision).where(eq(accessReviewItems.id, itemId));
}

export async function reviewCounts(
  db: Executor,
  reviewId: string,
): Promise<{ total: number; decided: number; removed: number }> {
  const [row] = await db
    .select({
      total: count,
      decided: sql<number>`count(${accessReviewItems.decision})::int`,
      removed: sql<number>`count(*) filter (where ${accessReviewItems.decision} = 'remove')::int`,
    })
    .from(accessReviewItems)
    .where(eq(accessReviewItems.reviewId, reviewId));
  return row ?? { total: 0, decided: 0, removed: 0 };
}

export async function closeReview(tx: Executor, id: string, at: Date) {
  await tx.update(accessReviews).set({ status: 'done', closedAt: at }).where(eq(accessReviews.id, id));
}

/** Open reviews whose last reminder (or opening) is at least `before` old, locked (SKIP LOCKED: replicas share). */
export async function reviewsToRemind(tx: Executor, before: Date, limit: number): Promise<ReviewRow[]> {
  return tx
    .select(reviewColumns)
    .from(accessReviews)
    .where(
      and(
        eq(accessReviews.status, 'open'),
        or(
          and(isNull(accessReviews.remindedAt), lte(accessReviews.openedAt, before)),
          lte(accessReviews.remindedAt, before),
        ),
      ),
    )
    .orderBy(asc(accessReviews.openedAt))
    .limit(limit)
    .for('update', { skipLocked: true });
}

export async function markReminded(tx: Executor, id: string, at: Date) {
  await tx.update(accessReviews).set({ remindedAt: at }).where(eq(accessReviews.id, id));
}
