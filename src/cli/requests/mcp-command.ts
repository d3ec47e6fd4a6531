import { loadCliConfig } from '../../client/cli-config.js';
import { createHttpAccessApi } from '../../client/http-access-api.js';
import type { McpLogger } from '../../mcp/access-tools.js';
import { runMcpStdio } from '../mcp-stdio.js';
import { EXIT, type CliIo, type Command } from './cli-io.js';

/**
 * What `access-requests mcp` says on stderr, which MCP hosts keep as the server's log: one line each,
 * the error's own sentence and never its stack (stdout is MCP's alone).
 */
function stderrLogger(io: CliIo): McpLogger {
  const line = (level: string, details: Record<string, unknown>, message: string) => {
    const { err, ...rest } = details;
    const why = err instanceof Error ? `: ${err.message.split('\n')[0]}` : '';
    const context = Object.entries(rest)
      .map(([k, v]) => ` ${k}=${JSON.stringify(v)}`)
      .join('');
    io.stderr.write(`access-requests mcp ${level}: ${message}${why}${context}\n`);
  };
  return { error: (d, m) => line('error', d, m), info: (d, m) => line('info', d, m) };
}

export const mcpCommand: Command = {
  name: 'mcp',
  summary: 'let an AI agent request access for you (MCP server over stdio)',
  help: `usage: access-requests mcp

Serves the access tools to an AI agent over stdio (the Model Context Protocol), for an MCP host to start:
Claude Desktop, Claude Code, Cursor, … It uses your saved login (access-requests login) or
ACCESS_REQUESTS_URL and ACCESS_REQUESTS_TOKEN, and records every request as made through MCP by the agent,
named as its host names it. The agent can list what you may request, request it (with a justification),
follow and wait for a request, release and cancel your own; it can never approve: people approve in Slack.

stdout carries MCP's JSON-RPC only; notes and errors go to stderr. docs/cli.md, "Agents (MCP)", has the
host configurations.

example (Claude Code):
  claude mcp add access-requests -- access-requests mcp`,
  options: {},
  async run({ io }) {
    await runMcpStdio({
      // Read at the first tool call, so a login made after the host started the server is used.
      apiFor: (agent) =>
        createHttpAccessApi({
          ...loadCliConfig(io.env),
          channel: 'mcp',
          agent,
          userAgent: `access-requests-mcp node/${process.versions.node}`,
        }),
      stdin: process.stdin,
      stdout: process.stdout,
      logger: stderrLogger(io),
    });
    return EXIT.ok;
  },
};
