import { bundlePickView, setBundleMessage } from '../db/bundle-queries.js';
import type { Db } from '../db/client.js';
import type { OutboxHandlers } from '../domain/outbox.js';
import type { BundleMessenger } from './ports-messengers.js';

/**
 * The requester's one DM about a bundle pick: posted by the `bundle.post` item its submission queued,
 * then updated whenever one of its parts' messages is refreshed or its requester told something (those
 * outbox items are each delivered once, by one replica, so no update is sent twice for one change).
 */
export function createBundleNotices(db: Db, messenger: BundleMessenger) {
  async function refresh(bundleRequestId: string) {
    const view = await bundlePickView(db, bundleRequestId);
    if (view?.message) await messenger.updateBundle(view.message, view);
  }

  const handlers: Pick<OutboxHandlers, 'bundle.post'> = {
    async 'bundle.post'(item) {
      const view = await bundlePickView(db, item.payload.bundleRequestId);
      if (!view) return;
      // Delivered again after a crash past the post: the recorded message is brought up to date instead.
      if (view.message) {
        await messenger.updateBundle(view.message, view);
        return;
      }
      const ref = await messenger.postBundle(view);
      await setBundleMessage(db, view.id, ref.channel, ref.ts);
    },
  };

  return { handlers, refresh };
}

export type BundleNotices = ReturnType<typeof createBundleNotices>;
