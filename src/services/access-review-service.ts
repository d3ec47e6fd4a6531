import {
  closeReview,
  findReview,
  lockReview,
  lockReviewItems,
  reviewCounts,
  reviewItemsPage,
  writeDecision,
  type ReviewItemRow,
  type ReviewRow,
} from '../db/access-review-queries.js';
import { progressOf, recentReviews, reviewsOf } from '../db/access-review-lists.js';
import { setMessagePage } from '../db/access-review-messages.js';
import { appendAudits, type AuditEvent } from '../db/audit-queries.js';
import { lockFlow, setFlowPeople } from '../db/catalog-queries.js';
import type { Executor, Tx } from '../db/client.js';
import { enqueue } from '../db/outbox-queries.js';
import {
  clampPage,
  pageCount,
  removalOutcomes,
  REVIEW_PAGE_SIZE,
  selfReviewRefused,
  withoutPerson,
  type ReviewDecision,
  type ReviewPageModel,
} from '../domain/access-review.js';
import { AppError } from '../domain/errors.js';
import type { OutboxEntry } from '../domain/outbox.js';
import type { ServiceDeps } from './deps.js';

/** A review as lists show it (App Home): what, when, how far. */
export interface ReviewSummary {
  id: string;
  flowName: string;
  status: 'open' | 'done';
  openedAt: Date;
  dueAt: Date;
  closedAt: Date | null;
  total: number;
  decided: number;
  removed: number;
}

/** The page model of one reviewer's DM, read from the database (decisions, counts, the page's people). */
export async function reviewPage(
  db: Executor,
  review: ReviewRow,
  reviewerId: string,
  page: number,
): Promise<ReviewPageModel> {
  const counts = await reviewCounts(db, review.id);
  const at = clampPage(page, counts.total);
  const items = await reviewItemsPage(db, review.id, at * REVIEW_PAGE_SIZE, REVIEW_PAGE_SIZE);
  return {
    reviewId: review.id,
    flowName: review.flowName,
    periodStart: review.periodStart,
    dueAt: review.dueAt,
    status: review.status,
    closedAt: review.closedAt,
    reviewerId,
    reviewers: review.reviewers,
    everyone: review.notes.everyone,
    onCall: review.notes.onCall,
    ...counts,
    page: at,
    pages: pageCount(counts.total),
    people: items.map((i) => ({
      userId: i.userId,
      roles: i.roles,
      direct: i.direct,
      groups: i.groups,
      evidence: i.evidence,
      decision: i.decision,
      decidedBy: i.decidedBy,
      outcomes: i.outcomes,
    })),
  };
}

/**
 * Decisions in an access review. A click carries the review and the person, never authority: the
 * review row is locked and the clicker checked against its reviewers inside the transaction that writes
 * the decision, with the flow change (a Remove of a direct user of an App Home flow), the audit events
 * and the outbox items (the findings for the admins, every reviewer's DM re-rendered).
 */
export function createAccessReviewService(deps: ServiceDeps) {
  const { db, clock } = deps;

  async function decideIn(
    tx: Tx,
    review: ReviewRow,
    actorId: string,
    items: ReviewItemRow[],
    decision: ReviewDecision,
    strict: boolean,
  ): Promise<number> {
    const now = clock.now();
    const events: AuditEvent[] = [];
    const outbox: OutboxEntry[] = [];
    let written = 0;
    for (const item of items) {
      if (item.decision === decision) continue; // a repeated decision changes nothing
      if (item.decision !== null) {
        if (strict)
          throw new AppError('review_item_decided', `${item.userId} already decided`, {
            decision: item.decision,
            by: item.decidedBy,
          });
        continue;
      }
      if (selfReviewRefused(actorId, item.userId, review.reviewers)) {
        if (strict) throw new AppError('self_review', `${actorId} reviewing themselves`);
        continue;
      }
      const flow = decision === 'remove' ? await lockFlow(tx, review.flowId) : undefined;
      const outcomes = decision === 'remove' ? removalOutcomes(item, flow?.managedBy ?? review.managedBy, !!flow) : [];
      if (flow && outcomes.includes('removed_from_flow')) {
        const after = withoutPerson(flow, item.userId);
        await setFlowPeople(tx, flow.id, after, now);
        events.push({
          requestId: null,
          actor: actorId,
          action: 'flow.updated',
          createdAt: now,
          details: {
            before: { name: flow.name, requesterUsers: flow.requesterUsers, approverUsers: flow.approverUsers },
            after: { name: flow.name, requesterUsers: after.requesterUsers, approverUsers: after.approverUsers },
            reason: 'access_review',
            reviewId: review.id,
          },
        });
      }
      await writeDecision(tx, item.id, { decision, decidedBy: actorId, decidedAt: now, outcomes });
      events.push({
        requestId: null,
        actor: actorId,
        action: 'access_review.decided',
        createdAt: now,
        details: {
          reviewId: review.id,
          flow: review.flowName,
          period: review.period,
          user: item.userId,
          roles: item.roles,
          direct: item.direct,
          groups: item.groups,
          decision,
          outcomes,
          evidence: item.evidence,
          ...(actorId === item.userId ? { selfReview: true } : {}),
        },
      });
      if (outcomes.some((o) => o !== 'removed_from_flow'))
        outbox.push({
          topic: 'access_review.finding',
          requestId: null,
          payload: { reviewId: review.id, userId: item.userId, actorId },
        });
      written += 1;
    }
    if (written === 0) return 0;
    const counts = await reviewCounts(tx, review.id);
    if (counts.decided === counts.total) {
      await closeReview(tx, review.id, now);
      events.push({
        requestId: null,
        actor: actorId,
        action: 'access_review.completed',
        createdAt: now,
        details: {
          reviewId: review.id,
          flow: review.flowName,
          period: review.period,
          kept: counts.decided - counts.removed,
          removed: counts.removed,
        },
      });
    }
    outbox.push({ topic: 'access_review.refresh', requestId: null, payload: { reviewId: review.id } });
    await enqueue(tx, outbox);
    // Last: the chain's lock is held from the append to the commit.
    await appendAudits(tx, events);
    return written;
  }

  /** Locks the review and checks the clicker is one of its reviewers: the authority check of every decision. */
  async function lockAsReviewer(tx: Tx, reviewId: string, actorId: string): Promise<ReviewRow> {
    const review = await lockReview(tx, reviewId);
    if (!review) throw new AppError('not_found', `no access review ${reviewId}`);
    if (!review.reviewers.includes(actorId)) throw new AppError('not_reviewer', `${actorId} is not a reviewer`);
    return review;
  }

  /** Keep or Remove one person; the reviewer's page as it is now (for the clicked message's update). */
  async function decide(actorId: string, reviewId: string, userId: string, decision: ReviewDecision, page: number) {
    const written = await db.transaction(async (tx) => {
      const review = await lockAsReviewer(tx, reviewId, actorId);
      const items = await lockReviewItems(tx, reviewId, [userId]);
      if (items.length === 0) throw new AppError('stale_reference', `${userId} is not in review ${reviewId}`);
      // A closed review takes no new decisions; repeating the one it has is still a no-op.
      if (review.status !== 'open' && items[0]!.decision !== decision)
        throw new AppError('review_closed', `review ${reviewId} is done`);
      return decideIn(tx, review, actorId, items, decision, true);
    });
    if (written) deps.afterCommit(['messages']);
    return pageFor(reviewId, actorId, page);
  }

  /** Keep everyone still undecided on a page (people the clicker may not review are left for others). */
  async function keepPage(actorId: string, reviewId: string, page: number) {
    const written = await db.transaction(async (tx) => {
      const review = await lockAsReviewer(tx, reviewId, actorId);
      if (review.status !== 'open') return 0;
      const counts = await reviewCounts(tx, reviewId);
      const onPage = await reviewItemsPage(
        tx,
        reviewId,
        clampPage(page, counts.total) * REVIEW_PAGE_SIZE,
        REVIEW_PAGE_SIZE,
      );
      const items = await lockReviewItems(
        tx,
        reviewId,
        onPage.filter((i) => i.decision === null).map((i) => i.userId),
      );
      return decideIn(tx, review, actorId, items, 'keep', false);
    });
    if (written) deps.afterCommit(['messages']);
    return pageFor(reviewId, actorId, page);
  }

  /** Another page of the reviewer's DM (remembered, so later re-renders keep it). */
  async function turnPage(actorId: string, reviewId: string, page: number) {
    const review = await findReview(db, reviewId);
    if (!review) throw new AppError('not_found', `no access review ${reviewId}`);
    if (!review.reviewers.includes(actorId)) throw new AppError('not_reviewer', `${actorId} is not a reviewer`);
    const model = await reviewPage(db, review, actorId, page);
    await setMessagePage(db, reviewId, actorId, model.page);
    return model;
  }

  async function pageFor(reviewId: string, reviewerId: string, page: number) {
    const review = (await findReview(db, reviewId))!;
    const model = await reviewPage(db, review, reviewerId, page);
    await setMessagePage(db, reviewId, reviewerId, model.page);
    return model;
  }

  async function summaries(rows: ReviewRow[]): Promise<ReviewSummary[]> {
    const progress = await progressOf(
      db,
      rows.map((r) => r.id),
    );
    return rows.map((r) => ({
      id: r.id,
      flowName: r.flowName,
      status: r.status,
      openedAt: r.openedAt,
      dueAt: r.dueAt,
      closedAt: r.closedAt,
      ...(progress.get(r.id) ?? { total: 0, decided: 0, removed: 0 }),
    }));
  }

  return {
    decide,
    keepPage,
    turnPage,
    /** Reviews this person decides in (App Home: open first). */
    reviewsFor: async (userId: string, limit = 6) => summaries(await reviewsOf(db, userId, limit)),
    /** Every flow's recent reviews (the admins' tab). */
    recent: async (limit = 20) => summaries(await recentReviews(db, limit)),
  };
}

export type AccessReviewService = ReturnType<typeof createAccessReviewService>;
