/**
 * Waiting in tests. A test says what it waits for, never how long that may take: the suite runs on
 * two cores beside other CPU-heavy work, where a chat.update that takes 20 ms alone can take seconds.
 * The one clock is a hang guard, far above anything a healthy run needs, so that a thing that will never
 * come fails naming what it was (vitest's own testTimeout, above it, would only say "timed out").
 */
export const HANG_GUARD_MS = 120_000;

/**
 * Poll until `probe` returns something truthy. Bolt acks before listeners finish (the ack body is the
 * HTTP response), so e.g. the views.open a command handler makes after `ack()` may land after the
 * driver's `command()` resolved.
 */
export async function until<T>(
  probe: () => T | undefined | null | false,
  what = 'condition',
  hangGuardMs = HANG_GUARD_MS,
): Promise<T> {
  const deadline = Date.now() + hangGuardMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`Still waiting for ${what} after ${hangGuardMs / 1000} s (hang guard)`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `until` for an async probe (a promise is always truthy, so `until` must not be given one). */
export async function waitFor(
  probe: () => Promise<unknown> | unknown,
  what: string,
  hangGuardMs = HANG_GUARD_MS,
): Promise<void> {
  const deadline = Date.now() + hangGuardMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`Still waiting for ${what} after ${hangGuardMs / 1000} s (hang guard)`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Slack's two 3 s deadlines (a trigger_id's life, the wait for an ack) as hang guards, for the Slack double
 * in the suite: on a loaded machine a handler that takes 20 ms alone can take seconds, and how fast the bot
 * acks and opens its modals is a figure of `npm run bench` (BENCHMARKS.md), beside its floor. The double's
 * own tests, and a test about a deadline, keep Slack's figures.
 */
export const SLACK_DEADLINES_AS_HANG_GUARDS = { triggerTtlMs: HANG_GUARD_MS, ackDeadlineMs: HANG_GUARD_MS };
