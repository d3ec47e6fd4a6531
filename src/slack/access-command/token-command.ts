import { formatDuration, parseDuration } from '../../domain/duration.js';
import { DEFAULT_TOKEN_MINUTES, TOKEN_ID } from '../../domain/personal-token.js';
import type { TokenSummary } from '../../services/personal-token-service.js';
import type { SlackDeps } from '../deps.js';
import { code, slackDate, userText } from '../mrkdwn.js';

export const TOKEN_HELP =
  'Personal tokens let the request API, the CLI and MCP act as you: `/access token create [name] [--expires 7d]` (30 days unless you say, 90 at most; shown once), `/access token list`, `/access token revoke pat_…`.';

/** One line per token, as `/access token list` shows it (no secret: only its id and name). */
export function tokenLine(t: TokenSummary): string {
  return `• ${code(t.id)} ${userText(t.name, 80)} · made ${slackDate(t.createdAt)}${t.createdVia === 'device' ? ' by a device sign-in' : ''} · expires ${slackDate(t.expiresAt)} · ${t.lastUsedAt ? `last used ${slackDate(t.lastUsedAt)}` : 'never used'}`;
}

/** `name words… --expires 7d` -> the name and the lifetime in minutes (undefined: the default). */
export function parseTokenCreate(args: readonly string[]): { name: string; minutes?: number } | { problem: string } {
  const at = args.findIndex((a) => a === '--expires' || a.startsWith('--expires='));
  if (at < 0) return { name: args.join(' ') };
  const inline = args[at]!.startsWith('--expires=') ? args[at]!.slice('--expires='.length) : undefined;
  const value = inline ?? args[at + 1] ?? '';
  const minutes = parseDuration(value);
  if (minutes === undefined)
    return { problem: 'Say how long the token lives as `--expires 7d` (or 12h, 30d; 90 days at most).' };
  const rest = args.filter((_, i) => i !== at && (inline !== undefined || i !== at + 1));
  return { name: rest.join(' '), minutes };
}

/**
 * `/access token create|list|revoke`. A create is keyed by the command's trigger id (one per command
 * Slack sends): the same signed command replayed, on any replica, makes no second token.
 */
export async function tokenCommand(
  deps: Pick<SlackDeps, 'personalTokens'>,
  userId: string,
  args: readonly string[],
  triggerId: string,
): Promise<string> {
  const [verb, ...rest] = args;
  switch (verb?.toLowerCase()) {
    case 'create': {
      const parsed = parseTokenCreate(rest);
      if ('problem' in parsed) return parsed.problem;
      const token = await deps.personalTokens.issue(userId, parsed.name, parsed.minutes, 'slack', triggerId);
      return [
        `Made personal token ${code(token.id)} ${userText(token.name, 80)}, valid for ${formatDuration(parsed.minutes ?? DEFAULT_TOKEN_MINUTES)}, until ${slackDate(token.expiresAt)}. Copy it now, it is not shown again:`,
        `\`\`\`${token.secret}\`\`\``,
        'It acts as you in the request API, the CLI (`npx access-requests`) and MCP: keep it like a password. Approvers still decide here in Slack.',
      ].join('\n');
    }
    case 'list': {
      const tokens = await deps.personalTokens.listFor(userId);
      return tokens.length
        ? `Your live personal tokens:\n${tokens.map(tokenLine).join('\n')}`
        : 'You have no live personal tokens. Make one with `/access token create [name] [--expires 7d]`.';
    }
    case 'revoke': {
      const id = rest[0]?.toLowerCase();
      if (!id || !TOKEN_ID.test(id)) return 'Say which token: `/access token revoke pat_…` (see `/access token list`).';
      const { token, already } = await deps.personalTokens.revoke(userId, id);
      return already
        ? `Token ${code(token.id)} was already revoked. Nothing changed.`
        : `Revoked token ${code(token.id)} ${userText(token.name, 80)}: it no longer works.`;
    }
    default:
      return TOKEN_HELP;
  }
}
