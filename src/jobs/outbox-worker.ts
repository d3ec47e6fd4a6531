import type { Logger } from 'pino';
import type { Db } from '../db/client.js';
import {
  claimOutbox,
  completeOutbox,
  completeOutboxMany,
  extendOutboxLease,
  retryOutboxLater,
} from '../db/outbox-queries.js';
import { URGENT_TOPIC, type OutboxBatchRouter, type OutboxItem, type OutboxLane } from '../domain/outbox.js';

/** Items claimed at once. */
const BATCH = 20;

/** Past this many attempts an item is parked (kept, with its error) instead of retried forever. */
const MAX_ATTEMPTS = 25;

export const backoffSeconds = (attempts: number) => Math.min(300, 2 ** Math.min(attempts, 9));

const retryAfterOf = (e: unknown) => Number((e as { retryAfter?: number }).retryAfter) || 0;

/** The claimed items in order, consecutive items of a topic that takes batches grouped together. */
function runsOf(items: OutboxItem[], batches: OutboxBatchRouter | undefined): OutboxItem[][] {
  const runs: OutboxItem[][] = [];
  for (const item of items) {
    const last = runs.at(-1);
    if (batches?.takes(item.topic) && last?.[0]!.topic === item.topic) last.push(item);
    else runs.push([item]);
  }
  return runs;
}

/**
 * One pass over one lane's due outbox items; returns how many it handled. `leaseSeconds`:
 * OUTBOX_LEASE_SECONDS. Each lane has its own loop (composition/jobs.ts), so a paced Slack fan-out in
 * the messages lane never holds up a grant. Consecutive items of a topic `batches` takes (removals)
 * go to its batch handler together and are marked done together; the rest one at a time.
 */
export async function drainOutbox(
  db: Db,
  lane: OutboxLane,
  handle: (item: OutboxItem) => Promise<void>,
  logger: Logger,
  leaseSeconds = 60,
  batches?: OutboxBatchRouter,
): Promise<number> {
  let handled = 0;

  async function failed(item: OutboxItem, error: unknown) {
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
      for (const run of runsOf(items, batches)) {
        if (run.length > 1 && batches) {
          const outcomes = await batches
            .deliver(run)
            .catch((error: unknown) =>
              run.map((): PromiseSettledResult<void> => ({ status: 'rejected', reason: error })),
            );
          for (const item of run) unfinished.delete(item.id);
          await completeOutboxMany(
            db,
            run.filter((_, i) => outcomes[i]?.status === 'fulfilled').map((item) => item.id),
          );
          for (const [i, item] of run.entries()) {
            const outcome = outcomes[i];
            if (outcome?.status !== 'fulfilled')
              await failed(item, outcome ? outcome.reason : new Error('the batch handler gave no outcome'));
          }
          handled += run.length;
          continue;
        }
        const item = run[0]!;
        try {
          await handle(item);
          unfinished.delete(item.id);
          await completeOutbox(db, item.id);
        } catch (error) {
          unfinished.delete(item.id);
          await failed(item, error);
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
