import { FaultQueue, RateWindows, type Fault } from './faults.js';
import { RateLimiter } from './rate-limits.js';

/** What a call meets before its method runs: Slack's tiers, a test's own limits, injected faults. */
export type GateAnswer = { error: string } | { status: 429; retryAfterSec: number } | { status: 500 };

/**
 * Everything the double can put in a Web API call's way besides auth and scopes, in the order Slack
 * would: its per-method tiers (when enforced, rate-limits.ts), a test's own per-method windows, then
 * faults a test injected (faults.ts).
 */
export class CallGate {
  private readonly faults = new FaultQueue();
  private readonly rates: RateWindows;
  /** Slack's per-method tiers; null: unlimited, the default. */
  private limiter: RateLimiter | null = null;

  constructor(rateLimits: Record<string, { limit: number; windowMs: number }> = {}) {
    this.rates = new RateWindows({ ...rateLimits });
  }

  failNext(method: string, fault: Fault, times: number, when?: (args: Record<string, unknown>) => boolean): void {
    this.faults.add(method, fault, times, when);
  }

  rateLimit(method: string, limit: number, windowMs: number): void {
    this.rates.set(method, limit, windowMs);
  }

  enforceTiers(now?: () => number): void {
    this.limiter = new RateLimiter(now);
  }

  relaxTiers(): void {
    this.limiter = null;
  }

  /** null: the call goes through to its method. */
  take(method: string, args: Record<string, unknown>): GateAnswer | null {
    const limited = this.limiter?.take(method, args) ?? null;
    if (limited !== null) return { status: 429, retryAfterSec: limited };
    const retryAfter = this.rates.take(method, Date.now());
    if (retryAfter !== null) return { status: 429, retryAfterSec: retryAfter };
    return this.faults.take(method, args) ?? null;
  }
}
