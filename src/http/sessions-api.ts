import { z } from 'zod';
import { isAppError } from '../domain/errors.js';
import { asciicastProblem, type SessionService } from '../services/session-service.js';
import { requireApiKey, type KeyVerifier } from './api-key-auth.js';
import { sendJson } from './json-response.js';
import { readBody } from './request-body.js';
import type { Route } from './server.js';

export const MAX_SESSION_BODY = 5 * 1024 * 1024;
export const MAX_EVENTS = 50_000;
export const MAX_EVENT_TEXT = 10_000;
export const MAX_RECORDING_BYTES = 5 * 1024 * 1024;

const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// PostgreSQL text cannot hold NUL; refusing it here beats a 500 from the insert.
const noNul = (s: string) => !s.includes('\u0000');

const IsoTime = z.iso.datetime({
  offset: true,
  error: 'must be an ISO 8601 date-time with a time zone, like 2024-05-01T12:00:00Z',
});

const SessionBody = z.object({
  user: z
    .string()
    .max(320)
    .refine((v) => SLACK_USER.test(v) || EMAIL.test(v), 'must be a Slack user id like U012ABCDEF or an e-mail address'),
  resource: z.string().min(1, 'must name a resource').max(64, 'may be at most 64 characters'),
  started_at: IsoTime,
  ended_at: IsoTime.optional(),
  client_address: z.string().min(1).max(100, 'may be at most 100 characters').optional(),
  grant_id: z
    .string()
    .regex(/^grt_[0-9a-z]{6,20}$/, 'must be a grant id like grt_7f3k2m9x4q')
    .optional(),
  external_id: z.string().min(1, 'must not be empty').max(200, 'may be at most 200 characters').optional(),
  events: z
    .array(
      z.object({
        at: IsoTime,
        type: z.enum(['command', 'query'], { error: 'must be "command" or "query"' }),
        text: z
          .string()
          .max(MAX_EVENT_TEXT, `may be at most ${MAX_EVENT_TEXT} characters`)
          .refine(noNul, 'must not contain NUL characters'),
      }),
    )
    .max(MAX_EVENTS, `may hold at most ${MAX_EVENTS} events`)
    .optional(),
  recording: z
    .string()
    .refine((v) => Buffer.byteLength(v, 'utf8') <= MAX_RECORDING_BYTES, `may be at most ${MAX_RECORDING_BYTES} bytes`)
    .optional(),
});

const EXAMPLE =
  '{"user": "U012ABCDEF or e-mail", "resource": "prod-db", "started_at": "2024-05-01T12:00:00Z", "events": [{"at": "…", "type": "command", "text": "ls"}]}';

function fieldName(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/** The first problem of a body, as one sentence naming the field. */
function problemOf(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const name = fieldName(issue.path) || 'body';
  if (issue.code === 'invalid_type' && issue.input === undefined) return `"${name}" is required.`;
  if (issue.code === 'invalid_type')
    return `"${name}" has the wrong type (${issue.message.replace(/^Invalid input: /, '')}).`;
  return `"${name}" ${issue.message}.`;
}

const send = sendJson;

/**
 * POST /api/v1/sessions: a gateway or bastion reports a session (who, which resource, when, from where,
 * the commands or queries, optionally an asciicast v2 recording). Bearer API keys, as for /authorize.
 * The session is linked to the grant that allowed it; one no grant covers is kept and flagged.
 */
export function sessionRoutes(sessions: Pick<SessionService, 'recordSession'>, keys: KeyVerifier): Route[] {
  return [
    {
      path: '/api/v1/sessions',
      method: 'POST',
      handler: async (req, res) => {
        const keyId = requireApiKey(req, res, keys);
        if (!keyId) return;
        const raw = await readBody(req, res, MAX_SESSION_BODY);
        if (raw === null) return;
        const text = raw.toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          return send(res, 400, { error: 'invalid_json', message: `The body must be JSON, like ${EXAMPLE}.` });
        }
        const parsed = SessionBody.safeParse(json);
        if (!parsed.success) return send(res, 400, { error: 'invalid_request', message: problemOf(parsed.error) });
        const body = parsed.data;
        const startedAt = new Date(body.started_at);
        const endedAt = body.ended_at ? new Date(body.ended_at) : null;
        if (endedAt && endedAt < startedAt)
          return send(res, 400, { error: 'invalid_request', message: '"ended_at" must not be before "started_at".' });
        if (body.recording !== undefined) {
          const problem = asciicastProblem(body.recording);
          if (problem) return send(res, 400, { error: 'invalid_recording', message: problem });
        }
        try {
          const result = await sessions.recordSession(
            {
              user: body.user,
              resource: body.resource,
              startedAt,
              endedAt,
              clientAddress: body.client_address ?? null,
              grantId: body.grant_id ?? null,
              externalId: body.external_id ?? null,
              events: (body.events ?? []).map((e) => ({ at: new Date(e.at), type: e.type, text: e.text })),
              recording: body.recording ?? null,
            },
            'api',
            `api-key:${keyId}`,
          );
          send(res, result.created ? 201 : 200, {
            session_id: result.sessionId,
            grant_id: result.grantId,
            request_id: result.requestId,
            finding: result.finding,
          });
        } catch (error) {
          if (isAppError(error) && error.code === 'invalid_input')
            return send(res, 400, { error: 'invalid_request', message: error.message });
          throw error;
        }
      },
    },
  ];
}
