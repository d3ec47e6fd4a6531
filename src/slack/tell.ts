import type { BlockAction, RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { messageModal } from './views.js';

/**
 * Says one sentence to the person who clicked, where they clicked: an ephemeral reply under a message
 * (which has a response_url), or a small modal in App Home and in modals (which do not).
 */
export async function tellClicker(
  body: BlockAction,
  client: WebClient,
  respond: RespondFn,
  title: string,
  text: string,
) {
  if (body.response_url) {
    await respond({ response_type: 'ephemeral', replace_original: false, text });
    return;
  }
  if (body.view?.type === 'modal') {
    await client.views.push({ trigger_id: body.trigger_id, view: messageModal(title, text) }).catch(async () => {
      await client.views.open({ trigger_id: body.trigger_id, view: messageModal(title, text) });
    });
    return;
  }
  await client.views.open({ trigger_id: body.trigger_id, view: messageModal(title, text) });
}
