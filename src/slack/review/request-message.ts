import { bundleLines } from './bundle-line.js';
import { managerLine, onCallOnly } from './manager-line.js';
import type { KnownBlock } from '@slack/types';
import type { RequestDetails } from '../../domain/request.js';
import { formatDuration } from '../../domain/duration.js';
import { originPhrase } from '../../domain/request-origin.js';
import { RequestIds, ReviewIds } from '../ids.js';
import { fieldLines } from './field-lines.js';
import { code, mention, mentionList, quote, slackDate, userText } from '../mrkdwn.js';
import { context, md, plain, section } from '../views.js';
import { ticketBlocks } from './ticket-block.js';
import { breakGlassReviewBlocks, breakGlassTitle } from './lifecycle-message.js';
import { grantedBlock, setupBlocks, statusLine } from './request-status.js';
import { earlierStageLine } from './stage-text.js';

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

const resourceList = (r: RequestDetails) => r.resources.map((x) => `${code(x.name)} _(${x.type})_`).join(', ');

export function summaryBlocks(r: RequestDetails, title: string): KnownBlock[] {
  return [
    section(title),
    {
      type: 'section',
      fields: [
        md(`*Resources*\n${resourceList(r)}`, 2000),
        md(`*Duration*\n${formatDuration(r.durationMinutes)}`),
        md(`*Flow*\n${userText(r.flowName, 200)}`),
        md(`*Request*\n${code(r.id)}`),
        ...(r.startsAt ? [md(`*Starts*\n${slackDate(r.startsAt)}`)] : []),
      ],
    },
    section(`*Justification*\n${quote(userText(r.justification, 2800))}`),
    // The flow's custom request fields as the requester filled them in (domain/request-fields.ts).
    ...(r.fields?.length ? [section(fieldLines(r.fields))] : []),
    ...ticketBlocks(r.ticket),
    ...identityBlocks(r),
  ];
}

/** Whether the requester linked a company identity (OpenID Connect): shown when they did. */
function identityBlocks(r: RequestDetails): KnownBlock[] {
  const link = r.requesterIdentity;
  if (!link) return [];
  const host = (() => {
    try {
      return new URL(link.issuer).host;
    } catch {
      return link.issuer;
    }
  })();
  const who = link.email
    ? `${userText(link.email, 200)}${link.emailVerified ? '' : ' (e-mail not verified)'}`
    : 'an identity without e-mail';
  return [
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `:identification_card: Requester linked as ${who} (${userText(host, 100)})` }],
    },
  ];
}

/**
 * Where the request came from when not from Slack, so approvers know who (or what) typed it:
 * " from the CLI", " · :robot_face: by agent Claude Code through MCP on behalf of @rita".
 */
export function originNote(r: Pick<RequestDetails, 'channel' | 'agent' | 'requesterId'>): string {
  const phrase = originPhrase(r, (name) => `*${userText(name, 64)}*`);
  if (!phrase) return '';
  return r.agent ? ` · :robot_face: ${phrase} on behalf of ${mention(r.requesterId)}` : ` ${phrase}`;
}

/**
 * The message an approver gets, for the first post and for every update: rendered from the request's
 * current state only, so any replica re-rendering it produces the same message.
 */
export function renderApproverMessage(r: RequestDetails, options: { earlierStage?: boolean } = {}): SlackMessage {
  const title =
    r.kind === 'break_glass'
      ? breakGlassTitle(r)
      : r.kind === 'extension'
        ? `:hourglass: ${mention(r.requesterId)} asks to extend ${code(r.extendsRequestId ?? '')} by ${formatDuration(r.durationMinutes)}`
        : r.requestedBy
          ? `:key: ${mention(r.requestedBy)} asks for ${mention(r.requesterId)}: ${r.resources.map((x) => x.name).join(', ')} for ${formatDuration(r.durationMinutes)}`
          : `:key: ${mention(r.requesterId)} requests access`;
  const blocks = [...summaryBlocks(r, title), ...bundleLines(r)];
  // Everyone holding an approver message sees that it was escalated (and the escalation approvers why they got it).
  const escalated =
    r.escalatedAt && r.status === 'pending'
      ? ` · :rotating_light: Escalated ${slackDate(r.escalatedAt)}: no decision yet`
      : '';
  blocks.push(context(`Requested ${slackDate(r.createdAt)}${originNote(r)}${escalated}`));
  // Kept on the request, so every re-render says why on-call was not checked.
  if (r.onCallNotes.length > 0)
    blocks.push(context(r.onCallNotes.map((n) => `:warning: ${userText(n, 300)}`).join('\n')));
  const manager = managerLine(r.manager, r.requesterId);
  if (manager) blocks.push(context(manager));
  const onCall = onCallOnly(r.onCallApprovers, r.manager);
  if (r.status === 'pending' && onCall.length > 0)
    blocks.push(context(`:pager: On call, asked too: ${mentionList(onCall)}`));
  if (r.status === 'pending' && options.earlierStage) {
    // An approver of a stage that passed: decided, so no buttons; where the request is now instead.
    blocks.push(section(earlierStageLine(r)));
  } else if (r.status === 'pending') {
    if (r.approvals.length > 0 || r.stageNames.length > 0) blocks.push(section(statusLine(r)));
    blocks.push({
      type: 'actions',
      block_id: ReviewIds.actionsBlock,
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
    });
  } else {
    blocks.push(...grantedBlock(r), section(statusLine(r)));
    if (r.status === 'active') blocks.push(revokeActions(r));
  }
  blocks.push(...breakGlassReviewBlocks(r));
  return {
    text: `${r.kind === 'break_glass' ? ':rotating_light: Break-glass: ' : ''}${r.requestedBy ? `${mention(r.requestedBy)} asks for ` : ''}${mention(r.requesterId)} requests access to ${r.resources.map((x) => x.name).join(', ')} (${r.status})`,
    blocks,
  };
}

export function revokeActions(r: RequestDetails): KnownBlock {
  return {
    type: 'actions',
    block_id: ReviewIds.actionsBlock,
    elements: [
      {
        type: 'button',
        action_id: ReviewIds.revokeButton,
        text: plain('Revoke now', 75),
        style: 'danger',
        value: r.id,
        confirm: {
          title: plain('Revoke this access?', 100),
          text: plain(`${r.resources.map((x) => x.name).join(', ')} ends now for the requester.`, 300),
          confirm: plain('Revoke', 30),
          deny: plain('Keep', 30),
          style: 'danger',
        },
      },
    ],
  };
}

/** What the requester can do with their own request now: nudge or cancel it pending, extend or release it active. */
export function requesterActions(r: RequestDetails): KnownBlock[] {
  const button = (text: string, actionId: string, style?: 'primary' | 'danger') => ({
    type: 'button' as const,
    action_id: actionId,
    text: plain(text, 75),
    value: r.id,
    ...(style ? { style } : {}),
  });
  if (r.status === 'pending') {
    return [
      {
        type: 'actions',
        block_id: `mine.${r.id}`,
        elements: [
          button('Nudge approvers', RequestIds.nudgeButton),
          button('Cancel request', RequestIds.cancelButton, 'danger'),
        ],
      },
    ];
  }
  if (r.status === 'active' && r.kind !== 'extension') {
    return [
      {
        type: 'actions',
        block_id: `mine.${r.id}`,
        elements: [
          button('Extend…', RequestIds.extendButton, 'primary'),
          button('Release access', RequestIds.releaseButton, 'danger'),
        ],
      },
    ];
  }
  return [];
}

/** The requester's own copy of the request, updated in place as it moves on. */
export function renderRequesterMessage(r: RequestDetails): SlackMessage {
  const blocks = summaryBlocks(
    r,
    r.kind === 'extension'
      ? `:hourglass: You asked to extend ${code(r.extendsRequestId ?? '')}`
      : r.requestedBy
        ? `:incoming_envelope: ${mention(r.requestedBy)} requested access for you`
        : `:incoming_envelope: You requested access`,
  );
  const manager = r.status === 'pending' ? managerLine(r.manager, r.requesterId) : null;
  blocks.push(...bundleLines(r));
  blocks.push(...grantedBlock(r), section(statusLine(r)), ...(manager ? [context(manager)] : []));
  blocks.push(...setupBlocks(r), ...requesterActions(r));
  return { text: `Your request ${r.id} for ${r.resources.map((x) => x.name).join(', ')} is ${r.status}`, blocks };
}
