import type { Channel } from './request-api.js';

/** Where a request or an action on it came from: Slack, or the request API (itself, the CLI, MCP) and the agent. */
export interface RequestOrigin {
  channel: Channel;
  /** The AI agent acting for the person; null when the person acts themself. */
  agent: string | null;
}

export const SLACK_ORIGIN: RequestOrigin = { channel: 'slack', agent: null };

/** What audit details say of the origin: always the channel, and the agent when there is one. */
export const originDetails = (o: RequestOrigin): { channel: Channel; agent?: string } => ({
  channel: o.channel,
  ...(o.agent ? { agent: o.agent } : {}),
});

const THROUGH: Record<Channel, string> = {
  slack: 'in Slack',
  api: 'through the request API',
  cli: 'from the CLI',
  mcp: 'through MCP',
};

/**
 * "from the CLI", "by agent “Claude Code” through MCP"; empty for Slack (the usual case says nothing).
 * `quote` formats the agent's name for where it is shown (escaped for Slack, quoted in the audit trail).
 */
export function originPhrase(
  o: { channel?: unknown; agent?: unknown },
  quote: (name: string) => string = (n) => `“${n}”`,
): string {
  const channel = (typeof o.channel === 'string' && o.channel in THROUGH ? o.channel : 'slack') as Channel;
  const agent = typeof o.agent === 'string' && o.agent ? o.agent.slice(0, 64) : null;
  if (channel === 'slack' && !agent) return '';
  return agent ? `by agent ${quote(agent)} ${THROUGH[channel]}` : THROUGH[channel];
}
