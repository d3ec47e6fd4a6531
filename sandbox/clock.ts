import type { Clock } from '../src/services/ports.js';

/**
 * The bot's clock in the sandbox: real time plus an offset the page can move forward, so a visitor
 * sees a 15-minute grant expire without waiting 15 minutes.
 */
export class SandboxClock implements Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(minutes: number): void {
    this.offsetMs += minutes * 60_000;
  }

  get offsetMinutes(): number {
    return Math.round(this.offsetMs / 60_000);
  }
}
