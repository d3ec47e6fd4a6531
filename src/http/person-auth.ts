import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_AGENT_NAME, type ApiErrorBody, type ApiPrincipal } from '../domain/request-api.js';
import type { PersonalTokenService } from '../services/personal-token-service.js';

export type TokenVerifier = Pick<PersonalTokenService, 'verify'>;

/** The person behind a request, with what the token's owner may want to see of it (`GET /api/v1/me`). */
export interface AuthenticatedPerson extends ApiPrincipal {
  tokenName: string;
  tokenExpiresAt: Date;
}

const API_CHANNELS = ['api', 'cli', 'mcp'] as const;
/** An agent's name is shown to approvers and written to the audit trail: one short printable line. */
const AGENT = new RegExp(`^[\\x20-\\x7e\\u00a0-\\u024f]{1,${MAX_AGENT_NAME}}$`);

/** Answers with an ApiErrorBody without reading the body (the connection closes, so Node never reads it). */
export function refuse(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: ApiErrorBody,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  req.pause();
  res.writeHead(status, {
    'content-type': 'application/json',
    connection: 'close',
    'cache-control': 'no-store',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

const single = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(',') : v);

/**
 * The person a request to the request API acts for, or null after answering. One form is accepted,
 * `Authorization: Bearer ark_pat_…` (RFC 6750): anything else, a revoked or expired token, or the token
 * of someone Slack says is deactivated is 401 with a sentence and `WWW-Authenticate`. What the client
 * declares of itself (`X-Access-Channel: api|cli|mcp`, `X-Access-Agent: <name>`) is recorded on the
 * requests it makes and shown to approvers; a value outside those forms is 400, never guessed at.
 */
export async function authenticatePerson(
  req: IncomingMessage,
  res: ServerResponse,
  tokens: TokenVerifier,
): Promise<AuthenticatedPerson | null> {
  const holder = await tokens.verify(req.headers.authorization);
  if (!holder) {
    const given = req.headers.authorization !== undefined;
    refuse(
      req,
      res,
      401,
      {
        error: 'unauthorized',
        message: given
          ? 'That is not a live personal token in the accepted form: send "Authorization: Bearer ark_pat_…". Tokens expire, can be revoked, and stop working when their owner leaves; make a new one with /access token create in Slack.'
          : 'Send your personal token as "Authorization: Bearer ark_pat_…" (make one with /access token create in Slack).',
      },
      {
        'www-authenticate': given
          ? 'Bearer realm="access-requests", error="invalid_token"'
          : 'Bearer realm="access-requests"',
      },
    );
    return null;
  }
  const channel = single(req.headers['x-access-channel'])?.trim().toLowerCase() || 'api';
  if (!(API_CHANNELS as readonly string[]).includes(channel)) {
    refuse(req, res, 400, {
      error: 'invalid_input',
      message: 'X-Access-Channel says what the client is: api, cli or mcp (api when left out).',
      fields: { 'X-Access-Channel': 'Use api, cli or mcp.' },
    });
    return null;
  }
  const declared = single(req.headers['x-access-agent']);
  const agent = declared?.trim() ? declared.trim() : null;
  if (agent !== null && !AGENT.test(agent)) {
    refuse(req, res, 400, {
      error: 'invalid_input',
      message: 'X-Access-Agent names the AI agent acting for you: one line of printable text, up to 64 characters.',
      fields: { 'X-Access-Agent': 'One line of printable text, 1 to 64 characters.' },
    });
    return null;
  }
  return {
    userId: holder.userId,
    tokenId: holder.tokenId,
    channel: channel as ApiPrincipal['channel'],
    agent,
    tokenName: holder.name,
    tokenExpiresAt: holder.expiresAt,
  };
}
