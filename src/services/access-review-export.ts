import { allReviewItems, decisionEvents } from '../db/access-review-lists.js';
import { findReview } from '../db/access-review-queries.js';
import type { Executor } from '../db/client.js';
import { AppError } from '../domain/errors.js';

/** A review's result as an auditor takes it away: the review, then each person with evidence and decision. */
export interface ReviewExport {
  review: {
    id: string;
    flow: string;
    period: number;
    period_start: string;
    due_at: string;
    every_minutes: number;
    managed_by: string;
    reviewers: string[];
    status: 'open' | 'done';
    opened_at: string;
    closed_at: string | null;
    everyone_may_request: boolean;
    on_call_approvers: boolean;
    kept: number;
    removed: number;
    undecided: number;
  };
  people: {
    user: string;
    roles: string[];
    direct: boolean;
    groups: string[];
    requests: number;
    approvals_given: number;
    sessions: number;
    last_grant_at: string | null;
    decision: string | null;
    decided_by: string | null;
    decided_at: string | null;
    outcomes: string[];
    /** The decision's event in the audit hash chain (verify with `npm run audit -- verify`). */
    audit_event_id: number | null;
    audit_hash: string | null;
  }[];
}

export async function exportReview(db: Executor, reviewId: string): Promise<ReviewExport> {
  const review = await findReview(db, reviewId);
  if (!review) throw new AppError('not_found', `no access review ${reviewId}`);
  const [items, events] = await Promise.all([allReviewItems(db, reviewId), decisionEvents(db, reviewId)]);
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  const count = (d: string | null) => items.filter((i) => i.decision === d).length;
  return {
    review: {
      id: review.id,
      flow: review.flowName,
      period: review.period,
      period_start: review.periodStart.toISOString(),
      due_at: review.dueAt.toISOString(),
      every_minutes: review.rule.everyMinutes,
      managed_by: review.managedBy,
      reviewers: review.reviewers,
      status: review.status,
      opened_at: review.openedAt.toISOString(),
      closed_at: iso(review.closedAt),
      everyone_may_request: review.notes.everyone,
      on_call_approvers: review.notes.onCall,
      kept: count('keep'),
      removed: count('remove'),
      undecided: count(null),
    },
    people: items.map((i) => {
      const event = i.decision ? events.get(i.userId) : undefined;
      return {
        user: i.userId,
        roles: i.roles,
        direct: i.direct,
        groups: i.groups,
        requests: i.evidence.requests,
        approvals_given: i.evidence.approvalsGiven,
        sessions: i.evidence.sessions,
        last_grant_at: i.evidence.lastGrantAt,
        decision: i.decision,
        decided_by: i.decidedBy,
        decided_at: iso(i.decidedAt),
        outcomes: i.outcomes,
        audit_event_id: event?.id ?? null,
        audit_hash: event?.hash ?? null,
      };
    }),
  };
}

export const REVIEW_CSV_COLUMNS = [
  'review_id',
  'flow',
  'period_start',
  'due_at',
  'user',
  'roles',
  'direct',
  'groups',
  'requests',
  'approvals_given',
  'sessions',
  'last_grant_at',
  'decision',
  'decided_by',
  'decided_at',
  'outcomes',
  'audit_event_id',
  'audit_hash',
] as const;

// Quoted as RFC 4180 asks; a cell a spreadsheet would run as a formula (= + - @) gets a leading quote mark.
const csvCell = (v: string) => {
  const safe = /^[=+\-@]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/** One row per person, lists joined with spaces. */
export function reviewCsv(x: ReviewExport): string {
  const rows = x.people.map((p) =>
    [
      x.review.id,
      x.review.flow,
      x.review.period_start,
      x.review.due_at,
      p.user,
      p.roles.join(' '),
      String(p.direct),
      p.groups.join(' '),
      String(p.requests),
      String(p.approvals_given),
      String(p.sessions),
      p.last_grant_at ?? '',
      p.decision ?? '',
      p.decided_by ?? '',
      p.decided_at ?? '',
      p.outcomes.join(' '),
      p.audit_event_id === null ? '' : String(p.audit_event_id),
      p.audit_hash ?? '',
    ]
      .map(csvCell)
      .join(','),
  );
  return `${[REVIEW_CSV_COLUMNS.join(','), ...rows].join('\n')}\n`;
}
