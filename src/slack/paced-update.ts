import type { WebClient } from '@slack/web-api';
import type { Pacer } from './pacer.js';
import { slackErrorCode } from './slack-error.js';

/**
 * chat.update's answers meaning the message can never be edited again (`is_inactive` is chat.update's
 * word for an archived channel; `is_archived` chat.postMessage's).
 */
export const MESSAGE_GONE: ReadonlySet<string> = new Set([
  'message_not_found',
  'channel_not_found',
  'is_inactive',
  'is_archived',
]);

/**
 * Edits a message the bot posted, through the pacer (chat.update's tier). False when Slack says the
 * message can never be edited again, so the caller notes it and moves on; any other failure is thrown
 * for the outbox to retry.
 */
export async function updateIfThere(
  client: WebClient,
  pacer: Pacer,
  ref: { channel: string; ts: string },
  message: { text: string; blocks: unknown[] },
): Promise<boolean> {
  try {
    await pacer.run('chat.update', () =>
      client.chat.update({ channel: ref.channel, ts: ref.ts, text: message.text, blocks: message.blocks as never }),
    );
    return true;
  } catch (e) {
    if (MESSAGE_GONE.has(slackErrorCode(e) ?? '')) return false;
    throw e;
  }
}
