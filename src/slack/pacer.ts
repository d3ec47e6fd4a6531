/**
 * Paces calls of one Web API method to its rate-limit tier, so a fan-out (a decision updating the
 * message of 200 approvers) spreads over time instead of drawing 429s. A token bucket per method:
 * `burst` calls at once, then `perMinute`. A 429 (seen through WebClient's `rate_limited` event or a
 * rate-limit error) pauses the method for Retry-After, and the call is tried again.
 */
export interface PaceBudget {
  perMinute: number;
  burst: number;
}

export interface Pacer {
  run<T>(method: string, call: () => Promise<T>): Promise<T>;
  /** Slack said "wait retryAfterSec" for this method (HTTP 429). */
  pause(method: string, retryAfterSec: number): void;
}

interface Bucket {
  tokens: number;
  at: number;
  pausedUntil: number;
  queue: Promise<unknown>;
}

const MAX_RATE_LIMIT_RETRIES = 5;

/** Seconds to wait when `e` is a rate-limit refusal; null for any other error. */
export function rateLimitedFor(e: unknown): number | null {
  const err = e as { code?: string; retryAfter?: number; message?: string } | null;
  if (err?.code === 'slack_webapi_rate_limited_error') return Number(err.retryAfter) || 1;
  // WebClient, after waiting out a 429 and retrying, gives up with this message when its retries run out.
  const m = /A rate limit was exceeded \(.*retry-after: (\d+)\)/.exec(String(err?.message ?? ''));
  return m ? Number(m[1]) || 1 : null;
}

export function createPacer(
  budgets: Record<string, PaceBudget>,
  now = () => Date.now(),
  sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
): Pacer {
  const buckets = new Map<string, Bucket>();
  const bucketOf = (method: string) => {
    let b = buckets.get(method);
    if (!b)
      buckets.set(
        method,
        (b = { tokens: budgets[method]?.burst ?? 1, at: now(), pausedUntil: 0, queue: Promise.resolve() }),
      );
    return b;
  };

  /** Waits for this method's next slot; callers queue in order so none starves. */
  function slot(method: string): Promise<void> {
    const budget = budgets[method];
    const b = bucketOf(method);
    const mine = b.queue.then(async () => {
      for (;;) {
        const t = now();
        if (budget) {
          b.tokens = Math.min(budget.burst, b.tokens + ((t - b.at) * budget.perMinute) / 60_000);
          b.at = t;
        }
        const wait = Math.max(
          b.pausedUntil - t,
          budget && b.tokens < 1 ? ((1 - b.tokens) * 60_000) / budget.perMinute : 0,
        );
        if (wait <= 0) break;
        await sleep(Math.ceil(wait));
      }
      if (budget) b.tokens -= 1;
    });
    b.queue = mine.catch(() => {});
    return mine;
  }

  return {
    pause(method, retryAfterSec) {
      const b = bucketOf(method);
      b.pausedUntil = Math.max(b.pausedUntil, now() + retryAfterSec * 1000);
      b.tokens = 0;
    },
    async run(method, call) {
      for (let attempt = 0; ; attempt++) {
        await slot(method);
        try {
          return await call();
        } catch (e) {
          const wait = rateLimitedFor(e);
          if (wait === null || attempt >= MAX_RATE_LIMIT_RETRIES) throw e;
          this.pause(method, wait);
        }
      }
    },
  };
}

/** Tier 3 (chat.update) and Tier 4 (views.publish) budgets at `perMinute`, with a burst of a few seconds' worth. */
export function slackBudgets(updatesPerMinute: number, publishesPerMinute: number): Record<string, PaceBudget> {
  const burst = (perMinute: number) => Math.max(1, Math.min(10, Math.floor(perMinute / 5)));
  return {
    'chat.update': { perMinute: updatesPerMinute, burst: burst(updatesPerMinute) },
    'views.publish': { perMinute: publishesPerMinute, burst: burst(publishesPerMinute) },
  };
}
