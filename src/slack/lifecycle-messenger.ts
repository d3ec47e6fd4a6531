import type { WebClient } from '@slack/web-api';
import type { LifecycleMessenger } from '../services/lifecycle-jobs.js';
import { renderEndWarning } from './review/end-warning-message.js';

/** The lifecycle jobs' own messages over Slack's Web API (reminders use the Messenger's thread replies). */
export function createLifecycleMessenger(client: WebClient): LifecycleMessenger {
  return {
    async postEndWarning(request) {
      const message = renderEndWarning(request);
      // A fresh DM (not an edit), so Slack notifies the requester.
      await client.chat.postMessage({ channel: request.requesterId, text: message.text, blocks: message.blocks });
    },
  };
}
