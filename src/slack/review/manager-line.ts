import type { RequestManager } from '../../domain/manager.js';
import { mention, userText } from '../mrkdwn.js';

const group = (id: string) => `<!subteam^${id}>`;
const from = (m: RequestManager) => (m.source === 'access file' ? 'the access file' : m.source);

/**
 * What every surface says about the requester's manager: "Manager: @dana (from Okta)", or why the
 * fallback was asked ("No manager found for @rita in Okta: asked the fallback group @sre-leads").
 */
export function managerLine(m: RequestManager | null, requesterId: string): string | null {
  if (!m) return null;
  if (m.slackId) return `:bust_in_silhouette: Manager: ${mention(m.slackId)} (from ${from(m)})`;
  const users = m.fallbackUsers ?? [];
  const groups = m.fallbackGroups ?? [];
  const named = [...users.map(mention), ...groups.map(group)].join(', ');
  // "the fallback group @sre-leads" when the fallback is groups only, else "the fallback @sam, @sre-leads".
  const kind = users.length === 0 ? (groups.length > 1 ? 'groups ' : 'group ') : '';
  const fallback = named ? `asked the fallback ${kind}${named}` : 'no fallback is set, the other approvers decide';
  const why = m.failure
    ? `${from(m)} did not answer (${userText(m.failure, 80)})`
    : m.unknownEmail
      ? `the manager in ${from(m)}, ${userText(m.unknownEmail, 80)}, is not a Slack user`
      : m.self
        ? `${mention(requesterId)} is their own manager in ${from(m)}`
        : `No manager found for ${mention(requesterId)} in ${from(m)}`;
  return `:warning: ${why.charAt(0).toUpperCase()}${why.slice(1)}: ${fallback}`;
}

/** The people asked because they were on call: those the bot looked up, less the manager look-up's. */
export const onCallOnly = (onCallApprovers: readonly string[], m: RequestManager | null): string[] =>
  onCallApprovers.filter((u) => !m?.asked.includes(u));
