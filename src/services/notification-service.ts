import type { Db } from '../db/client.js';
import type { OutboxItem } from '../db/outbox-queries.js';
import { getRequestDetails, messageRefs, saveMessageRef, type MessageRef, type RequestDetails } from '../db/request-queries.js';

export type NoticeEvent = 'approved' | 'denied' | 'expired' | 'revoked' | 'extended' | 'timed_out';

/** How requests reach people: Slack in production. Every method renders from the request's current state. */
export interface Messenger {
  postRequestMessage(role: MessageRef['role'], userId: string, request: RequestDetails): Promise<{ channel: string; ts: string }>;
  /** Returns false when the message is gone (deleted in Slack): nothing left to update. */
  updateRequestMessage(ref: MessageRef, request: RequestDetails): Promise<boolean>;
  postNotice(userId: string, request: RequestDetails, event: NoticeEvent): Promise<void>;
  /** A reply in the thread of an existing message (reminders and nudges: no new top-level message). */
  postThreadReply(ref: MessageRef, request: RequestDetails, kind: 'nudge' | 'reminder'): Promise<void>;
  refreshHome(userId: string): Promise<void>;
}

/**
 * Delivers outbox items. Each handler is safe to run again after a crash: posts are skipped when a
 * message for that person is already recorded, and updates re-render the current state.
 */
export function createNotificationService(db: Db, messenger: Messenger) {
  async function announce(request: RequestDetails) {
    const known = await messageRefs(db, request.id);
    const has = (role: MessageRef['role'], userId: string) => known.some((m) => m.role === role && m.userId === userId);
    if (request.notifyChannel) {
      // One message in the approvers' channel instead of a DM each; the buttons still check who clicks.
      if (!has('channel', request.notifyChannel)) {
        const ref = await messenger.postRequestMessage('channel', request.notifyChannel, request);
        await saveMessageRef(db, { requestId: request.id, role: 'channel', userId: request.notifyChannel, ...ref });
      }
    }
    // Break-glass is loud: the rule's channel and every approver's DM, since someone must review it.
    for (const approver of request.notifyChannel && request.kind !== 'break_glass' ? [] : request.notifiedApprovers) {
      if (has('approver', approver)) continue;
      const ref = await messenger.postRequestMessage('approver', approver, request);
      await saveMessageRef(db, { requestId: request.id, role: 'approver', userId: approver, ...ref });
    }
    if (!has('requester', request.requesterId)) {
      const ref = await messenger.postRequestMessage('requester', request.requesterId, request);
      await saveMessageRef(db, { requestId: request.id, role: 'requester', userId: request.requesterId, ...ref });
    }
  }

  async function refresh(request: RequestDetails) {
    for (const ref of await messageRefs(db, request.id)) await messenger.updateRequestMessage(ref, request);
    const people = new Set([request.requesterId, ...request.notifiedApprovers]);
    for (const userId of people) await messenger.refreshHome(userId);
  }

  async function handle(item: OutboxItem): Promise<void> {
    if (!item.requestId) return;
    const request = await getRequestDetails(db, item.requestId);
    if (!request) return;
    switch (item.topic) {
      case 'request.created':
        await announce(request);
        return;
      case 'messages.refresh':
        await refresh(request);
        return;
      case 'approvers.nudge':
        for (const ref of await messageRefs(db, request.id)) {
          if (ref.role !== 'requester') await messenger.postThreadReply(ref, request, 'nudge');
        }
        return;
      case 'requester.notify':
        await messenger.postNotice(request.requesterId, request, item.payload.event as NoticeEvent);
        return;
      default:
        throw new Error(`unknown outbox topic ${item.topic}`);
    }
  }

  return { handle };
}

export type NotificationService = ReturnType<typeof createNotificationService>;
