import type { ModalView } from '@slack/types';
import { setupProgress, type RequestDetails } from '../../domain/request.js';
import { formatDuration } from '../../domain/duration.js';
import { code, mention, mentionList, slackDate, userText } from '../mrkdwn.js';
import { context, plain, section } from '../views.js';

const onBehalf = (r: RequestDetails) => Boolean(r.requestedBy && r.requestedBy !== r.requesterId);

/**
 * An auto-approval rule granted it already: say so (and that the targets are being set up) rather than "waiting".
 * On behalf of someone, it is the beneficiary who is on call and who can use it, not the asker reading this.
 */
function autoApproved(r: RequestDetails): string {
  const who = onBehalf(r) ? `${mention(r.requesterId)} is` : 'you are';
  const onCall = r.autoApprovedOnCall ? ` (${who} on call on ${userText(r.autoApprovedOnCall, 200)})` : '';
  const { pending } = setupProgress(r);
  const tell = onBehalf(r)
    ? `I will DM ${mention(r.requesterId)} when it can be used`
    : 'I will DM you when you can use it';
  const setup =
    pending.length > 0
      ? ` ${pending.map(code).join(', ')} ${pending.length > 1 ? 'are' : 'is'} being set up: ${tell}.`
      : '';
  return `:robot_face: Approved at once by the auto-approval rule “${userText(r.autoApprovedBy ?? '', 64)}”${onCall}: access until ${slackDate(r.grant!.expiresAt)}.${setup} The approvers were told.`;
}

/** Shown in place of the form once the request is stored: what was sent, and to whom. */
export function buildRequestSentModal(requests: RequestDetails[]): ModalView {
  const decided = (r: RequestDetails) => Boolean(r.autoApprovedBy && r.grant);
  // On behalf of someone, the asker reads whose access it is (the beneficiary gets it and its DMs).
  const whose = (r: RequestDetails) => (onBehalf(r) ? ` for ${mention(r.requesterId)}:` : ' for');
  const blocks = requests.flatMap((r) => [
    section(
      `:incoming_envelope: Request ${code(r.id)}${whose(r)} ${r.resources.map((x) => code(x.name)).join(', ')} (${formatDuration(r.durationMinutes)})\n` +
        (decided(r) ? autoApproved(r) : `Waiting for: ${mentionList(r.notifiedApprovers)}`),
    ),
  ]);
  if (requests.length > 1)
    blocks.unshift(
      context('Your resources are covered by different approval flows, so each flow got its own request.'),
    );
  const waiting = requests.filter((r) => !decided(r)).length;
  blocks.push(
    context(
      waiting === 0
        ? 'Follow it with `/access list`.'
        : `Follow it with \`/access list\`. I will DM you when ${waiting < requests.length ? 'the others are' : 'it is'} decided.`,
    ),
  );
  return { type: 'modal', title: plain('Request sent', 24), close: plain('Done', 24), blocks };
}
