/**
 * What Slack does with a JSON post to a response_url (platform doc §3.3): at most 5 uses within
 * 30 minutes, Block Kit validated like a message, `delete_original` / `replace_original` applied to
 * the message the URL came from, otherwise a new message (ephemeral unless `response_type: in_channel`).
 */
import { validateSurface } from './block-kit.js';
import type { SlackState } from './state.js';

/** What a response_url is tied to: the channel/user of a command, or the message a button was clicked in. */
export interface ResponseUrlRec {
  id: string;
  url: string;
  channel?: string;
  userId?: string;
  messageTs?: string;
  uses: number;
  expiresAt: number;
}

export function answerResponseUrl(st: SlackState, rec: ResponseUrlRec, body: any): { status: number; body: unknown } {
  // Status for a used-up URL is not documented (doc §7); 404 makes Bolt's respond() throw, as a failure should.
  if (rec.uses >= 5 || Date.now() > rec.expiresAt) return { status: 404, body: { ok: false, error: 'expired_url' } };
  rec.uses++;
  if (!body || typeof body !== 'object') return { status: 400, body: { ok: false, error: 'invalid_payload' } };
  if (body.blocks !== undefined) {
    const messages = Array.isArray(body.blocks)
      ? validateSurface('message', { blocks: body.blocks })
      : ['[ERROR] expected array [json-pointer:/blocks]'];
    if (messages.length > 0)
      return { status: 400, body: { ok: false, error: 'invalid_blocks', response_metadata: { messages } } };
  }
  const original = rec.channel && rec.messageTs ? st.findMessage(rec.channel, rec.messageTs, true) : undefined;
  if (body.delete_original === true || body.delete_original === 'true') {
    if (original) st.deleteMessage(original);
    return { status: 200, body: { ok: true } };
  }
  if ((body.replace_original === true || body.replace_original === 'true') && original) {
    st.updateMessage(original, { text: typeof body.text === 'string' ? body.text : '', blocks: body.blocks ?? [] });
    return { status: 200, body: { ok: true } };
  }
  if (rec.channel) {
    const text = typeof body.text === 'string' ? body.text : '';
    const inChannel = body.response_type === 'in_channel';
    if (!inChannel && !rec.userId) return { status: 200, body: { ok: true } };
    st.addMessage({
      channel: rec.channel,
      text,
      blocks: Array.isArray(body.blocks) ? body.blocks : [],
      user: st.botUserId,
      ...(typeof body.thread_ts === 'string' ? { threadTs: body.thread_ts } : {}),
      ...(inChannel ? {} : { ephemeralTo: rec.userId }),
    });
  }
  return { status: 200, body: { ok: true } };
}
