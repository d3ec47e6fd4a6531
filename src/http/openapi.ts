import { REQUEST_STATUSES } from '../domain/request-lifecycle.js';
import { LIST_MAX, WAIT_DEFAULT_SECONDS, WAIT_MAX_SECONDS } from '../services/request-api.js';
import { EXCHANGE_BODY_LIMIT } from './device-login-routes.js';
import { sendJson } from './json-response.js';
import { REQUEST_API_BODY_LIMIT, REQUEST_API_LIMITS } from './requests-api.js';
import type { Route } from './server.js';
import { ref, schemas } from './openapi-schemas.js';

/**
 * The request API's OpenAPI 3.1 document (GET /api/openapi.json, no token needed): every route of
 * http/requests-api.ts and the CLI's two login routes (http/device-login-routes.ts), the bearer scheme, the headers and every JSON shape of domain/request-api.ts.
 * test/request-api-http.test.ts validates every answer the tests get against these schemas and checks
 * that every route the server has is here.
 */
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const error = (description: string) => ({ description, ...json(ref('ApiError')) });
const ERRORS = {
  '400': error('invalid_input: a sentence, and one per field in `fields`.'),
  '401': {
    ...error('unauthorized: no live personal token (revoked, expired, its owner deactivated).'),
    headers: { 'WWW-Authenticate': { schema: { type: 'string' } } },
  },
  '403': error('not_allowed: the person may not do this (a guest, a deactivated account, an identity not linked).'),
  '404': error('not_found: no such request among yours (someone else’s reads the same).'),
  '429': {
    ...error('rate_limited: too many calls with this token.'),
    headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait.' } },
  },
  '500': error('internal_error: logged on the bot’s side.'),
};
const CONFLICT = { '409': error('already_decided, not_active, or an extension already waiting.') };
const TOO_LARGE = { '413': error(`too_large: the body is over ${REQUEST_API_BODY_LIMIT / 1024} KiB.`) };

const param = (name: string, where: 'header' | 'query' | 'path', schema: unknown, description: string) => ({
  name,
  in: where,
  required: where === 'path',
  schema,
  description,
});
const CLIENT_HEADERS = [{ $ref: '#/components/parameters/Channel' }, { $ref: '#/components/parameters/Agent' }];
const ID = param('id', 'path', { type: 'string' }, 'The request id (`req_…`).');
const IDEMPOTENCY = param(
  'Idempotency-Key',
  'header',
  { type: 'string', maxLength: 200 },
  'Sent again with the same key, the call answers what the first one made instead of making more.',
);
const STATUS = param('status', 'query', { enum: [...REQUEST_STATUSES] }, 'Only requests in this status.');

const op = (summary: string, extra: Record<string, unknown>) => ({
  summary,
  parameters: CLIENT_HEADERS,
  ...extra,
});
const ok = (status: string, description: string, schema: unknown) => ({ [status]: { description, ...json(schema) } });

export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'Access requests: the request API',
    version: '1',
    description: `Ask for just-in-time access as yourself, outside Slack (the CLI and MCP use this too); people still approve in Slack. Authenticate with a personal token from \`/access token create\`. Rate limits per token and replica: ${REQUEST_API_LIMITS.calls.perMinute} calls a minute (a long poll counts once), ${REQUEST_API_LIMITS.creates.perMinute} new requests or extensions a minute.`,
  },
  security: [{ personalToken: [] }],
  paths: {
    '/api/v1/requestable': {
      get: op('What you may request, with the rules of each resource’s flow, and the bundles you may pick', {
        responses: { ...ok('200', 'The resources and bundles', ref('RequestableList')), ...ERRORS },
      }),
    },
    '/api/v1/requests': {
      post: op('Request access, or a bundle (one request per flow the resources go through)', {
        parameters: [...CLIENT_HEADERS, IDEMPOTENCY],
        requestBody: { required: true, ...json(ref('CreateRequest')) },
        responses: {
          ...ok('201', 'The requests made, and the bundle pick they make up', ref('CreatedRequests')),
          ...ERRORS,
          ...TOO_LARGE,
        },
      }),
      get: op('Your requests, newest first', {
        parameters: [
          ...CLIENT_HEADERS,
          STATUS,
          param('limit', 'query', { type: 'integer', minimum: 1, maximum: LIST_MAX }, 'At most this many (20).'),
        ],
        responses: { ...ok('200', 'Your requests', ref('RequestList')), ...ERRORS },
      }),
    },
    '/api/v1/requests/{id}': {
      get: op('One of your requests', {
        parameters: [...CLIENT_HEADERS, ID],
        responses: { ...ok('200', 'The request', ref('Request')), ...ERRORS },
      }),
    },
    '/api/v1/requests/{id}/cancel': {
      post: op('Withdraw a pending request', {
        parameters: [...CLIENT_HEADERS, ID],
        responses: { ...ok('200', 'The request, cancelled', ref('Request')), ...ERRORS, ...CONFLICT, ...TOO_LARGE },
      }),
    },
    '/api/v1/requests/{id}/release': {
      post: op('End your active access early', {
        parameters: [...CLIENT_HEADERS, ID],
        responses: { ...ok('200', 'The request, ended', ref('Request')), ...ERRORS, ...CONFLICT, ...TOO_LARGE },
      }),
    },
    '/api/v1/requests/{id}/extend': {
      post: op('Ask for more time on an active access (approved in Slack, through the same flow)', {
        parameters: [...CLIENT_HEADERS, ID, IDEMPOTENCY],
        requestBody: { required: true, ...json(ref('ExtendRequest')) },
        responses: {
          ...ok('201', 'The extension request', ref('Request')),
          ...ERRORS,
          ...CONFLICT,
          ...TOO_LARGE,
        },
      }),
    },
    '/api/v1/requests/{id}/wait': {
      get: op('Wait for a decision (long poll)', {
        parameters: [
          ...CLIENT_HEADERS,
          ID,
          param(
            'status',
            'query',
            { enum: [...REQUEST_STATUSES] },
            'The status to wait out (default: the current one).',
          ),
          param(
            'timeout',
            'query',
            { type: 'integer', minimum: 0, maximum: WAIT_MAX_SECONDS },
            `Seconds to wait at most (default ${WAIT_DEFAULT_SECONDS}, at most ${WAIT_MAX_SECONDS}).`,
          ),
        ],
        responses: { ...ok('200', 'The request as it stands', ref('Wait')), ...ERRORS },
      }),
    },
    '/api/v1/login': {
      get: {
        summary:
          'How the CLI may log in here: a personal token always, the company identity provider (device grant) where set up',
        security: [],
        responses: { ...ok('200', 'The login methods', ref('LoginMethods')) },
      },
    },
    '/api/v1/tokens/exchange': {
      post: {
        summary:
          'Trade an ID token from the CLI’s device login for a personal token of the linked Slack person (7 days)',
        security: [],
        requestBody: { required: true, ...json(ref('TokenExchange')) },
        responses: {
          ...ok('201', 'The personal token', ref('TokenExchanged')),
          '400': error('invalid_input: no ID token in the body.'),
          '401': error('invalid_id_token: not a fresh ID token for the CLI’s client from the provider.'),
          '403': error(
            'not_linked: the company identity is linked to nobody (/access link); or the person may not hold a token.',
          ),
          '404': error('device_login_not_configured: OIDC_CLI_CLIENT_ID is not set.'),
          '409': error('id_token_used: this ID token bought a token already.'),
          '413': error(`too_large: the body is over ${EXCHANGE_BODY_LIMIT / 1024} KiB.`),
          '429': ERRORS['429'],
        },
      },
    },
    '/api/v1/me': {
      get: op('Who this token belongs to', {
        responses: { ...ok('200', 'You and the token', ref('Me')), ...ERRORS },
      }),
    },
  },
  components: {
    securitySchemes: {
      personalToken: {
        type: 'http',
        scheme: 'bearer',
        description: 'A personal token, `ark_pat_…`, from `/access token create` in Slack (or the CLI’s login).',
      },
    },
    parameters: {
      Channel: param(
        'X-Access-Channel',
        'header',
        { enum: ['api', 'cli', 'mcp'] },
        'What the client is (default api).',
      ),
      Agent: param(
        'X-Access-Agent',
        'header',
        { type: 'string', maxLength: 64 },
        'The AI agent acting for you: shown to approvers and written to the audit trail.',
      ),
    },
    schemas,
  },
} as const;

export function openApiRoute(): Route {
  return { method: 'GET', path: '/api/openapi.json', handler: (_req, res) => sendJson(res, 200, OPENAPI_DOCUMENT) };
}
