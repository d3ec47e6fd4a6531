import type { Logger } from 'pino';
import { z } from 'zod';
import { isAppError } from '../domain/errors.js';
import type { ApiErrorBody } from '../domain/request-api.js';
import type { DeviceLoginService } from '../services/device-login-service.js';
import { sendJson } from './json-response.js';
import { refuse as refuseNow } from './person-auth.js';
import { createRateLimiter, type RateLimit } from './rate-limit.js';
import { readBody } from './request-body.js';
import type { Route } from './server.js';

/** An ID token is a few KiB at most; the name a line. */
export const EXCHANGE_BODY_LIMIT = 16 * 1024;

/**
 * Exchanges per client address and replica: a person logs in about once a week, so this only ever stops
 * someone trying ID tokens in bulk (each costs a signature check). Behind a proxy every client shares the
 * proxy's address, hence room for a busy morning.
 */
export const EXCHANGE_LIMIT: RateLimit = { perMinute: 30, burst: 30 };

/** The routes here, as the OpenAPI document names them (http/openapi.ts; its test holds the two together). */
export const DEVICE_LOGIN_PATHS = ['/api/v1/login', '/api/v1/tokens/exchange'] as const;

const ExchangeSchema = z.object({
  id_token: z.string().min(1).max(12_000),
  name: z.string().max(200).optional(),
});

const refuse = (status: number, body: ApiErrorBody) => ({ status, body });

/**
 * The CLI's device login, the two endpoints that need no token (docs/identity.md):
 * GET /api/v1/login says how the CLI may log in here (a pasted token always; the company identity provider
 * where OIDC_CLI_CLIENT_ID is set), POST /api/v1/tokens/exchange trades the ID token the CLI got from that
 * provider for a personal token of the linked Slack person (201, the secret shown this once).
 */
export function deviceLoginRoutes(service: DeviceLoginService, logger: Logger, limit = EXCHANGE_LIMIT): Route[] {
  const exchanges = createRateLimiter(limit);
  return [
    {
      method: 'GET',
      path: '/api/v1/login',
      handler: async (_req, res) => sendJson(res, 200, await service.methods()),
    },
    {
      method: 'POST',
      path: '/api/v1/tokens/exchange',
      handler: async (req, res) => {
        const taken = exchanges.take(req.socket.remoteAddress ?? 'unknown');
        if (!taken.ok)
          return refuseNow(
            req,
            res,
            429,
            {
              error: 'rate_limited',
              message: `Too many token exchanges from this address; try again in ${taken.retryAfterSeconds} s.`,
            },
            { 'retry-after': String(taken.retryAfterSeconds) },
          );
        const raw = await readBody(req, res, EXCHANGE_BODY_LIMIT);
        if (!raw) return;
        let parsed: z.infer<typeof ExchangeSchema>;
        try {
          parsed = ExchangeSchema.parse(JSON.parse(raw.toString('utf8')));
        } catch {
          return sendJson(res, 400, {
            error: 'invalid_input',
            message: 'Send JSON {"id_token": "…"}: the ID token the identity provider issued to the CLI.',
            fields: { id_token: 'The ID token is missing or not a string.' },
          } satisfies ApiErrorBody);
        }
        try {
          return sendJson(res, 201, await service.exchange(parsed.id_token, parsed.name ?? null));
        } catch (error) {
          if (!isAppError(error)) throw error;
          const reason = typeof error.details?.reason === 'string' ? error.details.reason : error.message;
          const answer =
            error.code === 'oidc_not_configured'
              ? refuse(404, { error: 'device_login_not_configured', message: reason })
              : error.code === 'sign_in_failed'
                ? refuse(401, { error: 'invalid_id_token', message: reason })
                : error.code === 'not_linked'
                  ? refuse(403, { error: 'not_linked', message: reason })
                  : error.details?.replayed === true
                    ? refuse(409, { error: 'id_token_used', message: reason })
                    : refuse(403, { error: error.code, message: reason });
          // Who tried, never the token: the subject names the company identity an admin can look up.
          logger.info({ error: answer.body.error, subject: error.details?.subject ?? null }, 'device login refused');
          return sendJson(res, answer.status, answer.body);
        }
      },
    },
  ];
}
