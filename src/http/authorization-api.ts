import { z } from 'zod';
import type { AuthorizationIndex } from '../services/authorization-index.js';
import { requireApiKey, type KeyVerifier } from './api-key-auth.js';
import { sendJson } from './json-response.js';
import { readBody } from './request-body.js';
import type { Route } from './server.js';

const MAX_BODY = 16 * 1024;
const AuthorizeSchema = z.object({
  user: z.string().min(1).max(320),
  resource: z.string().min(1).max(64),
});

const send = sendJson;

/**
 * POST /api/v1/authorize {user, resource} -> {allowed, grant?}; GET /api/v1/grants?active=true.
 * `Authorization: Bearer <API key>` only; bodies over 16 KiB get 413. Answers come from the in-memory index: no database round trip per decision.
 */
export function authorizationRoutes(index: AuthorizationIndex, keys: KeyVerifier): Route[] {
  return [
    {
      path: '/api/v1/authorize',
      method: 'POST',
      handler: async (req, res) => {
        if (!requireApiKey(req, res, keys)) return;
        const raw = await readBody(req, res, MAX_BODY);
        if (raw === null) return;
        let body: unknown;
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          return send(res, 400, {
            error: 'invalid_json',
            message: 'The body must be JSON: {"user": "U0123 or e-mail", "resource": "prod-db"}.',
          });
        }
        const parsed = AuthorizeSchema.safeParse(body);
        if (!parsed.success)
          return send(res, 400, {
            error: 'invalid_request',
            message: 'Give "user" (a Slack user id or e-mail) and "resource" (a resource name).',
          });
        const decision = index.decide(parsed.data.user, parsed.data.resource);
        send(res, 200, {
          allowed: decision.allowed,
          ...(decision.reason ? { reason: decision.reason } : {}),
          ...(decision.grant
            ? {
                grant: {
                  id: decision.grant.id,
                  request_id: decision.grant.requestId,
                  user: decision.grant.user,
                  resource: decision.grant.resource,
                  expires_at: decision.grant.expiresAt,
                  policy: decision.grant.policy,
                },
              }
            : {}),
        });
      },
    },
    {
      path: '/api/v1/grants',
      method: 'GET',
      handler: async (req, res, url) => {
        if (!requireApiKey(req, res, keys)) return;
        const active = url.searchParams.get('active');
        if (active !== 'true')
          return send(res, 400, {
            error: 'invalid_request',
            message: 'Only active grants are served here: add ?active=true.',
          });
        send(res, 200, {
          grants: index.list().map((g) => ({
            id: g.id,
            request_id: g.requestId,
            user: g.user,
            expires_at: g.expiresAt,
            resources: g.resources,
          })),
        });
      },
    },
  ];
}
