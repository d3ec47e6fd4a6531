import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Logger } from 'pino';
import { ApiError, type AccessApi, type ApiPrincipal } from '../domain/request-api.js';
import { agentOf, cleanAgentName, UNNAMED_AGENT } from '../mcp/agent-name.js';
import { createAccessMcpServer } from '../mcp/access-tools.js';
import { createRateLimiter, type RateLimit } from './rate-limit.js';
import { readBody } from './request-body.js';
import { REQUEST_API_LIMITS } from './requests-api.js';
import type { Route } from './server.js';

/** The largest call is a request_access with an SSH public key (16 KiB at most): 64 KiB is ample. */
export const MAX_MCP_BODY = 64 * 1024;

export interface McpRouteDeps {
  /**
   * The person behind `Authorization: Bearer ark_pat_…`, or null after answering 401 (http/person-auth.ts);
   * its `agent` is the client's `X-Access-Agent` header when it sent one.
   */
  authenticate: (req: IncomingMessage, res: ServerResponse) => Promise<ApiPrincipal | null>;
  /** The request API as that person sees it (services/request-api.ts), in process. */
  apiFor: (principal: ApiPrincipal) => AccessApi;
  /** The bot's own URL (PUBLIC_URL, or the port bound): the one origin and host name it answers as. */
  publicUrl: () => string;
  /** The address the server listens on (config HOST), also a name a local client may use. */
  listenHost: string;
  logger: Logger;
  /** The request API's per-token limits (its own buckets: a token using both gets each budget, per replica). */
  limits?: { calls: RateLimit; creates: RateLimit };
}

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string, headers = {}) {
  const text = JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];
const ANY_ADDRESS = new Set(['0.0.0.0', '::', '']);

/**
 * DNS rebinding (the MCP spec's warning for HTTP transports): a web page whose name later resolves to the
 * bot's address could make a browser post to /mcp. Browsers send that page's Host and Origin, so the route
 * answers only to the bot's own names (PUBLIC_URL's, loopback, HOST) and refuses any browser Origin but the
 * bot's own. A bearer token is never sent by a browser on its own, so this is a second wall, not the first.
 */
export function dnsRebindingRefusal(req: IncomingMessage, publicUrl: string, listenHost: string): string | null {
  const own = new URL(publicUrl);
  const hosts = new Set([own.hostname, ...LOOPBACK]);
  if (!ANY_ADDRESS.has(listenHost)) hosts.add(listenHost.includes(':') ? `[${listenHost}]` : listenHost);
  let hostname: string | null = null;
  try {
    hostname = req.headers.host ? new URL(`http://${req.headers.host}`).hostname : null;
  } catch {
    hostname = null;
  }
  if (!hostname || !hosts.has(hostname)) return `This server does not answer to the host name ${hostname ?? '(none)'}.`;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== own.origin)
    return 'Requests from web pages of another origin are refused (DNS rebinding protection).';
  return null;
}

/**
 * Which agent makes a call. Stateless mode keeps nothing between requests, and only `initialize` carries
 * the client's name (clientInfo), so: the `X-Access-Agent` header (as the request API reads it, `declared`)
 * when the client sends one (docs/cli.md asks every HTTP client to), else clientInfo on initialize, else the
 * User-Agent, else "unnamed MCP client". Whatever it is, it is a declared label; the token decides whose
 * access it is.
 */
export function agentNameOf(req: IncomingMessage, body: unknown, declared: string | null): string {
  const fromHeader = cleanAgentName(declared);
  if (fromHeader) return fromHeader;
  const message = body as { method?: unknown; params?: { clientInfo?: { name?: unknown } } } | null;
  if (message && message.method === 'initialize') {
    const fromClient = agentOf(message.params?.clientInfo);
    if (fromClient) return fromClient;
  }
  return cleanAgentName(req.headers['user-agent']) ?? UNNAMED_AGENT;
}

/**
 * `/mcp`: the MCP server over streamable HTTP, acting as the person whose personal token comes with each
 * request. Stateless (a new server and transport per POST, no session id), so any replica answers any call;
 * GET (a standalone SSE stream) and DELETE (ending a session) therefore have nothing to do: 405, as the
 * SDK's stateless examples answer.
 */
export function mcpRoutes(deps: McpRouteDeps): Route[] {
  const limits = deps.limits ?? REQUEST_API_LIMITS;
  const calls = createRateLimiter(limits.calls);
  const creates = createRateLimiter(limits.creates);
  // A request_access past the creation limit is the tool's refusal, in a sentence the agent can relay.
  const limited = (api: AccessApi, tokenId: string): AccessApi => ({
    ...api,
    create: (body, key) => {
      const taken = creates.take(tokenId);
      if (!taken.ok)
        throw new ApiError(429, {
          error: 'rate_limited',
          message: `Too many new requests with this token (at most ${limits.creates.perMinute} a minute); try again in ${taken.retryAfterSeconds} s.`,
        });
      return api.create(body, key);
    },
  });
  const notAllowed = (_req: IncomingMessage, res: ServerResponse) =>
    jsonRpcError(res, 405, -32000, 'Method not allowed: this MCP server is stateless; send POST.', { allow: 'POST' });

  const post = async (req: IncomingMessage, res: ServerResponse) => {
    const refusal = dnsRebindingRefusal(req, deps.publicUrl(), deps.listenHost);
    if (refusal) {
      req.pause();
      return jsonRpcError(res, 403, -32000, refusal, { connection: 'close' });
    }
    const person = await deps.authenticate(req, res);
    if (!person) return;
    const taken = calls.take(person.tokenId);
    if (!taken.ok) {
      req.pause();
      const message = `Too many calls with this token (at most ${limits.calls.perMinute} a minute); try again in ${taken.retryAfterSeconds} s.`;
      return jsonRpcError(res, 429, -32000, message, {
        'retry-after': String(taken.retryAfterSeconds),
        connection: 'close',
      });
    }
    const raw = await readBody(req, res, MAX_MCP_BODY);
    if (!raw) return;
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return jsonRpcError(res, 400, -32700, 'Parse error: the body is not JSON.');
    }
    const principal: ApiPrincipal = {
      userId: person.userId,
      tokenId: person.tokenId,
      channel: 'mcp',
      agent: agentNameOf(req, body, person.agent),
    };
    const logger = deps.logger.child({
      mcp: true,
      slack_user: principal.userId,
      token_id: principal.tokenId,
      agent: principal.agent,
    });
    const server = createAccessMcpServer(limited(deps.apiFor(principal), principal.tokenId), logger);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  return [
    { method: 'POST', path: '/mcp', handler: post },
    { method: 'GET', path: '/mcp', handler: notAllowed },
    { method: 'DELETE', path: '/mcp', handler: notAllowed },
  ];
}
