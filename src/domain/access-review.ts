import { z } from 'zod';
import { DurationText, minutesText, People } from './file-fields.js';

/**
 * Access reviews (docs/access-reviews.md): every `everyMinutes` the reviewers of a flow say, person by
 * person, whether those eligible through it (its requesters and approvers, group members resolved) keep
 * that eligibility. Pure: the rule, the schedule, who is eligible and what a removal changes.
 */
export interface ReviewRule {
  everyMinutes: number;
  reviewerUsers: string[];
  reviewerGroups: string[];
}

/** The shortest and longest period a review may have: a day (a test or a drill) to two years. */
export const MIN_REVIEW_MINUTES = 1440;
export const MAX_REVIEW_MINUTES = 730 * 1440;
/** Reviewers are reminded every day while people are left undecided (the reminders' style: a thread reply). */
export const REVIEW_REMINDER_MINUTES = 1440;
/** People per page of a reviewer's DM: 2 blocks each, well inside a message's 50 blocks with the header and pager. */
export const REVIEW_PAGE_SIZE = 10;

/** `review: { every: 90d, reviewers: { users: [...], groups: [...] } }` in a flow of ACCESS_CONFIG. */
export const ReviewFileSchema = z
  .strictObject({
    every: DurationText.refine((m) => m >= MIN_REVIEW_MINUTES && m <= MAX_REVIEW_MINUTES, {
      message: 'must be between 1d and 730d',
    }),
    reviewers: People,
  })
  .refine((r) => r.reviewers.users.length + r.reviewers.groups.length > 0, {
    message: 'must name at least one reviewer user or group',
    path: ['reviewers'],
  });
export type ReviewFile = z.infer<typeof ReviewFileSchema>;

export const reviewFromFile = (r: ReviewFile | undefined): ReviewRule | null =>
  r ? { everyMinutes: r.every, reviewerUsers: r.reviewers.users, reviewerGroups: r.reviewers.groups } : null;

export const reviewToFile = (r: ReviewRule | null | undefined) =>
  r
    ? {
        review: {
          every: minutesText(r.everyMinutes),
          reviewers: {
            ...(r.reviewerUsers.length ? { users: r.reviewerUsers } : {}),
            ...(r.reviewerGroups.length ? { groups: r.reviewerGroups } : {}),
          },
        },
      }
    : {};

/** App Home's check of the same rule: the sentence to show under the field, or null. */
export function reviewProblem(r: ReviewRule | null | undefined): string | null {
  if (!r) return null;
  if (!Number.isInteger(r.everyMinutes) || r.everyMinutes < MIN_REVIEW_MINUTES || r.everyMinutes > MAX_REVIEW_MINUTES)
    return 'Review every 1 to 730 days.';
  if (r.reviewerUsers.length + r.reviewerGroups.length === 0) return 'Pick at least one reviewer or reviewer group.';
  return null;
}

/**
 * When the next review of a flow is due. The first is due at once (an auditor's baseline); each next one
 * `every` after the previous one's due time, not its opening, so the schedule does not drift. A bot that
 * was down for several periods opens one review, for the latest period that has begun, not a backlog.
 */
export function nextReviewDue(lastDueAt: Date | null, everyMinutes: number, now: Date): Date {
  if (!lastDueAt) return now;
  const every = everyMinutes * 60_000;
  let due = lastDueAt.getTime() + every;
  if (due <= now.getTime()) due += Math.floor((now.getTime() - due) / every) * every;
  return new Date(due);
}

export type ReviewRole = 'requester' | 'approver';

/** One person eligible through a flow, and how: named in the flow (direct) and/or through its user groups. */
export interface EligiblePerson {
  userId: string;
  roles: ReviewRole[];
  /** Named in the flow's requester or approver users: a Remove can take them out. */
  direct: boolean;
  /** The flow's user groups that hold them (requester or approver groups). */
  groups: string[];
}

export interface EligibleFlow {
  requesterUsers: readonly string[];
  requesterGroups: readonly string[];
  approverUsers: readonly string[];
  approverGroups: readonly string[];
}

/** Everyone eligible through a flow, sorted by user id, from the flow and its groups' members. */
export function eligiblePeople(flow: EligibleFlow, members: ReadonlyMap<string, readonly string[]>): EligiblePerson[] {
  const people = new Map<string, EligiblePerson>();
  const add = (userId: string, role: ReviewRole, group: string | null) => {
    const p = people.get(userId) ?? { userId, roles: [], direct: false, groups: [] };
    if (!p.roles.includes(role)) p.roles.push(role);
    if (group === null) p.direct = true;
    else if (!p.groups.includes(group)) p.groups.push(group);
    people.set(userId, p);
  };
  for (const u of flow.requesterUsers) add(u, 'requester', null);
  for (const u of flow.approverUsers) add(u, 'approver', null);
  for (const g of flow.requesterGroups) for (const u of members.get(g) ?? []) add(u, 'requester', g);
  for (const g of flow.approverGroups) for (const u of members.get(g) ?? []) add(u, 'approver', g);
  return [...people.values()]
    .map((p) => ({ ...p, roles: p.roles.sort(), groups: p.groups.sort() }))
    .sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
}

/** What the audit trail says about one person in the review's period (and their last grant ever through the flow). */
export type ReviewEvidence = {
  requests: number;
  approvalsGiven: number;
  lastGrantAt: string | null;
  sessions: number;
};

export type ReviewDecision = 'keep' | 'remove';

/**
 * What a Remove does. A person named in an App Home flow leaves its lists (`removed_from_flow`); one named
 * in a file-managed flow stays until the file changes (`file_change_needed`: the file is the source of
 * truth, a change here would be undone at the next start). Group membership is Slack's: the admins are
 * told which groups hold the person (`group_finding`), whether or not a direct entry was also removed.
 */
export type RemovalOutcome = 'removed_from_flow' | 'file_change_needed' | 'group_finding';

export function removalOutcomes(
  person: Pick<EligiblePerson, 'direct' | 'groups'>,
  managedBy: 'file' | 'app' | 'sync',
  flowExists: boolean,
): RemovalOutcome[] {
  const out: RemovalOutcome[] = [];
  if (person.direct) out.push(managedBy === 'app' && flowExists ? 'removed_from_flow' : 'file_change_needed');
  if (person.groups.length > 0) out.push('group_finding');
  return out;
}

/** The flow's lists without this person (Remove of a direct user). */
export function withoutPerson<F extends EligibleFlow>(flow: F, userId: string): F {
  return {
    ...flow,
    requesterUsers: flow.requesterUsers.filter((u) => u !== userId),
    approverUsers: flow.approverUsers.filter((u) => u !== userId),
  };
}

/**
 * A reviewer may not decide about their own eligibility while another reviewer can: the point of a review
 * is a second pair of eyes. A flow with a single reviewer has no one else, so that reviewer may (the
 * decision records it as a self-review).
 */
export const selfReviewRefused = (clicker: string, subject: string, reviewers: readonly string[]) =>
  clicker === subject && reviewers.some((r) => r !== clicker);

export const pageCount = (items: number) => Math.max(1, Math.ceil(items / REVIEW_PAGE_SIZE));
export const clampPage = (page: number, items: number) =>
  Math.min(Math.max(0, Math.trunc(page) || 0), pageCount(items) - 1);

/** What a reviewer's DM shows: one page of people, with what was decided and by whom. */
export interface ReviewPageModel {
  reviewId: string;
  flowName: string;
  periodStart: Date;
  dueAt: Date;
  status: 'open' | 'done';
  closedAt: Date | null;
  /** The person whose DM this is (a self-review shows no buttons on their own row while another reviewer can decide). */
  reviewerId: string;
  reviewers: string[];
  /** Everyone-may-request flows cannot be listed person by person: the review says so. */
  everyone: boolean;
  onCall: boolean;
  total: number;
  decided: number;
  removed: number;
  page: number;
  pages: number;
  people: ReviewPersonModel[];
}

export interface ReviewPersonModel {
  userId: string;
  roles: ReviewRole[];
  direct: boolean;
  groups: string[];
  evidence: ReviewEvidence;
  decision: ReviewDecision | null;
  decidedBy: string | null;
  outcomes: RemovalOutcome[];
}
