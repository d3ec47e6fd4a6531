import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { BundleMessenger } from '../../services/ports-messengers.js';
import type { Pacer } from '../pacer.js';
import { slackErrorCode } from '../slack-error.js';
import { renderBundleMessage } from './bundle-message.js';

/** chat.update's answers meaning the message can never be edited again. */
const GONE = new Set(['message_not_found', 'channel_not_found', 'is_inactive', 'is_archived']);

/** The BundleMessenger port over Slack's Web API; updates go through the pacer (chat.update's tier). */
export function createBundleMessenger(client: WebClient, logger: Logger, pacer: Pacer): BundleMessenger {
  return {
    async postBundle(view) {
      const m = renderBundleMessage(view);
      const res = await client.chat.postMessage({ channel: view.requesterId, text: m.text, blocks: m.blocks });
      return { channel: res.channel!, ts: res.ts! };
    },
    async updateBundle(ref, view) {
      const m = renderBundleMessage(view);
      try {
        await pacer.run('chat.update', () =>
          client.chat.update({ channel: ref.channel, ts: ref.ts, text: m.text, blocks: m.blocks }),
        );
        return true;
      } catch (e) {
        if (!GONE.has(slackErrorCode(e) ?? '')) throw e;
        logger.warn({ bundle_request_id: view.id, channel: ref.channel }, 'bundle message is gone; not updating it');
        return false;
      }
    },
  };
}
