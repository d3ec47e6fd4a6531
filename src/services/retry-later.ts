/**
 * The outbox's "try again later" for a target that failed, with the least wait it asked for.
 * A target that said when to come back (Okta's X-Rate-Limit-Reset, a Retry-After) sets `retryAfter`
 * (seconds) on its error: the outbox then waits at least that long instead of its usual backoff.
 */
export function longerWait(current: number | undefined, error: unknown): number | undefined {
  const after = (error as { retryAfter?: unknown } | null)?.retryAfter;
  if (typeof after !== 'number' || !Number.isFinite(after) || after <= 0) return current;
  return Math.max(current ?? 0, Math.ceil(after));
}

export class RetryLater extends Error {
  override name = 'RetryLater';
  /** Seconds to wait before the next attempt at least (the outbox worker honours it like Retry-After). */
  readonly retryAfter: number | undefined;
  constructor(message: string, retryAfter?: number) {
    super(message);
    this.retryAfter = retryAfter;
  }
}
