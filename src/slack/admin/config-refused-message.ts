import type { ConfigRefusal } from '../../domain/outbox.js';
import { code, userText } from '../mrkdwn.js';

/** The DM every admin gets when the running bot refuses a changed ACCESS_CONFIG: what is wrong, and that nothing changed. */
export function renderConfigRefused(refusal: ConfigRefusal): { text: string } {
  return {
    text: [
      `:warning: The bot refused the changed access file ${code(userText(refusal.path, 200))}: the catalogue stays as it was (requests, approvals and grants go on under it).`,
      `> ${userText(refusal.problem, 600)}`,
      `Fix the file: \`npm run config -- check FILE\` shows the problem and \`npm run config -- plan FILE\` what it would change. The bot applies it as soon as it changes again (or on SIGHUP).`,
    ].join('\n'),
  };
}
