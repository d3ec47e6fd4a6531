import type { Clock } from '../../src/services/ports.js';

/** A clock tests move by hand: expiry is tested by advancing time, not by waiting. */
export class TestClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(minutes: number): void {
    this.offsetMs += minutes * 60_000;
  }
}
