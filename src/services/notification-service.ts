import type { Db } from '../db/client.js';
import { deliveryContext } from '../db/request-details.js';
import { getRequestDetails } from '../db/request-queries.js';
import { createDelivery, type DeliveryDeps } from './delivery.js';

import type { OutboxHandlers } from '../domain/outbox.js';
import type { Messenger } from './ports-messengers.js';

export type { NoticeEvent } from '../domain/outbox.js';

/**
 * Delivers outbox items. Each handler is safe to run again after a crash: posts are skipped when a
 * message for that person is already recorded, and refreshes skip messages already up to date.
 */
export function createNotificationService(
  db: Db,
  messenger: Messenger,
  options: Omit<DeliveryDeps, 'db' | 'messenger'>,
  /** A part of a bundle pick changed: its requester's bundle DM is updated (services/bundle-notices.ts). */
  bundlePartChanged: (bundleRequestId: string) => Promise<void> = async () => {},
) {
  const { announce, refreshUntilCurrent } = createDelivery({ db, messenger, ...options });

  /**
   * The request an item is about, with what its delivery needs, in one statement; none (deleted, or no
   * request): nothing to deliver.
   */
  const contextOf = async (item: { requestId: string | null }) =>
    item.requestId ? deliveryContext(db, item.requestId) : null;

  const handlers: Pick<
    OutboxHandlers,
    'request.created' | 'messages.refresh' | 'approvers.nudge' | 'requester.notify'
  > = {
    async 'request.created'(item) {
      const request = await contextOf(item);
      if (request) await announce(request);
    },
    async 'messages.refresh'(item) {
      const request = await contextOf(item);
      // The bundle DM first: the one update its requester follows, before the paced redraws of every message.
      if (request?.bundleRequestId) await bundlePartChanged(request.bundleRequestId);
      if (request) await refreshUntilCurrent(request, async () => (await contextOf(item)) ?? null);
    },
    async 'approvers.nudge'(item) {
      const request = await contextOf(item);
      if (!request) return;
      for (const ref of request.messages) {
        // The approvers of a stage that passed have nothing left to do: only the current stage is nudged.
        if (ref.role !== 'requester' && ref.role !== 'earlier_stage' && ref.role !== 'asker')
          await messenger.postThreadReply(ref, request, 'nudge');
      }
    },
    async 'requester.notify'(item) {
      const request = item.requestId ? await getRequestDetails(db, item.requestId) : null;
      if (request) await messenger.postNotice(request.requesterId, request, item.payload.event);
      // The person who asked on the requester's behalf is told too (renderAskerNotice: no secrets).
      if (request?.requestedBy) await messenger.postNotice(request.requestedBy, request, item.payload.event);
      // No bundle DM update here: each change a notice tells of also queues a messages.refresh, which
      // updates it; doing it twice spent Slack's chat.update pace on the same DM.
    },
  };

  return { handlers };
}

export type NotificationService = ReturnType<typeof createNotificationService>;
