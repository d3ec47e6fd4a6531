import type { OnCallService } from '../domain/on-call.js';

/** The one logger call the clients make (pino's logger fits). */
export interface WarnLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
}

/**
 * One GET to an on-call service, reduced to "the JSON" or "unavailable, because…". The token is sent
 * in a header only and never logged. A 429 is honoured once (its Retry-After or ratelimit-reset,
 * capped so a Slack submission still answers in time), then the service counts as unavailable; 5xx,
 * a timeout, a network error or a refused token make it unavailable too: the caller asks the humans.
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Seconds to wait from Retry-After (seconds or an HTTP date) or ratelimit-reset / X-RateLimit-Reset (seconds). */
export function retryAfterMs(headers: Headers, nowMs: number): number | null {
  const after = headers.get('retry-after');
  if (after) {
    const seconds = Number(after);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const at = Date.parse(after);
    if (Number.isFinite(at)) return Math.max(0, at - nowMs);
  }
  const reset = headers.get('ratelimit-reset') ?? headers.get('x-ratelimit-reset');
  if (reset && Number.isFinite(Number(reset))) return Math.max(0, Number(reset) * 1000);
  return null;
}

export async function getOnCallJson(url: string, o: OnCallHttpOptions): Promise<HttpAnswer> {
  const doFetch = o.fetch ?? fetch;
  const where = new URL(url);
  const log = (reason: string, extra: Record<string, unknown> = {}) => {
    o.logger?.warn({ on_call_service: o.service, path: where.pathname, ...extra }, `On-call lookup failed: ${reason}`);
    return { ok: false as const, reason };
  };
  const started = Date.now();
  const left = () => o.timeoutMs - (Date.now() - started);
  for (let attempt = 0; attempt < 2; attempt++) {
    let res: Response;
    try {
      res = await doFetch(url, { headers: o.headers, signal: AbortSignal.timeout(Math.max(1, left())) });
    } catch (e) {
      const timedOut = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
      return log(timedOut ? `no answer within ${o.timeoutMs} ms` : 'the service could not be reached', {
        error: e instanceof Error ? e.name : 'unknown',
      });
    }
    if (res.status === 429) {
      await res.body?.cancel();
      const wait = retryAfterMs(res.headers, Date.now());
      // Honoured once, and only when the wait leaves time for the second call.
      if (attempt === 0 && wait !== null && wait < left() - 300) {
        await sleep(wait);
        continue;
      }
      return log('rate-limited (429)', { status: 429 });
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      return log(`the service refused the API token (${res.status}); check its value and that it may read schedules`, {
        status: res.status,
      });
    }
    if (res.status === 404) {
      await res.body?.cancel();
      return log('the schedule or escalation policy does not exist (404)', { status: 404 });
    }
    if (!res.ok) {
      await res.body?.cancel();
      return log(`the service answered ${res.status}`, { status: res.status });
    }
    try {
      return { ok: true, body: await res.json() };
    } catch {
      return log('the answer was not JSON');
    }
  }
  return log('rate-limited (429)', { status: 429 });
}
