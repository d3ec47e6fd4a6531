import type { OnCallService } from '../domain/on-call.js';
import { getOutsideJson } from './outside-get.js';

/** The one logger call the clients make (pino's logger fits). */
export interface WarnLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
}

/**
 * One GET to an on-call service, reduced to "the JSON" or "unavailable, because…". A 429 not worth
 * waiting for, 5xx, a timeout, a network error or a refused token make it unavailable: the caller asks
 * the humans.
 */
export type HttpAnswer = { ok: true; body: unknown } | { ok: false; reason: string };

export interface OnCallHttpOptions {
  service: OnCallService;
  headers: Record<string, string>;
  /** The whole lookup's budget, a 429's wait and retry included (a Slack form's submission must answer within 3 s). */
  timeoutMs: number;
  logger?: WarnLogger | undefined;
  fetch?: typeof fetch | undefined;
}

/** What the on-call clients make of one GET (integrations/outside-get.ts), with the reason logged. */
export async function getOnCallJson(url: string, o: OnCallHttpOptions): Promise<HttpAnswer> {
  const where = new URL(url);
  const log = (reason: string, extra: Record<string, unknown> = {}) => {
    o.logger?.warn({ on_call_service: o.service, path: where.pathname, ...extra }, `On-call lookup failed: ${reason}`);
    return { ok: false as const, reason };
  };
  const answer = await getOutsideJson(url, o);
  if (answer.kind === 'json') return { ok: true, body: answer.body };
  if (answer.kind === 'unreachable') {
    if (answer.why === 'not_json') return log('the answer was not JSON');
    return log(answer.why === 'timeout' ? `no answer within ${o.timeoutMs} ms` : 'the service could not be reached');
  }
  const status = answer.status;
  if (status === 429) return log('rate-limited (429)', { status });
  if (status === 401 || status === 403)
    return log(`the service refused the API token (${status}); check its value and that it may read schedules`, {
      status,
    });
  if (status === 404) return log('the schedule or escalation policy does not exist (404)', { status });
  return log(`the service answered ${status}`, { status });
}
