import type { SlackDeps } from '../deps.js';
import { code, mention } from '../mrkdwn.js';

/** OpenID Connect Core 2: a subject is at most 255 ASCII characters. */
const SUBJECT = /^[\x21-\x7e]{1,255}$/;

const USAGE =
  'Admins link a person by hand with `/access link @person <subject>`, the subject being their company identity as the identity provider names it (the sign-in refusal shows it to them, and the audit trail records it).';

/**
 * `/access link @person <subject>` (admins): the way past a refused first link, when a person's e-mail at
 * the identity provider is not their Slack profile's. The answer is a sentence for the admin.
 */
export async function linkByHandCommand(deps: SlackDeps, adminId: string, args: string[]): Promise<string> {
  const target =
    /^<@([UW][A-Z0-9]+)(\|[^>]*)?>$/.exec(args[0] ?? '')?.[1] ??
    (/^[UW][A-Z0-9]{2,}$/.test(args[0] ?? '') ? args[0]! : null);
  const subject = args[1] ?? '';
  if (!target || !SUBJECT.test(subject) || args.length > 2) return USAGE;
  const outcome = await deps.identity.linkByHand(adminId, target, subject);
  if (outcome === 'already') return `${mention(target)} is already linked to ${code(subject)}. Nothing changed.`;
  if (outcome === 'another_linked')
    return `${mention(target)} is linked to another company identity. Unlink it first: \`/access unlink @person\`.`;
  return `Linked ${mention(target)} to the company identity ${code(subject)}. Their next sign-in must be as that identity; it fills in their e-mail.`;
}
