import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { ApiError, bundlePickOf, type ApiErrorBody } from '../domain/request-api.js';
import type { RequestStatus } from '../domain/request-lifecycle.js';
import type { PersonApi, RequestApiFactory } from '../services/request-api.js';
import { sendJson } from './json-response.js';
import { authenticatePerson, refuse, type AuthenticatedPerson, type TokenVerifier } from './person-auth.js';
import { createRateLimiter, type RateLimit } from './rate-limit.js';
import { readBody, sizeText } from './request-body.js';
import type { Route } from './server.js';

/** Request bodies are a few hundred bytes; an SSH public key is the largest part. */
export const REQUEST_API_BODY_LIMIT = 16 * 1024;

/** Per personal token, per replica: every call (a long poll counts once), and what creates requests on top. */
export const REQUEST_API_LIMITS: { calls: RateLimit; creates: RateLimit } = {
  calls: { perMinute: 120, burst: 120 },
  creates: { perMinute: 10, burst: 10 },
};

interface Call {
  api: PersonApi;
  person: AuthenticatedPerson;
  id: string;
  url: URL;
  body: unknown;
  req: IncomingMessage;
  res: ServerResponse;
}

interface Endpoint {
  method: 'GET' | 'POST';
  /** As the OpenAPI document writes it (`{id}` for the request's id). */
  path: string;
  /** Counts against the creation limit too. */
  creates?: boolean;
  run(call: Call): Promise<[number, unknown]>;
}

const header = (req: IncomingMessage, name: string) => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};

function intParam(url: URL, name: string, fallback: number | undefined): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d{1,6}$/.test(raw)) throw new ApiError(400, invalid(name, 'Use a whole number.'));
  return Number(raw);
}
const invalid = (field: string, sentence: string): ApiErrorBody => ({
  error: 'invalid_input',
  message: `${field}: ${sentence}`,
  fields: { [field]: sentence },
});
const statusParam = (url: URL) => (url.searchParams.get('status') || undefined) as RequestStatus | undefined;

/** Every route of the request API: the dispatcher's table, and what the OpenAPI test holds the document to. */
export const ENDPOINTS: readonly Endpoint[] = [
  {
    method: 'GET',
    path: '/api/v1/requestable',
    run: async (c) => [200, { resources: await c.api.requestable(), bundles: await c.api.bundles() }],
  },
  {
    method: 'POST',
    path: '/api/v1/requests',
    creates: true,
    run: async (c) => {
      const requests = await c.api.create(c.body as never, header(c.req, 'idempotency-key'));
      // A bundle pick: its parts together, as its requester's bundle DM lists them.
      const bundle = bundlePickOf(requests);
      return [201, { requests, ...(bundle ? { bundle } : {}) }];
    },
  },
  {
    method: 'GET',
    path: '/api/v1/requests',
    run: async (c) => {
      const limit = intParam(c.url, 'limit', undefined);
      const status = statusParam(c.url);
      return [200, { requests: await c.api.listMine({ ...(status ? { status } : {}), ...(limit ? { limit } : {}) }) }];
    },
  },
  { method: 'GET', path: '/api/v1/requests/{id}', run: async (c) => [200, await c.api.get(c.id)] },
  { method: 'POST', path: '/api/v1/requests/{id}/cancel', run: async (c) => [200, await c.api.cancel(c.id)] },
  { method: 'POST', path: '/api/v1/requests/{id}/release', run: async (c) => [200, await c.api.release(c.id)] },
  {
    method: 'POST',
    path: '/api/v1/requests/{id}/extend',
    creates: true,
    run: async (c) => [201, await c.api.extend(c.id, c.body as never, header(c.req, 'idempotency-key'))],
  },
  {
    method: 'GET',
    path: '/api/v1/requests/{id}/wait',
    run: async (c) => {
      // The client hanging up ends the wait: nobody is left to answer.
      const gone = new AbortController();
      c.res.on('close', () => gone.abort());
      const status = statusParam(c.url);
      const timeoutSeconds = intParam(c.url, 'timeout', undefined);
      return [
        200,
        await c.api.wait(c.id, {
          ...(status ? { status } : {}),
          ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
          signal: gone.signal,
        }),
      ];
    },
  },
  {
    method: 'GET',
    path: '/api/v1/me',
    run: async (c) => [
      200,
      {
        user: await c.api.whoAmI(),
        token: {
          id: c.person.tokenId,
          name: c.person.tokenName,
          expires_at: c.person.tokenExpiresAt.toISOString(),
        },
      },
    ],
  },
];

const patterns = ENDPOINTS.map((e) => ({
  endpoint: e,
  regex: new RegExp(`^${e.path.replace('{id}', '([^/]{1,64})')}$`),
}));

/** The id as sent; one that does not decode reads as unknown (the service finds no such request). */
const decoded = (raw: string) => {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
};

function match(method: string, path: string): { endpoint: Endpoint; id: string } | 'wrong_method' | null {
  let wrongMethod = false;
  for (const p of patterns) {
    const m = p.regex.exec(path);
    if (!m) continue;
    if (p.endpoint.method === method) return { endpoint: p.endpoint, id: decoded(m[1] ?? '') };
    wrongMethod = true;
  }
  return wrongMethod ? 'wrong_method' : null;
}

/**
 * The request API over HTTP (docs/api.md), thin over services/request-api.ts: a personal token, the
 * client's declared channel and agent, per-token rate limits, bodies capped while read, and every refusal
 * an ApiErrorBody with a code and a sentence.
 */
export function requestApiRoutes(input: {
  tokens: TokenVerifier;
  api: RequestApiFactory;
  logger: Logger;
  limits?: typeof REQUEST_API_LIMITS;
}): Route[] {
  const limits = input.limits ?? REQUEST_API_LIMITS;
  const calls = createRateLimiter(limits.calls);
  const creates = createRateLimiter(limits.creates);

  const handler = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const found = match(req.method ?? 'GET', url.pathname);
    if (found === null || found === 'wrong_method')
      return refuse(req, res, found ? 405 : 404, {
        error: found ? 'method_not_allowed' : 'not_found',
        message: found
          ? `${req.method} is not how ${url.pathname} is called; see /api/openapi.json.`
          : 'There is no such route of the request API; see /api/openapi.json.',
      });
    const person = await authenticatePerson(req, res, input.tokens);
    if (!person) return;
    for (const [bucket, what] of [
      [calls, 'calls'],
      ...(found.endpoint.creates ? [[creates, 'new requests'] as const] : []),
    ] as const) {
      const taken = bucket.take(person.tokenId);
      if (!taken.ok)
        return refuse(
          req,
          res,
          429,
          {
            error: 'rate_limited',
            message: `Too many ${what} with this token (at most ${what === 'calls' ? limits.calls.perMinute : limits.creates.perMinute} a minute); try again in ${taken.retryAfterSeconds} s.`,
          },
          { 'retry-after': String(taken.retryAfterSeconds) },
        );
    }
    let body: unknown = undefined;
    if (req.method === 'POST') {
      const raw = await readBody(req, res, REQUEST_API_BODY_LIMIT);
      if (!raw) return;
      if (found.endpoint.path.endsWith('/cancel') || found.endpoint.path.endsWith('/release')) body = undefined;
      else {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          return sendJson(res, 400, {
            error: 'invalid_input',
            message: `Send the body as JSON (at most ${sizeText(REQUEST_API_BODY_LIMIT)}).`,
          });
        }
      }
    }
    try {
      const [status, answer] = await found.endpoint.run({
        api: input.api(person),
        person,
        id: found.id,
        url,
        body,
        req,
        res,
      });
      if (!res.writableEnded) sendJson(res, status, answer);
    } catch (error) {
      if (res.writableEnded) return;
      if (error instanceof ApiError) return sendJson(res, error.status, error.body);
      input.logger.error({ err: error, path: found.endpoint.path, token_id: person.tokenId }, 'request API failed');
      sendJson(res, 500, {
        error: 'internal_error',
        message: "Something went wrong on the bot's side, and it has been logged. Try again in a moment.",
      });
    }
  };

  return [
    { method: 'GET', path: '/api/v1/requestable', handler },
    { method: 'GET', path: '/api/v1/requests', handler },
    { method: 'POST', path: '/api/v1/requests', handler },
    { method: 'GET', path: '/api/v1/requests/*', handler },
    { method: 'POST', path: '/api/v1/requests/*', handler },
    { method: 'GET', path: '/api/v1/me', handler },
  ];
}
