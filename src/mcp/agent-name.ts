/**
 * The name an agent goes by in the audit trail and the approver's Slack message. It is what the MCP client
 * declares (its `clientInfo.name`, or the `X-Access-Agent` header over HTTP): a label, never authority (the
 * person's token decides who acts). So it is made one short line of the characters the request API accepts
 * in `X-Access-Agent` (http/person-auth.ts: printable Latin, 64 at most), which `access-requests mcp` sends
 * it as; Slack rendering escapes it as any user text.
 */
export const UNNAMED_AGENT = 'unnamed MCP client';
const MAX_AGENT_NAME = 64;

export function cleanAgentName(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  // Anything else (newlines, bidi overrides, zero-width characters, emoji) could fake a line, hide text, or be
  // refused by the API: it becomes a space.
  const text = raw
    .replace(/[^\x20-\x7e\u00a0-\u024f]/gu, ' ')
    .replace(/[\s\u00a0]+/g, ' ')
    .trim();
  if (text === '') return null;
  return text.slice(0, MAX_AGENT_NAME).trim();
}

/**
 * An MCP client's name as the audit shows it. The version is left out: over HTTP only the initialize
 * request carries clientInfo, so one agent would otherwise appear under two names.
 */
export function agentOf(clientInfo: { name?: unknown } | undefined): string | null {
  return cleanAgentName(clientInfo?.name);
}
