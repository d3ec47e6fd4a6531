import type { KnownBlock } from '@slack/types';
import type { TokenSummary } from '../../services/personal-token-service.js';
import { TokenIds } from '../ids.js';
import { code, slackDate, userText } from '../mrkdwn.js';
import { context, divider, header, plain, section } from '../views.js';

/** At most this many tokens with their own Revoke button; the rest are counted (`/access token list`). */
const MAX_SHOWN = 5;

function tokenBlock(t: TokenSummary): KnownBlock {
  return {
    ...section(
      `${code(t.id)} *${userText(t.name, 80)}*\nMade ${slackDate(t.createdAt)}${t.createdVia === 'device' ? ' by a device sign-in' : ' in Slack'} · expires ${slackDate(t.expiresAt)} · ${t.lastUsedAt ? `last used ${slackDate(t.lastUsedAt)}` : 'never used'}`,
    ),
    accessory: {
      type: 'button',
      action_id: TokenIds.revokeButton,
      text: plain('Revoke', 75),
      style: 'danger',
      value: t.id,
      confirm: {
        title: plain('Revoke this token?', 100),
        text: plain(`${t.name} stops working at once for the CLI, MCP and the request API.`, 300),
        confirm: plain('Revoke', 30),
        deny: plain('Keep', 30),
        style: 'danger',
      },
    },
  } as KnownBlock;
}

/**
 * "Your tokens" in App Home: each live personal token with a Revoke button, within `budget` blocks (a
 * Home view holds 100; what comes before it may have used most of them). Nothing when there is none.
 */
export function tokenBlocks(tokens: readonly TokenSummary[], budget: number): KnownBlock[] {
  if (tokens.length === 0 || budget < 1) return [];
  const more = (n: number) => `${n} more: \`/access token list\`, \`/access token revoke pat_…\`.`;
  if (budget < 4) return [context(`:key: You have ${tokens.length} live personal tokens. ${more(tokens.length)}`)];
  let room = Math.min(MAX_SHOWN, tokens.length, budget - 2);
  if (room < tokens.length) room = Math.min(room, budget - 3);
  const hidden = tokens.length - room;
  return [
    divider(),
    header('Your tokens (request API, CLI, MCP)'),
    ...tokens.slice(0, room).map(tokenBlock),
    ...(hidden > 0 ? [context(`…and ${more(hidden)}`)] : []),
  ];
}
