import type { KnownBlock } from '@slack/types';
import type { RequestDetails } from '../../domain/request.js';
import { formatDuration } from '../../domain/duration.js';
import { ReviewIds } from '../ids.js';
import { code, mention, mentionList, slackDate, userText } from '../mrkdwn.js';
import { context, plain, section } from '../views.js';
import { statusLine } from '../review/request-status.js';
import { managerLine } from '../review/manager-line.js';
import { stageLine } from '../review/stage-text.js';
import { fieldLines } from '../review/field-lines.js';

const STATUS_EMOJI: Record<string, string> = {
  pending: ':hourglass_flowing_sand:',
  active: ':large_green_circle:',
  denied: ':no_entry:',
  expired: ':checkered_flag:',
  revoked: ':octagonal_sign:',
  cancelled: ':leftwards_arrow_with_hook:',
  approved: ':white_check_mark:',
  timed_out: ':hourglass:',
};

/** One line block per request, as the requester sees it in `/access list` and App Home. */

/** "Manager: @dana (from Okta)" on its own line, or nothing when the flow does not ask the manager. */
const managerText = (r: RequestDetails) => {
  const line = managerLine(r.manager, r.requesterId);
  return line ? `\n${line}` : '';
};

/** The request's custom fields on one line ("*Severity:* sev1 · *Incident:* INC-42"), or nothing. */
const fieldsText = (r: RequestDetails) => (r.fields?.length ? `\n${fieldLines(r.fields, ' · ')}` : '');

export function myRequestBlock(r: RequestDetails): KnownBlock {
  // Once granted, the time that counts is the approved one (an approver may have shortened it).
  const granted = r.grant?.policy.durationMinutes;
  const duration =
    granted !== undefined && granted !== r.durationMinutes
      ? `${formatDuration(granted)} (asked ${formatDuration(r.durationMinutes)})`
      : formatDuration(r.durationMinutes);
  // Asked on someone's behalf (domain/on-behalf.ts): both people see who gets it and who asked.
  const behalf = r.requestedBy ? ` · for ${mention(r.requesterId)} · asked by ${mention(r.requestedBy)}` : '';
  // A part of a bundle pick says which (its other parts are listed beside it; the bundle DM shows them together).
  const bundle = r.bundle ? ` · :package: bundle *${userText(r.bundle.name, 64)}*` : '';
  const what = `${STATUS_EMOJI[r.status]} ${code(r.id)} ${r.resources.map((x) => code(x.name)).join(', ')} · ${duration} · *${r.status}*${behalf}${bundle}`;
  const detail =
    r.status === 'pending'
      ? `${stageLine(r) ? `${stageLine(r)}\n` : ''}Approvers: ${mentionList(r.notifiedApprovers)} · asked ${slackDate(r.createdAt)}${managerText(r)}`
      : statusLine(r).replace(/^:[a-z_]+: /, '');
  return section(`${what}\n${detail}${fieldsText(r)}`);
}

/** A pending request as an approver sees it, with the same buttons as the DM. */
export function pendingReviewBlocks(r: RequestDetails): KnownBlock[] {
  return [
    section(
      `${mention(r.requesterId)} · ${r.resources.map((x) => code(x.name)).join(', ')} · ${formatDuration(r.durationMinutes)} · ${code(r.id)}${stageLine(r) ? `\n${stageLine(r)}` : ''}${managerText(r)}${fieldsText(r)}\n>${userText(r.justification.split('\n')[0] ?? '', 300)}`,
    ),
    {
      type: 'actions',
      block_id: `${ReviewIds.actionsBlock}.${r.id}`,
      elements: [
        {
          type: 'button',
          action_id: ReviewIds.approveButton,
          text: plain('Approve…', 75),
          style: 'primary',
          value: r.id,
        },
        { type: 'button', action_id: ReviewIds.denyButton, text: plain('Deny…', 75), style: 'danger', value: r.id },
      ],
    },
  ];
}

/** `/access list`: the person's recent requests. Stays well inside a message's 50 blocks. */
export function renderMyRequests(requests: RequestDetails[]): { text: string; blocks: KnownBlock[] } {
  if (requests.length === 0) {
    return {
      text: 'You have no access requests yet.',
      blocks: [section('You have no access requests yet. Start one with `/access request`.')],
    };
  }
  const shown = requests.slice(0, 40);
  const blocks: KnownBlock[] = [
    section(`*Your access requests* (latest ${shown.length})`),
    ...shown.map(myRequestBlock),
  ];
  return { text: `You have ${requests.length} access requests.`, blocks };
}

/** `/access pending`: what waits for this approver; 20 requests = 41 blocks < 50. */
export function renderPending(requests: RequestDetails[]): { text: string; blocks: KnownBlock[] } {
  if (requests.length === 0)
    return {
      text: 'Nothing is waiting for your review.',
      blocks: [section(':sparkles: Nothing is waiting for your review.')],
    };
  const shown = requests.slice(0, 20);
  const blocks: KnownBlock[] = [
    section(`*Waiting for your review* (${requests.length})`),
    ...shown.flatMap(pendingReviewBlocks),
  ];
  if (requests.length > shown.length)
    blocks.push(context(`…and ${requests.length - shown.length} more, oldest first.`));
  return { text: `${requests.length} requests wait for your review.`, blocks };
}

export const HELP_TEXT = [
  '*Access requests* give you just-in-time access: ask, get approved, and the access ends on its own.',
  '• `/access request` — ask for access (or `/access request prod-db` to pick a resource)',
  '• `/access list` — your requests, their status, approvers and expiry',
  '• `/access pending` — requests waiting for your approval',
  '• `/access revoke req_…` — end an active access early (approvers and admins)',
  '• `/access link` — link your Slack user to your company identity (sign in once); admins: `/access link @person <subject>`, `/access unlink @person`',
  '• `/access ssh-key <public key>` — the key your SSH certificates are signed for',
  '• `/access token create [name] [--expires 7d]`, `/access token list`, `/access token revoke pat_…` — personal tokens for the request API, the CLI and MCP (shown once; 30 days unless you say, 90 at most)',
  '• `/access audit req_…` — the whole story of a request (admins and its approvers)',
  '• `/access whocan <resource>` and `/access explain @person <resource>` — who may request it and who approves, or whether that person may and why (admins and its approvers)',
  '• `/access break-glass <resource> <duration> <reason…>` — emergency access at once, for people a flow designates (approvers are alerted and review it)',
  '• `/access help` — this help',
  '',
  '*The buttons*',
  '• On a request sent to you for review: *Approve…* opens a form to shorten or narrow it before approving; *Deny…* asks for a reason the requester will read. Once granted, *Revoke now* ends it.',
  '• On your own request (its DM and App Home): *Nudge approvers* reminds them; *Cancel request* withdraws it while it waits. Once granted, *Extend…* asks for more time and *Release access* ends it early.',
].join('\n');

/** An unknown sub-command: say so first, then the help, so a typo is not mistaken for a broken bot. */
export function unknownCommandText(sub: string): string {
  return `${code(`/access ${userText(sub, 60)}`)} is not a command I know.\n\n${HELP_TEXT}`;
}
