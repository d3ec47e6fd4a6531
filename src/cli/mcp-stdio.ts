import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ApiError, type AccessApi } from '../domain/request-api.js';
import { createAccessMcpServer, type McpLogger } from '../mcp/access-tools.js';
import { agentOf, UNNAMED_AGENT } from '../mcp/agent-name.js';

export interface McpStdioOptions {
  /**
   * The person's request API, made for the agent once its name is known (the MCP client's clientInfo,
   * sent in `initialize`). A failure to make it (not logged in, a bad URL) is an ApiError whose sentence
   * the agent reads as the tool's error, so it can tell its person what to do.
   */
  apiFor: (agent: string) => AccessApi;
  stdin: Readable;
  /** MCP's JSON-RPC only: nothing else may ever be written here. */
  stdout: Writable;
  /** Logs (stderr): the MCP host shows them in its server log. */
  logger: McpLogger;
}

/**
 * An AccessApi that makes the real one at its first call: the tools are only called after `initialize`,
 * when the client's name is known, and a login that is missing becomes a sentence at that call rather
 * than a server that dies before the agent can say why.
 */
function lazyApi(make: () => AccessApi): AccessApi {
  let api: AccessApi | null = null;
  const get = () => (api ??= make());
  return {
    requestable: () => get().requestable(),
    bundles: () => get().bundles(),
    create: (body, key) => get().create(body, key),
    get: (id) => get().get(id),
    listMine: (options) => get().listMine(options),
    cancel: (id) => get().cancel(id),
    release: (id) => get().release(id),
    extend: (id, body, key) => get().extend(id, body, key),
    wait: (id, options) => get().wait(id, options),
  };
}

/**
 * `access-requests mcp`: the access tools over stdio for a local agent (Claude Desktop, Claude Code, any
 * MCP host that starts a command). Each tool calls the bot's request API over HTTP with the person's saved
 * token, as channel `mcp` and with the agent's name, so the bot records and shows which agent asked.
 * Resolves when the host closes the connection (stdin ends).
 */
export async function runMcpStdio(options: McpStdioOptions): Promise<void> {
  let agent: string | null = null;
  const server = createAccessMcpServer(
    lazyApi(() => {
      agent ??= agentOf(server.server.getClientVersion()) ?? UNNAMED_AGENT;
      try {
        return options.apiFor(agent);
      } catch (error) {
        if (error instanceof ApiError) throw error;
        // A CliConfigError (not logged in, an unreadable config file) is already a sentence for a person.
        throw new ApiError(401, { error: 'not_logged_in', message: (error as Error).message });
      }
    }),
    options.logger,
  );
  server.server.oninitialized = () =>
    options.logger.info({ agent: agentOf(server.server.getClientVersion()) }, 'MCP client connected over stdio');
  const transport = new StdioServerTransport(options.stdin, options.stdout);
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    // The host went away: stdin ends, and there is nobody left to answer.
    options.stdin.once('end', () => void server.close());
    // EPIPE: the host closed its end of our stdout; writing on would only throw.
    options.stdout.once('error', () => void server.close());
  });
  await server.connect(transport);
  await closed;
}
