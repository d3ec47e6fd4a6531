import type { KnownBlock } from '@slack/types';
import type { TicketSnapshot } from '../../domain/ticket.js';
import { slackDate, userText } from '../mrkdwn.js';
import { context } from '../views.js';

/**
 * The ticket line of a request message, from the snapshot taken at request time: the link, Jira's title
 * and status (Jira's words, escaped: a ticket title cannot mention anyone or forge a link), or a warning
 * that Jira could not confirm it. The link is built from the configured site and the checked key only.
 */
export function ticketBlocks(ticket: TicketSnapshot | null): KnownBlock[] {
  if (!ticket) return [];
  if (!ticket.checked) {
    return [
      context(
        `:warning: *${userText(ticket.key, 40)}* was not checked: ${userText(ticket.reason, 200)}. Look at the ticket before you approve.`,
      ),
    ];
  }
  const icon = ticket.category === 'done' ? ':white_check_mark:' : ':ticket:';
  return [
    context(
      `${icon} <${ticket.url}|${userText(ticket.key, 40)}> ${userText(ticket.title, 200)} · _${userText(ticket.status, 64)}_ as of ${slackDate(new Date(ticket.checkedAt))}`,
    ),
  ];
}
