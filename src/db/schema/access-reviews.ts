import { bigserial, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type {
  RemovalOutcome,
  ReviewDecision,
  ReviewEvidence,
  ReviewRole,
  ReviewRule,
} from '../../domain/access-review.js';
import type { ManagedBy } from '../../domain/catalog.js';

/**
 * One access review of one flow for one period (domain/access-review.ts). `(flow_id, period)` is unique:
 * replicas that find the same review due race on the insert and one of them wins, so a period has one
 * review. The flow as it was (rule, lists, owner) is kept: the review stands even if the flow changes.
 */
export const accessReviews = pgTable(
  'access_reviews',
  {
    id: text('id').primaryKey(),
    flowId: text('flow_id').notNull(),
    flowName: text('flow_name').notNull(),
    /** 1 for a flow's first review, then one more each period. */
    period: integer('period').notNull(),
    periodStart: timestamp('period_start', { withTimezone: true }).notNull(),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    rule: jsonb('rule').$type<ReviewRule>().notNull(),
    /** Who may decide, resolved when it opened (users and the members of the reviewer groups). */
    reviewers: jsonb('reviewers').$type<string[]>().notNull(),
    managedBy: text('managed_by').$type<ManagedBy>().notNull(),
    /** The flow lets everyone request, or asks whoever is on call: neither is listed person by person. */
    notes: jsonb('notes').$type<{ everyone: boolean; onCall: boolean }>().notNull(),
    status: text('status').$type<'open' | 'done'>().notNull().default('open'),
    openedAt: timestamp('opened_at', { withTimezone: true }).notNull(),
    remindedAt: timestamp('reminded_at', { withTimezone: true }),
    closedAt: timestamp('closed_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('access_reviews_flow_period_uq').on(t.flowId, t.period),
    index('access_reviews_status_idx').on(t.status, t.openedAt),
  ],
);

/** One person under review, with the evidence shown to the reviewers and the decision once made. */
export const accessReviewItems = pgTable(
  'access_review_items',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    reviewId: text('review_id')
      .notNull()
      .references(() => accessReviews.id, { onDelete: 'cascade' }),
    /** Order on the pages (by user id). */
    position: integer('position').notNull(),
    userId: text('user_id').notNull(),
    roles: jsonb('roles').$type<ReviewRole[]>().notNull(),
    direct: boolean('direct').notNull().default(false),
    groups: jsonb('groups').$type<string[]>().notNull().default([]),
    evidence: jsonb('evidence').$type<ReviewEvidence>().notNull(),
    decision: text('decision').$type<ReviewDecision>(),
    decidedBy: text('decided_by'),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    outcomes: jsonb('outcomes').$type<RemovalOutcome[]>().notNull().default([]),
  },
  (t) => [
    uniqueIndex('access_review_items_person_uq').on(t.reviewId, t.userId),
    index('access_review_items_page_idx').on(t.reviewId, t.position),
  ],
);

/** Each reviewer's DM about a review and the page it shows, so every decision re-renders all of them. */
export const accessReviewMessages = pgTable(
  'access_review_messages',
  {
    reviewId: text('review_id')
      .notNull()
      .references(() => accessReviews.id, { onDelete: 'cascade' }),
    reviewerId: text('reviewer_id').notNull(),
    channel: text('channel').notNull(),
    ts: text('ts').notNull(),
    page: integer('page').notNull().default(0),
  },
  (t) => [uniqueIndex('access_review_messages_uq').on(t.reviewId, t.reviewerId)],
);
