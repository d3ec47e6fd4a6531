import type { ModalView } from '@slack/types';
import type { RequestDetails } from '../../domain/request.js';
import { formatDuration } from '../../domain/duration.js';
import { code, mentionList, slackDate, userText } from '../mrkdwn.js';
import { context, plain, section } from '../views.js';

/** Shown in place of the form once the request is stored: what was sent, and to whom. */
export function buildRequestSentModal(requests: RequestDetails[]): ModalView {
  const blocks = requests.flatMap((r) => [
    section(
      `:incoming_envelope: Request ${code(r.id)} for ${r.resources.map((x) => code(x.name)).join(', ')} (${formatDuration(r.durationMinutes)})\n` +
        // An auto-approval rule may have granted it already: say so rather than "waiting".
        (r.autoApprovedBy && r.grant
          ? `:robot_face: Approved at once by the auto-approval rule “${userText(r.autoApprovedBy, 64)}”${r.autoApprovedOnCall ? ` (you are on call on ${userText(r.autoApprovedOnCall, 200)})` : ''}: access until ${slackDate(r.grant.expiresAt)}. The approvers were told.`
          : `Waiting for: ${mentionList(r.notifiedApprovers)}`),
    ),
  ]);
  if (requests.length > 1)
    blocks.unshift(
      context('Your resources are covered by different approval flows, so each flow got its own request.'),
    );
  blocks.push(context('Follow it with `/access list`. I will DM you when it is decided.'));
  return { type: 'modal', title: plain('Request sent', 24), close: plain('Done', 24), blocks };
}
