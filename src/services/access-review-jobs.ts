import {
  findReview,
  insertReview,
  lastReviews,
  markReminded,
  reviewCounts,
  reviewEvidence,
  reviewItemOf,
  reviewsToRemind,
  type ReviewRow,
} from '../db/access-review-queries.js';
import { reviewMessages, saveReviewMessage, type ReviewMessageRow } from '../db/access-review-messages.js';
import { appendAudit } from '../db/audit-queries.js';
import { homeReadersAmong } from '../db/home-queries.js';
import { newId } from '../db/ids.js';
import { enqueue } from '../db/outbox-queries.js';
import { eligiblePeople, nextReviewDue, REVIEW_REMINDER_MINUTES, type ReviewRule } from '../domain/access-review.js';
import type { FlowRow } from '../domain/catalog.js';
import type { OutboxHandlers } from '../domain/outbox.js';
import { reviewPage } from './access-review-service.js';
import type { ServiceDeps } from './deps.js';
import { adminIdsOf } from './identity.js';
import type { ReviewMessenger } from './ports-messengers.js';

export interface ReviewRun {
  opened: number;
  reminded: number;
  /** Flows whose review is due but could not be opened this time, and why: tried again at the next pass. */
  deferred: { flow: string; reason: string }[];
}

const BATCH = 50;

/**
 * The time-driven side of access reviews, safe with several replicas: opening the reviews that are due
 * (one per flow and period: the insert races on a unique key, one replica wins) and reminding reviewers
 * of open ones (rows locked SKIP LOCKED, as the request reminders are). DMs go after commit, through
 * the outbox, one item per reviewer.
 */
export function createAccessReviewJobs(
  deps: ServiceDeps,
  messenger: ReviewMessenger,
  /** App Home lists reviews: a decision changes what the reviewers see there (best effort, as elsewhere). */
  refreshHome: (userId: string) => Promise<void> = async () => undefined,
) {
  const { db, clock, directory } = deps;

  const membersOf = async (groups: string[]) =>
    new Map(await Promise.all([...new Set(groups)].map(async (g) => [g, await directory.groupMembers(g)] as const)));

  /** Opens one flow's review, Slack read first (never inside the transaction); false when another replica did. */
  async function open(flow: FlowRow, rule: ReviewRule, period: number, dueAt: Date): Promise<boolean> {
    const members = await membersOf([...flow.requesterGroups, ...flow.approverGroups, ...rule.reviewerGroups]);
    const reviewers = [
      ...new Set([...rule.reviewerUsers, ...rule.reviewerGroups.flatMap((g) => members.get(g) ?? [])]),
    ].sort();
    // Nobody could decide: the review would stay open for ever. Said in the log; tried again next pass.
    if (reviewers.length === 0) throw new Error('no reviewer: the reviewer groups are empty');
    const people = eligiblePeople(flow, members);
    const periodStart = new Date(dueAt.getTime() - rule.everyMinutes * 60_000);
    const evidence = await reviewEvidence(db, flow.id, periodStart, dueAt);
    const none = { requests: 0, approvalsGiven: 0, lastGrantAt: null, sessions: 0 };
    const id = newId('rev');
    const now = clock.now();
    const opened = await db.transaction(async (tx) => {
      const inserted = await insertReview(
        tx,
        {
          id,
          flowId: flow.id,
          flowName: flow.name,
          period,
          periodStart,
          dueAt,
          rule,
          reviewers,
          managedBy: flow.managedBy,
          notes: { everyone: flow.requesterEveryone, onCall: (flow.lifecycle.onCallApprovers ?? []).length > 0 },
          openedAt: now,
        },
        people.map((p, position) => ({ ...p, position, evidence: evidence.get(p.userId) ?? none })),
      );
      if (!inserted) return false;
      await enqueue(
        tx,
        reviewers.map((reviewerId) => ({
          topic: 'access_review.post' as const,
          requestId: null,
          payload: { reviewId: id, reviewerId },
        })),
      );
      await appendAudit(tx, {
        requestId: null,
        actor: 'system',
        action: 'access_review.opened',
        createdAt: now,
        details: {
          reviewId: id,
          flow: flow.name,
          period,
          periodStart: periodStart.toISOString(),
          dueAt: dueAt.toISOString(),
          people: people.length,
          reviewers,
          everyMinutes: rule.everyMinutes,
        },
      });
      return true;
    });
    return opened;
  }

  async function openDue(run: ReviewRun) {
    const now = clock.now();
    const { flows } = await deps.catalog.snapshot();
    const last = await lastReviews(db);
    for (const flow of flows) {
      const rule = flow.review;
      if (!rule || !flow.enabled) continue;
      const previous = last.get(flow.id);
      const dueAt = nextReviewDue(previous?.dueAt ?? null, rule.everyMinutes, now);
      if (dueAt.getTime() > now.getTime()) continue;
      try {
        if (await open(flow, rule, (previous?.period ?? 0) + 1, dueAt)) run.opened += 1;
      } catch (e) {
        // A group Slack could not list now: a review missing its members would be wrong evidence. Next pass.
        run.deferred.push({ flow: flow.name, reason: (e as Error).message });
      }
    }
  }

  async function remindDue(run: ReviewRun) {
    const now = clock.now();
    const before = new Date(now.getTime() - REVIEW_REMINDER_MINUTES * 60_000);
    await db.transaction(async (tx) => {
      for (const review of await reviewsToRemind(tx, before, BATCH)) {
        const counts = await reviewCounts(tx, review.id);
        const undecided = counts.total - counts.decided;
        await markReminded(tx, review.id, now);
        if (undecided === 0) continue;
        await enqueue(tx, [{ topic: 'access_review.remind', requestId: null, payload: { reviewId: review.id } }]);
        await appendAudit(tx, {
          requestId: null,
          actor: 'system',
          action: 'access_review.reminded',
          createdAt: now,
          details: { reviewId: review.id, flow: review.flowName, undecided },
        });
        run.reminded += 1;
      }
    });
  }

  /** One pass: open what is due, remind what waits. */
  async function runOnce(): Promise<ReviewRun> {
    const run: ReviewRun = { opened: 0, reminded: 0, deferred: [] };
    await openDue(run);
    await remindDue(run);
    if (run.opened + run.reminded > 0) deps.afterCommit(['messages']);
    return run;
  }

  const loadReview = async (id: string) => {
    const review = await findReview(db, id);
    if (!review) throw new Error(`access review ${id} is gone`);
    return review;
  };

  /**
   * A reviewer's Next or Previous is drawn by the listener with its own chat.update, right after the page is
   * stored. A refresh that read the page before that turn and lands after it would put the old page back, so
   * the pages are read again after drawing and the ones that moved are drawn again (at most three passes).
   */
  async function redrawTurnedPages(review: ReviewRow, drawn: ReviewMessageRow[]) {
    const pageOf = new Map(drawn.map((m) => [m.reviewerId, m.page]));
    for (let pass = 0; pass < 3; pass++) {
      const moved = (await reviewMessages(db, review.id)).filter(
        (m) => pageOf.has(m.reviewerId) && pageOf.get(m.reviewerId) !== m.page,
      );
      if (moved.length === 0) return;
      for (const m of moved) {
        await messenger.updateReview(m, await reviewPage(db, review, m.reviewerId, m.page));
        pageOf.set(m.reviewerId, m.page);
      }
    }
  }

  const handlers: Pick<
    OutboxHandlers,
    'access_review.post' | 'access_review.refresh' | 'access_review.remind' | 'access_review.finding'
  > = {
    async 'access_review.post'(item) {
      const { reviewId, reviewerId } = item.payload;
      const review = await loadReview(reviewId);
      // A retry after a post whose row was not saved must not post twice: an existing DM is updated instead.
      const existing = (await reviewMessages(db, reviewId)).find((m) => m.reviewerId === reviewerId);
      const model = await reviewPage(db, review, reviewerId, existing?.page ?? 0);
      if (existing && (await messenger.updateReview(existing, model))) return;
      const ref = await messenger.postReview(reviewerId, model);
      await saveReviewMessage(db, reviewId, { reviewerId, ...ref, page: model.page });
    },
    async 'access_review.refresh'(item) {
      const review = await loadReview(item.payload.reviewId);
      const drawn = await reviewMessages(db, review.id);
      for (const m of drawn) await messenger.updateReview(m, await reviewPage(db, review, m.reviewerId, m.page));
      await redrawTurnedPages(review, drawn);
      for (const userId of await homeReadersAmong(db, review.reviewers)) await refreshHome(userId);
    },
    async 'access_review.remind'(item) {
      const review = await loadReview(item.payload.reviewId);
      if (review.status !== 'open') return;
      for (const m of await reviewMessages(db, review.id))
        await messenger.postReviewReminder(m, await reviewPage(db, review, m.reviewerId, m.page));
    },
    async 'access_review.finding'(item) {
      const { reviewId, userId, actorId } = item.payload;
      const review = await loadReview(reviewId);
      const person = await reviewItemOf(db, reviewId, userId);
      if (!person) return;
      const finding = {
        reviewId,
        flowName: review.flowName,
        userId,
        decidedBy: actorId,
        outcomes: person.outcomes,
        groups: person.groups,
      };
      for (const adminId of await adminIdsOf(directory, deps.admins))
        await messenger.postReviewFinding(adminId, finding);
    },
  };

  return { runOnce, handlers };
}

export type AccessReviewJobs = ReturnType<typeof createAccessReviewJobs>;
