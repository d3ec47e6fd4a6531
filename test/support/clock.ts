/**
 * A clock tests move by hand: expiry is tested by advancing time, not by waiting. The sandbox's
 * clock is exactly that (real time plus an offset moved forward).
 */
export { SandboxClock as TestClock } from '../../sandbox/clock.js';
