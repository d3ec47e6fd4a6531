import { agentHeaderValue } from '../domain/request-api.js';

/**
 * The name an agent goes by in the audit trail and the approver's Slack message. It is what the MCP client
 * declares (its `clientInfo.name`, or the `X-Access-Agent` header over HTTP): a label, never authority (the
 * person's token decides who acts). So it follows the one rule of the contract (agentHeaderValue: printable
 * ASCII, accents folded, 64 characters at most), whichever way it arrived; Slack rendering escapes it as any
 * user text.
 */
export const UNNAMED_AGENT = 'unnamed MCP client';

export function cleanAgentName(raw: unknown): string | null {
  return typeof raw === 'string' ? agentHeaderValue(raw) : null;
}

/**
 * An MCP client's name as the audit shows it. The version is left out: over HTTP only the initialize
 * request carries clientInfo, so one agent would otherwise appear under two names.
 */
export function agentOf(clientInfo: { name?: unknown } | undefined): string | null {
  return cleanAgentName(clientInfo?.name);
}
