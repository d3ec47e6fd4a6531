import type { Db } from '../db/client.js';
import { getRequestDetails, messageRefs, type MessageRef, type RequestDetails } from '../db/request-queries.js';
import { createDelivery, type DeliveryDeps, type DeliveryProblem } from './delivery.js';

import type { NoticeEvent, OutboxHandlers } from '../domain/outbox.js';

export type { NoticeEvent } from '../domain/outbox.js';

/**
 * How requests reach people: Slack in production. Every method renders from the request's current state.
 * postRequestMessage throws DeliveryRefused when Slack refuses that recipient for good.
 */
export interface Messenger {
  postRequestMessage(role: MessageRef['role'], userId: string, request: RequestDetails): Promise<{ channel: string; ts: string }>;
  /** Returns false when the message is gone (deleted in Slack): nothing left to update. */
  updateRequestMessage(ref: MessageRef, request: RequestDetails): Promise<boolean>;
  postNotice(userId: string, request: RequestDetails, event: NoticeEvent): Promise<void>;
  /** A reply in the thread of an existing message (reminders and nudges: no new top-level message). */
  postThreadReply(ref: MessageRef, request: RequestDetails, kind: 'nudge' | 'reminder'): Promise<void>;
  refreshHome(userId: string): Promise<void>;
  /** Identifies what `role`'s message shows for this state: equal hashes need no update. */
  renderHash(role: MessageRef['role'], request: RequestDetails): string;
  /** Tells an admin what Slack refused and how to fix it. */
  postDeliveryProblem(adminId: string, problem: DeliveryProblem): Promise<void>;
}

/**
 * Delivers outbox items. Each handler is safe to run again after a crash: posts are skipped when a
 * message for that person is already recorded, and refreshes skip messages already up to date.
 */
export function createNotificationService(db: Db, messenger: Messenger, options: Omit<DeliveryDeps, 'db' | 'messenger'>) {
  const { announce, refresh } = createDelivery({ db, messenger, ...options });

  /** The request an item is about; none (deleted, or no request): nothing to deliver. */
  const requestOf = async (item: { requestId: string | null }) => (item.requestId ? getRequestDetails(db, item.requestId) : null);

  const handlers: Pick<OutboxHandlers, 'request.created' | 'messages.refresh' | 'approvers.nudge' | 'requester.notify'> = {
    async 'request.created'(item) {
      const request = await requestOf(item);
      if (request) await announce(request);
    },
    async 'messages.refresh'(item) {
      const request = await requestOf(item);
      if (request) await refresh(request);
    },
    async 'approvers.nudge'(item) {
      const request = await requestOf(item);
      if (!request) return;
      for (const ref of await messageRefs(db, request.id)) {
        if (ref.role !== 'requester') await messenger.postThreadReply(ref, request, 'nudge');
      }
    },
    async 'requester.notify'(item) {
      const request = await requestOf(item);
      if (request) await messenger.postNotice(request.requesterId, request, item.payload.event);
    },
  };

  return { handlers };
}

export type NotificationService = ReturnType<typeof createNotificationService>;
