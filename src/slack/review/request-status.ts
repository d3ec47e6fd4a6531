/**
 * Where a request stands, as its messages say it: the status line (the only part that changes over a
 * request's life), the access window and what was granted, and the set-up progress the requester sees.
 * Kept apart from the message assembly in request-message.ts because other messages (asker, notices,
 * the request list) reuse these lines on their own.
 */
import type { KnownBlock } from '@slack/types';
import { setupProgress, type RequestDetails } from '../../domain/request.js';
import { formatDuration } from '../../domain/duration.js';
import { groupEndOf } from '../../domain/group-sync.js';
import { endedByDeactivation } from '../../domain/offboarding.js';
import { describeGrant } from '../../domain/policy.js';
import { code, mention, mentionList, slackDate, userText } from '../mrkdwn.js';
import { section } from '../views.js';
import { groupEndText } from './group-end-text.js';
import { lifecycleStatusLine } from './lifecycle-message.js';
import { stageLine } from './stage-text.js';

/** Why a request ended without anyone deciding it: Slack said its requester is gone. */
export const DEACTIVATED_TEXT = "the requester's Slack account was deactivated";

/** Who approved: every approver of an N-of-M request, else the one who decided. */
const approvers = (r: RequestDetails) =>
  r.approvals.length > 0 ? r.approvals.map((a) => mention(a.approverId)).join(', ') : mention(r.decidedBy!);

/** The status line every resolved message gains (and the only thing that changes over a request's life). */
export function statusLine(r: RequestDetails): string {
  const granted = lifecycleStatusLine(r);
  if (granted) return granted;
  switch (r.status) {
    case 'pending': {
      // With stages, the current stage's approvals count (and the line says which stage it is).
      const stage = stageLine(r);
      const prefix = stage ? `${stage}\n` : '';
      const current = r.approvals.filter((a) => (a.stageIndex ?? 0) === r.stageIndex);
      if (r.approvalsRequired > 1 || current.length > 0) {
        const done = current.map((a) => mention(a.approverId)).join(', ');
        return `:hourglass_flowing_sand: ${prefix}${current.length} of ${r.approvalsRequired} approvals${done ? ` (${done})` : ''}. Waiting for approval from ${mentionList(r.notifiedApprovers.filter((id) => !current.some((a) => a.approverId === id)))}`;
      }
      return `:hourglass_flowing_sand: ${prefix}Waiting for approval from ${mentionList(r.notifiedApprovers)}`;
    }
    case 'active':
      return `:white_check_mark: Approved by ${approvers(r)} ${slackDate(r.decidedAt!)}. ${accessWindow(r)}.`;
    case 'denied':
      return `:no_entry: Denied by ${mention(r.decidedBy!)} ${slackDate(r.decidedAt!)}${r.denyReason ? `: ${userText(r.denyReason, 500)}` : '.'}`;
    case 'expired':
      return `:checkered_flag: Approved by ${mention(r.decidedBy!)}; the access expired ${slackDate(r.endedAt!)}.`;
    case 'timed_out':
      return `:hourglass: Expired without a decision ${slackDate(r.endedAt ?? r.createdAt)}.`;
    case 'cancelled': {
      const group = groupEndOf(r);
      if (group)
        return `:leftwards_arrow_with_hook: Cancelled ${slackDate(r.endedAt ?? r.createdAt)}: ${groupEndText(group)}.`;
      if (endedByDeactivation(r))
        return `:leftwards_arrow_with_hook: Cancelled ${slackDate(r.endedAt ?? r.createdAt)}: ${DEACTIVATED_TEXT}.`;
      return `:leftwards_arrow_with_hook: Cancelled by the requester ${slackDate(r.endedAt ?? r.decidedAt ?? r.createdAt)}.`;
    }
    case 'approved':
      return `:white_check_mark: Approved by ${approvers(r)} ${slackDate(r.decidedAt!)}: the access was extended.`;
    case 'revoked': {
      const group = groupEndOf(r);
      if (group)
        return `:octagonal_sign: Approved by ${mention(r.decidedBy!)}; ended ${slackDate(r.endedAt!)}: ${groupEndText(group)}.`;
      if (endedByDeactivation(r))
        return `:octagonal_sign: Approved by ${mention(r.decidedBy!)}; ended ${slackDate(r.endedAt!)}: ${DEACTIVATED_TEXT}.`;
      return r.endedBy === r.requesterId
        ? `:octagonal_sign: Approved by ${mention(r.decidedBy!)}; released by the requester ${slackDate(r.endedAt!)}.`
        : `:octagonal_sign: Approved by ${mention(r.decidedBy!)}; revoked by ${mention(r.endedBy!)} ${slackDate(r.endedAt!)}.`;
    }
    default:
      return `Status: ${r.status}`;
  }
}

/** A grant approved ahead of its scheduled start: it starts later than the decision. */
export const isScheduled = (r: RequestDetails) =>
  Boolean(r.grant && r.grant.startsAt.getTime() > (r.decidedAt ?? r.grant.startsAt).getTime());

/** "Access until <end>", or for a scheduled grant "Access starts <start> and ends <end>". */
export function accessWindow(r: RequestDetails): string {
  if (!r.grant) return '';
  return isScheduled(r)
    ? `Access starts ${slackDate(r.grant.startsAt)} and ends ${slackDate(r.grant.expiresAt)}`
    : `Access until ${slackDate(r.grant.expiresAt)}`;
}

/** How long the grant runs now: what was approved, plus what extensions added since. */
function grantedFor(r: RequestDetails): string {
  const grant = r.grant!;
  const approved = grant.policy.durationMinutes;
  const now = Math.round((grant.expiresAt.getTime() - grant.startsAt.getTime()) / 60_000);
  return now > approved
    ? `${formatDuration(now)}* (${formatDuration(approved)}, extended by ${formatDuration(now - approved)})`
    : `${formatDuration(approved)}*`;
}

export function grantedBlock(r: RequestDetails): KnownBlock[] {
  if (!r.grant) return [];
  const lines = r.grant.policy.resources.map((g) => `• ${userText(describeGrant(g), 300)}`);
  return [section(`*Granted for ${grantedFor(r)}\n${lines.join('\n')}`)];
}

export const codeList = (names: readonly string[]) => names.map(code).join(', ');

/**
 * The requester's view of the targets while the grant is active: an approval is not yet access, so the
 * resources still being set up (or that could not be) are named until the provisioners are done.
 */
export function setupBlocks(r: RequestDetails): KnownBlock[] {
  if (r.status !== 'active') return [];
  const { pending, failed } = setupProgress(r);
  const lines = [
    ...(pending.length === 0
      ? []
      : isScheduled(r)
        ? [`:calendar: Set up when the access starts: ${codeList(pending)}. I will DM you when you can use it.`]
        : [`:hourglass_flowing_sand: Being set up: ${codeList(pending)}. I will DM you when you can use it.`]),
    ...(failed.length > 0 ? [`:x: Could not be set up: ${codeList(failed)}. An admin needs to fix the resource.`] : []),
  ];
  return lines.length > 0 ? [section(lines.join('\n'))] : [];
}
