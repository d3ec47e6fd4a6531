/**
 * Token buckets by key (a personal token's id), in process: each bucket holds up to `burst` calls and
 * refills at `perMinute`. Per replica: behind N replicas a token gets up to N times the rate, which is
 * still a bound (docs/api.md says so). Memory is bounded: past `maxKeys` buckets the least recently used
 * is forgotten (a forgotten bucket starts full again, which only ever errs towards letting a call through).
 */
export interface RateLimit {
  perMinute: number;
  burst: number;
}

export type Take = { ok: true } | { ok: false; retryAfterSeconds: number };

export function createRateLimiter(limit: RateLimit, nowMs: () => number = () => performance.now(), maxKeys = 10_000) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const perMs = limit.perMinute / 60_000;

  function take(key: string): Take {
    const now = nowMs();
    const bucket = buckets.get(key) ?? { tokens: limit.burst, at: now };
    buckets.delete(key);
    bucket.tokens = Math.min(limit.burst, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
    buckets.set(key, bucket);
    if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
  }

  return { take };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
