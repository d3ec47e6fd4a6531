import type { KnownBlock, PlainTextOption } from '@slack/types';
import type { ReviewRule } from '../../domain/access-review.js';
import { formatDuration } from '../../domain/duration.js';
import type { UserGroup } from '../../services/ports.js';
import { AdminIds, FIELD, FlowForm } from '../ids.js';
import { selectedValue, selectedValues, type StateValues } from '../state.js';
import { header, option } from '../views.js';
import { inputBlock } from './flow-inputs.js';

/**
 * The access-review part of the App Home flow editor (docs/access-reviews.md): how often, and who reviews.
 * "Never" with no reviewers is no review; a period without reviewers (or reviewers without a period) is
 * read as given, and the admin service says what is missing under the field.
 */
const NEVER = 'never';
const DAY = 1440;
const EVERY_CHOICES = [7, 30, 90, 180, 365].map((d) => d * DAY);
const everyOpt = (m: number) => option(`Every ${formatDuration(m)}`, String(m));
const neverOpt = option('Never', NEVER);

const input = (block: string, label: string, element: Record<string, unknown>, hint?: string) =>
  inputBlock(block, label, element, { optional: true, hint });

export function reviewBlocks(
  review: ReviewRule | null | undefined,
  groupOption: (g: UserGroup) => PlainTextOption,
  label: (id: string) => UserGroup,
): KnownBlock[] {
  const every = review?.everyMinutes ?? null;
  const options = [
    neverOpt,
    ...[...new Set([...EVERY_CHOICES, ...(every ? [every] : [])])].sort((a, b) => a - b).map(everyOpt),
  ];
  const groups = review?.reviewerGroups ?? [];
  return [
    header('Access reviews'),
    input(
      FlowForm.reviewEvery,
      'Review who is eligible',
      { type: 'static_select', options, initial_option: every ? everyOpt(every) : neverOpt },
      'The reviewers get a DM listing every requester and approver (group members too) to keep or remove.',
    ),
    input(FlowForm.reviewerUsers, 'Reviewers', {
      type: 'multi_users_select',
      ...(review?.reviewerUsers.length ? { initial_users: review.reviewerUsers } : {}),
    }),
    input(FlowForm.reviewerGroups, 'Reviewer groups', {
      type: 'multi_external_select',
      action_id: AdminIds.pickGroups,
      min_query_length: 0,
      ...(groups.length ? { initial_options: groups.map((g) => groupOption(label(g))) } : {}),
    }),
  ];
}

/** The review inputs as a rule (null: no review); the admin service checks it. */
export function readReviewForm(v: StateValues): ReviewRule | null {
  const every = selectedValue(v, FlowForm.reviewEvery, FIELD);
  const raw = (v?.[FlowForm.reviewerUsers]?.[FIELD] as { selected_users?: unknown } | undefined)?.selected_users;
  const reviewerUsers = Array.isArray(raw) ? raw.filter((u): u is string => typeof u === 'string').slice(0, 100) : [];
  const reviewerGroups = selectedValues(v, FlowForm.reviewerGroups, AdminIds.pickGroups);
  const minutes = every && every !== NEVER && /^\d{1,7}$/.test(every) ? Number(every) : null;
  if (minutes === null && reviewerUsers.length + reviewerGroups.length === 0) return null;
  return { everyMinutes: minutes ?? NaN, reviewerUsers, reviewerGroups };
}
