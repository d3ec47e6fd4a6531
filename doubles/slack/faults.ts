/** An injected failure: a 429 with Retry-After, a 500, or an `ok: false` error (doc §3.4). */
export type Fault = ({ status: 429; retryAfterSec: number } | { status: 500 } | { error: string }) & {
  when?: (args: Record<string, unknown>) => boolean;
};

/** Faults waiting per method; a fault with `when` waits for a call it matches. */
export class FaultQueue {
  private readonly waiting = new Map<string, Fault[]>();

  add(method: string, fault: Fault, times: number, when?: Fault['when']): void {
    const q = this.waiting.get(method) ?? [];
    for (let i = 0; i < times; i++) q.push(when ? { ...fault, when } : fault);
    this.waiting.set(method, q);
  }

  /** The first waiting fault for this call, taken off the queue. */
  take(method: string, args: Record<string, unknown>): Fault | undefined {
    const q = this.waiting.get(method) ?? [];
    const at = q.findIndex((f) => !f.when || f.when(args));
    return at >= 0 ? q.splice(at, 1)[0] : undefined;
  }
}

/**
 * Per-method rate limits (doc §3.4: tiers are per method per workspace): past `limit` calls in any
 * `windowMs`, a call is refused with the seconds until the oldest leaves the window (Retry-After).
 */
export class RateWindows {
  private readonly seen = new Map<string, number[]>();

  constructor(private readonly limits: Record<string, { limit: number; windowMs: number }> = {}) {}

  set(method: string, limit: number, windowMs: number): void {
    this.limits[method] = { limit, windowMs };
  }

  /** null when the call may go ahead (and counts it), else Retry-After in whole seconds (at least 1). */
  take(method: string, now: number): number | null {
    const rule = this.limits[method];
    if (!rule) return null;
    const calls = (this.seen.get(method) ?? []).filter((t) => t > now - rule.windowMs);
    this.seen.set(method, calls);
    if (calls.length >= rule.limit) return Math.max(1, Math.ceil((calls[0]! + rule.windowMs - now) / 1000));
    calls.push(now);
    return null;
  }
}
