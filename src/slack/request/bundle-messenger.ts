import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { BundleMessenger } from '../../services/ports-messengers.js';
import type { Pacer } from '../pacer.js';
import { updateIfThere } from '../paced-update.js';
import { renderBundleMessage } from './bundle-message.js';

/** The BundleMessenger port over Slack's Web API; updates go through the pacer (chat.update's tier). */
export function createBundleMessenger(client: WebClient, logger: Logger, pacer: Pacer): BundleMessenger {
  return {
    async postBundle(view) {
      const m = renderBundleMessage(view);
      const res = await client.chat.postMessage({ channel: view.requesterId, text: m.text, blocks: m.blocks });
      return { channel: res.channel!, ts: res.ts! };
    },
    async updateBundle(ref, view) {
      const updated = await updateIfThere(client, pacer, ref, renderBundleMessage(view));
      if (!updated)
        logger.warn({ bundle_request_id: view.id, channel: ref.channel }, 'bundle message is gone; not updating it');
      return updated;
    },
  };
}
