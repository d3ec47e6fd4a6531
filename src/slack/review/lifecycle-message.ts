import type { KnownBlock } from '@slack/types';
import type { RequestDetails } from '../../domain/request.js';
import { formatDuration } from '../../domain/duration.js';
import { groupEndOf } from '../../domain/group-sync.js';
import { endedByDeactivation } from '../../domain/offboarding.js';
import { BreakGlassIds } from '../ids.js';
import { code, mention, quote, slackDate, userText } from '../mrkdwn.js';
import { context, plain, section } from '../views.js';
import { groupEndText } from './group-end-text.js';

/**
 * What auto-approved and break-glass requests add to the request messages. No human approved them,
 * so "Approved by @x" would be false; these lines say who (or which rule) granted the access instead.
 */

const ruleName = (r: RequestDetails) => `“${userText(r.autoApprovedBy ?? '', 64)}”`;

/** Null for requests a person approved: the usual status line applies. */
export function lifecycleStatusLine(r: RequestDetails): string | null {
  const auto = Boolean(r.autoApprovedBy);
  if (!auto && r.kind !== 'break_glass') return null;
  const onCall = r.autoApprovedOnCall ? ` (the requester is on call on ${userText(r.autoApprovedOnCall, 200)})` : '';
  const how = auto
    ? `Auto-approved by rule ${ruleName(r)}${onCall}`
    : `Break-glass access taken by ${mention(r.requesterId)}`;
  const review =
    r.kind !== 'break_glass'
      ? ''
      : r.reviewedBy
        ? ` Reviewed by ${mention(r.reviewedBy)} ${slackDate(r.reviewedAt ?? r.createdAt)}.`
        : ' *Not reviewed yet.*';
  switch (r.status) {
    case 'active':
      return `${auto ? ':robot_face:' : ':rotating_light:'} ${how} ${slackDate(r.decidedAt ?? r.createdAt)}. Access until ${slackDate(r.grant?.expiresAt ?? r.createdAt)}.${review}`;
    case 'expired':
      return `:checkered_flag: ${how}; the access expired ${slackDate(r.endedAt ?? r.createdAt)}.${review}`;
    case 'revoked': {
      const group = groupEndOf(r);
      const end = group
        ? `ended (${groupEndText(group)})`
        : endedByDeactivation(r)
          ? "ended (the requester's Slack account was deactivated)"
          : r.endedBy === r.requesterId
            ? 'released by the requester'
            : `revoked by ${r.endedBy ? mention(r.endedBy) : 'the bot'}`;
      return `:octagonal_sign: ${how}; ${end} ${slackDate(r.endedAt ?? r.createdAt)}.${review}`;
    }
    default:
      return null;
  }
}

/** Who granted it, for the requester's notice: the approver, or the rule. */
export const grantedByText = (r: RequestDetails) =>
  r.autoApprovedBy ? `Auto-approval rule ${ruleName(r)}` : mention(r.decidedBy ?? r.requesterId);

/** The alert approvers get when someone breaks the glass. */
export const breakGlassTitle = (r: RequestDetails) =>
  `:rotating_light: *Break-glass:* ${mention(r.requesterId)} took ${formatDuration(r.durationMinutes)} of access to ${r.resources.map((x) => code(x.name)).join(', ')} without approval. Review what was done and acknowledge it below.`;

/** Under a break-glass message: the review button until someone reviewed it, then who did. */
export function breakGlassReviewBlocks(r: RequestDetails): KnownBlock[] {
  if (r.kind !== 'break_glass') return [];
  if (r.reviewedBy)
    return [
      context(`:white_check_mark: Reviewed by ${mention(r.reviewedBy)} ${slackDate(r.reviewedAt ?? r.createdAt)}`),
    ];
  return [
    {
      type: 'actions',
      block_id: `breakglass.review.${r.id}`,
      elements: [
        {
          type: 'button',
          action_id: BreakGlassIds.acknowledgeButton,
          text: plain('Acknowledge review', 75),
          style: 'primary',
          value: r.id,
        },
      ],
    },
  ];
}

/** App Home, for approvers and admins: break-glass grants that still need a review (2 blocks each). */
export function unreviewedBlocks(requests: readonly RequestDetails[]): KnownBlock[] {
  return requests.flatMap((r) => [
    section(
      `:rotating_light: ${mention(r.requesterId)} · ${r.resources.map((x) => code(x.name)).join(', ')} · ${formatDuration(r.durationMinutes)} · ${r.status} · ${code(r.id)} · ${slackDate(r.createdAt)}\n${quote(userText(r.justification.split('\n')[0] ?? '', 300))}`,
    ),
    ...breakGlassReviewBlocks(r),
  ]);
}
