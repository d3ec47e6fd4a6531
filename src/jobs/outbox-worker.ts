import type { Logger } from 'pino';
import type { Db } from '../db/client.js';
import { claimOutbox, completeOutbox, retryOutboxLater } from '../db/outbox-queries.js';
import type { NotificationService } from '../services/notification-service.js';

const LEASE_SECONDS = 60;
/** Past this many attempts an item is parked (kept, with its error) instead of retried forever. */
const MAX_ATTEMPTS = 25;

export const backoffSeconds = (attempts: number) => Math.min(300, 2 ** Math.min(attempts, 9));

const retryAfterOf = (e: unknown) => Number((e as { retryAfter?: number }).retryAfter) || 0;

/** One pass over due outbox items; returns how many it handled. */
export async function drainOutbox(db: Db, notifications: NotificationService, logger: Logger): Promise<number> {
  let handled = 0;
  for (;;) {
    const items = await claimOutbox(db, 20, LEASE_SECONDS);
    if (items.length === 0) return handled;
    for (const item of items) {
      try {
        await notifications.handle(item);
        await completeOutbox(db, item.id);
      } catch (error) {
        const delay = Math.max(backoffSeconds(item.attempts), retryAfterOf(error));
        logger.warn({ err: error, outbox_id: item.id, topic: item.topic, request_id: item.requestId, attempts: item.attempts }, 'delivery failed; will retry');
        if (item.attempts >= MAX_ATTEMPTS) {
          logger.error({ outbox_id: item.id, topic: item.topic, request_id: item.requestId }, 'delivery gave up after too many attempts');
          await retryOutboxLater(db, item.id, 365 * 86400, `gave up: ${String(error)}`);
        } else {
          await retryOutboxLater(db, item.id, delay, String(error));
        }
      }
      handled += 1;
    }
  }
}
