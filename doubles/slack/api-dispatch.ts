import type { CallGate } from './call-gate.js';
import { DIRECTORY_METHODS } from './directory-methods.js';
import { MESSAGE_METHODS } from './fake-slack-methods.js';
import { VIEW_METHODS } from './fake-slack-views.js';
import { checkArgs, type MethodHandler } from './method-args.js';
import { missingScope } from './scopes.js';
import { SlackApiError, type SlackState } from './state.js';

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
  /** What the call log records: `ok`, or the error code (`ratelimited`, `http_500`…). */
  ok: boolean;
  error?: string;
  /** Sent as Retry-After with a 429. */
  retryAfterSec?: number;
}

export interface ApiContext {
  state: SlackState;
  gate: CallGate;
  /** Socket Mode: the app-level token apps.connections.open accepts, and the WebSocket URL it hands out. */
  socketMode: { appToken: string; url: () => string } | null;
}

/** Every Web API method the double serves, joined here so the tables need not know each other. */
export const METHODS: Record<string, MethodHandler> = { ...MESSAGE_METHODS, ...DIRECTORY_METHODS, ...VIEW_METHODS };

const failed = (error: string, extra: Record<string, unknown> = {}): ApiAnswer => ({
  status: 200,
  body: { ok: false, error, ...extra },
  ok: false,
  error,
});

/**
 * One Web API call as Slack answers it (platform doc §3): HTTP 200 with `ok:false` and an error code
 * for refusals, in Slack's order of checks: a known method, a parseable body, a valid token, its
 * scopes, rate limits and injected faults, the arguments (method-args.ts), then the method itself.
 */
export function answerApiCall(
  ctx: ApiContext,
  method: string,
  args: Record<string, unknown>,
  token: string | undefined,
  parseError: string | undefined,
): ApiAnswer {
  const { state } = ctx;
  if (method === 'apps.connections.open') {
    // App-level tokens only (doc §6): a bot token is the wrong type, an unknown one is not authed.
    if (!token) return failed('not_authed');
    if (token === state.botToken) return failed('not_allowed_token_type');
    if (!ctx.socketMode || token !== ctx.socketMode.appToken) return failed('invalid_auth');
    return { status: 200, body: { ok: true, url: ctx.socketMode.url() }, ok: true };
  }
  const handler = METHODS[method];
  if (!handler) return failed('unknown_method');
  if (parseError) return failed(parseError);
  if (!token) return failed('not_authed');
  if (token !== state.botToken) return failed('invalid_auth');
  const scope = missingScope(method, state.scopes);
  if (scope) return failed('missing_scope', scope);
  const fault = ctx.gate.take(method, args);
  if (fault) {
    if ('error' in fault) return failed(fault.error);
    if (fault.status === 429)
      return {
        status: 429,
        body: { ok: false, error: 'ratelimited' },
        ok: false,
        error: 'ratelimited',
        retryAfterSec: fault.retryAfterSec,
      };
    return { status: 500, body: { ok: false, error: 'internal_error' }, ok: false, error: 'http_500' };
  }
  try {
    checkArgs(method, args);
    return { status: 200, body: { ok: true, ...handler(state, args) }, ok: true };
  } catch (e) {
    if (e instanceof SlackApiError) return failed(e.code, e.extra);
    return {
      status: 200,
      body: { ok: false, error: 'internal_error', detail: String(e) },
      ok: false,
      error: 'internal_error',
    };
  }
}
