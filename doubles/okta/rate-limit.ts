/**
 * Okta's rate limit, simplified to one per-minute window for the whole org, plus the `rateLimit` switch:
 * 429 for every call until a reset time or for a number of calls, whichever ends first.
 */
export class RateLimit {
  private window = { minute: 0, used: 0 };
  private limited = { untilSecond: 0, calls: 0 };

  constructor(readonly perMinute: number) {}

  /** The switch: 429s until `resetInSeconds` from now, or for the next `calls` calls. */
  limit(resetInSeconds: number, calls: number): void {
    this.limited = { untilSecond: Math.floor(Date.now() / 1000) + resetInSeconds, calls };
  }

  /** Counts a call, and answers Okta's headers for it: the window's limit, what is left, when it resets. */
  count(nowMs: number): Record<string, string> {
    const minute = Math.floor(nowMs / 60_000);
    if (this.window.minute !== minute) this.window = { minute, used: 0 };
    this.window.used += 1;
    const limitedNow = this.switchedOn(nowMs);
    const reset = limitedNow ? this.limited.untilSecond : (minute + 1) * 60;
    const remaining = limitedNow ? 0 : Math.max(0, this.perMinute - this.window.used);
    return {
      'x-rate-limit-limit': String(this.perMinute),
      'x-rate-limit-remaining': String(remaining),
      'x-rate-limit-reset': String(reset),
    };
  }

  /** Whether this call gets a 429: the switch is on (using up one of its calls), or the window is used up. */
  refuses(nowMs: number): boolean {
    if (this.switchedOn(nowMs)) {
      this.limited.calls -= 1;
      return true;
    }
    return this.window.used > this.perMinute;
  }

  private switchedOn(nowMs: number): boolean {
    return nowMs < this.limited.untilSecond * 1000 && this.limited.calls > 0;
  }
}
