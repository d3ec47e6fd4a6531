import type { KnownBlock } from '@slack/types';
import type { RequestDetails } from '../../domain/request.js';
import { code, slackDate } from '../mrkdwn.js';
import { context, section } from '../views.js';
import { requesterActions, type SlackMessage } from './request-message.js';

/**
 * The requester's DM shortly before their access ends (one renderer, so the Extend button can be added
 * here for every warning at once). Rendered from the request's current state: the end time shown is
 * the grant's, in the reader's own time zone.
 */
export function renderEndWarning(r: RequestDetails): SlackMessage {
  const names = r.resources.map((x) => code(x.name)).join(', ');
  const end = r.grant ? slackDate(r.grant.expiresAt, '{time}') : 'soon';
  const text = `:alarm_clock: Your access to ${names} (request ${code(r.id)}) ends at ${end}.`;
  const blocks: KnownBlock[] = [
    section(text),
    context('Need more time? Ask to extend it before it ends: your access continues while the approvers decide.'),
    ...requesterActions(r),
  ];
  return { text: text.replace(/<!date\^\d+\^[^|]*\|([^>]*)>/g, '$1'), blocks };
}
