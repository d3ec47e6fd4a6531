import type { Logger } from 'pino';
import type { Db } from '../db/client.js';
import { claimOutbox, completeOutbox, extendOutboxLease, retryOutboxLater } from '../db/outbox-queries.js';
import { URGENT_TOPIC, type OutboxItem, type OutboxLane } from '../domain/outbox.js';

/** Items claimed at once. */
const BATCH = 20;

/** Past this many attempts an item is parked (kept, with its error) instead of retried forever. */
const MAX_ATTEMPTS = 25;

export const backoffSeconds = (attempts: number) => Math.min(300, 2 ** Math.min(attempts, 9));

const retryAfterOf = (e: unknown) => Number((e as { retryAfter?: number }).retryAfter) || 0;

/**
 * One pass over one lane's due outbox items; returns how many it handled. `leaseSeconds`:
 * OUTBOX_LEASE_SECONDS. Each lane has its own loop (composition/jobs.ts), so a paced Slack fan-out in
 * the messages lane never holds up a grant.
 */
export async function drainOutbox(
  db: Db,
  lane: OutboxLane,
  handle: (item: OutboxItem) => Promise<void>,
  logger: Logger,
  leaseSeconds = 60,
): Promise<number> {
  let handled = 0;
  for (;;) {
    const items = await claimOutbox(db, BATCH, leaseSeconds, lane);
    if (items.length === 0) return handled;
    // A paced fan-out (a decision for 200 approvers at Slack's 50 updates a minute) outlasts the lease:
    // renew the batch's unfinished items while this process works on them, so no other replica takes one
    // and sends it twice. A process that dies stops renewing, and its items pass on as before.
    const unfinished = new Set(items.map((i) => i.id));
    const renew = setInterval(
      () => void extendOutboxLease(db, [...unfinished], leaseSeconds).catch(() => {}),
      (leaseSeconds * 1000) / 3,
    );
    renew.unref();
    try {
      for (const item of items) {
        try {
          await handle(item);
          unfinished.delete(item.id);
          await completeOutbox(db, item.id);
        } catch (error) {
          unfinished.delete(item.id);
          const delay = Math.max(backoffSeconds(item.attempts), retryAfterOf(error));
          const expected = error instanceof Error && error.name === 'RetryLater';
          (expected ? logger.info.bind(logger) : logger.warn.bind(logger))(
            { err: error, outbox_id: item.id, topic: item.topic, request_id: item.requestId, attempts: item.attempts },
            'delivery failed; will retry',
          );
          // Removing access is never given up (domain/outbox.ts, URGENT_TOPIC).
          if (item.attempts >= MAX_ATTEMPTS && item.topic !== URGENT_TOPIC) {
            logger.error(
              { outbox_id: item.id, topic: item.topic, request_id: item.requestId },
              'delivery gave up after too many attempts',
            );
            await retryOutboxLater(db, item.id, 365 * 86400, `gave up: ${String(error)}`);
          } else {
            await retryOutboxLater(db, item.id, delay, String(error));
          }
        }
        handled += 1;
      }
    } finally {
      clearInterval(renew);
    }
    // A short batch took everything due when it was claimed; what was queued since came with a kick
    // (a run after this one) or waits for the next poll. No empty claim to find that out.
    if (items.length < BATCH) return handled;
  }
}
