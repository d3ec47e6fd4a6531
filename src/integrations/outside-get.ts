/**
 * One GET to an outside service (on-call schedules, Jira), reduced to what callers decide on: the JSON
 * with its status, a status without a usable body, or "unreachable". The whole call, a 429's wait and
 * retry included, fits in `timeoutMs` (a Slack form's submission must answer within 3 s): a 429 is
 * honoured once, when its Retry-After or ratelimit-reset leaves time for the second call. Headers (the
 * token) are sent and never returned or logged here; callers say what a status means to them.
 */
export type OutsideAnswer =
  | { kind: 'json'; status: number; body: unknown }
  | { kind: 'status'; status: number }
  | { kind: 'unreachable'; why: 'timeout' | 'network' | 'not_json' };

export interface OutsideGetOptions {
  headers: Record<string, string>;
  timeoutMs: number;
  fetch?: typeof fetch | undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Milliseconds to wait from Retry-After (seconds or an HTTP date) or ratelimit-reset / X-RateLimit-Reset (seconds). */
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

export async function getOutsideJson(url: string, o: OutsideGetOptions): Promise<OutsideAnswer> {
  const doFetch = o.fetch ?? fetch;
  const started = Date.now();
  const left = () => o.timeoutMs - (Date.now() - started);
  for (let attempt = 0; ; attempt++) {
    let res: Response;
    try {
      res = await doFetch(url, { headers: o.headers, signal: AbortSignal.timeout(Math.max(1, left())) });
    } catch (e) {
      const timedOut = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
      return { kind: 'unreachable', why: timedOut ? 'timeout' : 'network' };
    }
    if (!res.ok) {
      await res.body?.cancel();
      const wait = res.status === 429 ? retryAfterMs(res.headers, Date.now()) : null;
      if (attempt === 0 && wait !== null && wait < left() - 300) {
        await sleep(wait);
        continue;
      }
      return { kind: 'status', status: res.status };
    }
    try {
      return { kind: 'json', status: res.status, body: await res.json() };
    } catch {
      return { kind: 'unreachable', why: 'not_json' };
    }
  }
}
