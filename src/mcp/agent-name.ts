/**
 * The name an agent goes by in the audit trail and the approver's Slack message. It is what the MCP client
 * declares (its `clientInfo.name`, or the `X-Access-Agent` header over HTTP): a label, never authority (the
 * person's token decides who acts). So it is cut to a short, single line of printable text before anyone
 * sees it; Slack rendering escapes it as any user text.
 */
export const UNNAMED_AGENT = 'unnamed MCP client';
const MAX_AGENT_NAME = 64;

export function cleanAgentName(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  // Control and format characters (newlines, bidi overrides, zero-width) could fake a second line or hide text.
  const text = raw
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (text === '') return null;
  return text.length > MAX_AGENT_NAME ? `${text.slice(0, MAX_AGENT_NAME - 1)}…` : text;
}

/**
 * An MCP client's name as the audit shows it. The version is left out: over HTTP only the initialize
 * request carries clientInfo, so one agent would otherwise appear under two names.
 */
export function agentOf(clientInfo: { name?: unknown } | undefined): string | null {
  return cleanAgentName(clientInfo?.name);
}
