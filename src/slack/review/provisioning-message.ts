import type { KnownBlock } from '@slack/types';
import type { RequestDetails } from '../../domain/request.js';
import type { AccessReady } from '../../services/ports-messengers.js';
import { code, fallbackText, slackDate, userText } from '../mrkdwn.js';
import { context, section } from '../views.js';
import type { SlackMessage } from './request-message.js';

/**
 * The requester's "your access is ready" DM. A credential in it (a password, a certificate) is shown
 * here once and stored nowhere else; Slack keeps this message, so the text says to copy it now.
 */
export function renderAccessReady(r: RequestDetails, resource: string, result: AccessReady): SlackMessage {
  const until = r.grant ? slackDate(r.grant.expiresAt) : 'the end of the grant';
  const blocks: KnownBlock[] = [
    section(`:unlock: Your access to ${code(resource)} is ready (request ${code(r.id)}). It ends ${until}.`),
  ];
  if (result.instructions)
    blocks.push(section(`*How to use it*\n\`\`\`${userText(result.instructions, 1500).replace(/```/g, "'''")}\`\`\``));
  if (result.secret) {
    blocks.push(
      section(`*${userText(result.secret.label, 100)}*\n\`\`\`${result.secret.value.replace(/```/g, '')}\`\`\``),
      context(':warning: Shown only here and never stored by the bot. It stops working when the access ends.'),
    );
  }
  return { text: `Your access to ${resource} is ready (request ${r.id}).`, blocks };
}

export function renderProvisioningProblem(
  r: RequestDetails,
  resource: string,
  problem: string,
  final: boolean,
): SlackMessage {
  const text = final
    ? `:x: Access to ${code(resource)} for request ${code(r.id)} could not be set up: ${userText(problem, 500)}. An admin needs to fix the resource; the grant is recorded but not usable.`
    : `:hourglass: Setting up access to ${code(resource)} for request ${code(r.id)} keeps failing (${userText(problem, 300)}). I will keep trying.`;
  return { text: fallbackText(text), blocks: [section(text)] };
}
