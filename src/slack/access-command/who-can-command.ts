import type { SlackDeps } from '../deps.js';
import { renderExplain, renderWhoCan, type Rendered } from './who-can-view.js';

/** `<@U123|rita>` (what Slack sends for a mention), `<@U123>` or a bare user id. */
export function userArg(arg: string | undefined): string | null {
  return /^<@([UW][A-Z0-9]+)(\|[^>]*)?>$/.exec(arg ?? '')?.[1] ?? (/^[UW][A-Z0-9]{2,}$/.test(arg ?? '') ? arg! : null);
}

const WHOCAN_USAGE = 'Say which resource: `/access whocan prod-db`.';
const EXPLAIN_USAGE = 'Say who and which resource: `/access explain @person prod-db`.';

/** `/access whocan <resource>` and `/access explain @person <resource>`: approvers and admins (the service checks). */
export async function whoCanCommand(
  deps: SlackDeps,
  userId: string,
  sub: 'whocan' | 'explain',
  args: string[],
): Promise<Rendered | { text: string; blocks?: undefined }> {
  if (sub === 'whocan') {
    if (args.length !== 1) return { text: WHOCAN_USAGE };
    return renderWhoCan(await deps.whoCan.whoCan(userId, args[0]!));
  }
  const subject = userArg(args[0]);
  if (!subject || args.length !== 2) return { text: EXPLAIN_USAGE };
  return renderExplain(await deps.whoCan.explain(userId, subject, args[1]!));
}
