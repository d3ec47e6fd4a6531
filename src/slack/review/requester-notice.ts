import type { KnownBlock } from '@slack/types';
import { formatDuration } from '../../domain/duration.js';
import { groupEndOf } from '../../domain/group-sync.js';
import { setupProgress, type RequestDetails } from '../../domain/request.js';
import { code, fallbackText, mention, slackDate, userText } from '../mrkdwn.js';
import { section } from '../views.js';
import { groupEndText } from './group-end-text.js';
import { grantedByText } from './lifecycle-message.js';
import type { SlackMessage } from './request-message.js';
import { codeList, grantedBlock, isScheduled } from './request-status.js';

/** The requester's notices (fresh DMs, so Slack notifies) and the thread replies under approver messages. */

/** A new DM telling the requester what just happened (a fresh message, so Slack notifies them). */
export function renderRequesterNotice(r: RequestDetails, event: string): SlackMessage {
  const names = r.resources.map((x) => code(x.name)).join(', ');
  let text: string;
  switch (event) {
    case 'approved':
      text = approvedNotice(r);
      break;
    case 'timed_out':
      text = `:hourglass: Your request ${code(r.id)} for ${names} expired without a decision. Ask again with \`/access request\` if you still need it.`;
      break;
    case 'denied':
      text = `:no_entry: ${mention(r.decidedBy!)} denied your request ${code(r.id)} for ${names}${r.denyReason ? `: ${userText(r.denyReason, 500)}` : '.'}`;
      break;
    case 'expired':
      text = `:checkered_flag: Your access from ${code(r.id)} to ${names} has expired.`;
      break;
    case 'no_approver':
      text = `:warning: Nobody can approve your request ${code(r.id)} for ${names} now: the only approver of flow ${userText(r.flowName, 200)} left Slack (their account was deactivated). Ask an admin to add approvers to the flow, or cancel the request and ask again later.`;
      break;
    case 'group_left': {
      const group = groupEndOf(r);
      const why = group ? groupEndText(group) : 'a group it names left its group source';
      text =
        r.status === 'cancelled'
          ? `:leftwards_arrow_with_hook: Your request ${code(r.id)} for ${names} was cancelled: ${why}. Nothing was granted.`
          : `:octagonal_sign: Your access from ${code(r.id)} to ${names} has ended: ${why}. The bot removed what it had granted.`;
      break;
    }
    case 'extended':
      text = `:white_check_mark: ${mention(r.decidedBy!)} approved your extension ${code(r.id)}: your access to ${names} now lasts ${formatDuration(r.durationMinutes)} longer.`;
      break;
    default:
      text =
        r.endedBy === r.requesterId
          ? `:octagonal_sign: You released your access from ${code(r.id)} to ${names}.`
          : `:octagonal_sign: Your access from ${code(r.id)} to ${names} was revoked by ${mention(r.endedBy!)}.`;
  }
  const blocks: KnownBlock[] = [section(text)];
  if (event === 'approved') blocks.push(...grantedBlock(r));
  return { text: fallbackText(text), blocks };
}

/** What an approval gives the requester now: access, or access being set up (the ready DM follows). */
function approvedNotice(r: RequestDetails): string {
  const by = `:white_check_mark: ${grantedByText(r)} approved your request ${code(r.id)}.`;
  const { pending, failed } = setupProgress(r);
  const until = slackDate(r.grant!.expiresAt);
  if (isScheduled(r))
    return `${by} Your access starts ${slackDate(r.grant!.startsAt)} and lasts until ${until}.${pending.length > 0 ? ' I will DM you when you can use it.' : ''}`;
  if (pending.length > 0)
    return `${by} Your access to ${codeList(pending)} is being set up: I will DM you when you can use it. It lasts until ${until}.`;
  if (failed.length > 0)
    return `${by} Access to ${codeList(failed)} could not be set up: an admin needs to fix the resource. The grant lasts until ${until}.`;
  return `${by} You have access until ${until}.`;
}

/** Under an approver message: the requester's nudge, or the flow's reminder. */
export function renderThreadReply(r: RequestDetails, kind: 'nudge' | 'reminder'): SlackMessage {
  const text =
    kind === 'nudge'
      ? `:wave: ${mention(r.requesterId)} is still waiting for a decision on ${code(r.id)} (asked ${slackDate(r.createdAt)}).`
      : `:alarm_clock: Reminder: ${code(r.id)} from ${mention(r.requesterId)} is still waiting for a decision (asked ${slackDate(r.createdAt)}).`;
  return { text: fallbackText(text), blocks: [section(text)] };
}
