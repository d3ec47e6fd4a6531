import type { RequestDetails } from '../../domain/request.js';
import { formatDuration } from '../../domain/duration.js';
import { code, fallbackText, mention, userText } from '../mrkdwn.js';
import { section } from '../views.js';
import { summaryBlocks, type SlackMessage } from './request-message.js';
import { statusLine } from './request-status.js';

/**
 * What the person who asked on someone's behalf sees (domain/on-behalf.ts): their copy of the request and
 * the decision notices, never the access's secrets or setup (those go to the beneficiary alone), and no
 * buttons (cancelling, extending and releasing stay the beneficiary's).
 */
export function renderAskerMessage(r: RequestDetails): SlackMessage {
  const names = r.resources.map((x) => x.name).join(', ');
  const blocks = summaryBlocks(
    r,
    `:incoming_envelope: You asked for ${mention(r.requesterId)}: ${names} for ${formatDuration(r.durationMinutes)}`,
  );
  blocks.push(section(statusLine(r)));
  return { text: `Your request ${r.id} for ${r.requesterId} (${names}) is ${r.status}`, blocks };
}

/** A fresh DM to the asker when something happens to the request (what the beneficiary is told, minus secrets). */
export function renderAskerNotice(r: RequestDetails, event: string): SlackMessage {
  const names = r.resources.map((x) => code(x.name)).join(', ');
  const forWhom = `${code(r.id)} for ${mention(r.requesterId)} (${names})`;
  const what: Record<string, string> = {
    approved: `:white_check_mark: Your request ${forWhom} was approved${r.decidedBy ? ` by ${mention(r.decidedBy)}` : ''}. The access and its details went to ${mention(r.requesterId)}.`,
    denied: `:no_entry: ${r.decidedBy ? mention(r.decidedBy) : 'An approver'} denied your request ${forWhom}${r.denyReason ? `: ${userText(r.denyReason, 500)}` : '.'}`,
    timed_out: `:hourglass: Your request ${forWhom} expired without a decision.`,
    expired: `:checkered_flag: The access from your request ${forWhom} has expired.`,
    no_approver: `:warning: Nobody can approve your request ${forWhom} now: ask an admin to add approvers.`,
    extended: `:white_check_mark: The access from ${forWhom} was extended.`,
  };
  const text = what[event] ?? `:octagonal_sign: The access from your request ${forWhom} has ended.`;
  return { text: fallbackText(text), blocks: [section(text)] };
}
