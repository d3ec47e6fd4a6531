/**
 * auth.test, chat.* and conversations.open: response shapes and error codes from the platform doc
 * §3.2 table (api-ref / slack_kit scrapes of docs.slack.dev). Each handler returns the success body
 * without `ok`, or throws SlackApiError; the arguments were checked against method-args.ts first.
 */
import { validateSurface } from './block-kit.js';
import { flag, str, type Args, type MethodHandler } from './method-args.js';
import { SlackApiError, type ChannelRec, type SlackState } from './state.js';

/** Lets the bot post in a public channel it was never invited to (Slack's `chat:write.public`). */
export const PUBLIC_WRITE_SCOPE = 'chat:write.public';

/** `blocks` must be a JSON array of valid blocks: else `invalid_blocks_format` / `invalid_blocks` (doc §3.2, §3.5). */
function messageBlocks(a: Args): any[] | undefined {
  if (a.blocks === undefined || a.blocks === '') return undefined;
  if (!Array.isArray(a.blocks)) throw new SlackApiError('invalid_blocks_format');
  const messages = validateSurface('message', { blocks: a.blocks });
  if (messages.length > 0) throw new SlackApiError('invalid_blocks', { response_metadata: { messages } });
  return a.blocks;
}

/**
 * Where a new message may go (chat.postMessage, chat.postEphemeral): a user id means the bot's DM with
 * that person. A private channel the bot is not in is invisible to it (`channel_not_found`); a public
 * one answers `not_in_channel`, unless the token holds chat:write.public (an unscoped double does not:
 * it models an app that never asked for it).
 */
function postableChannel(st: SlackState, channel: unknown): ChannelRec {
  const ch = st.resolveChannel(channel);
  if (!ch) throw new SlackApiError('channel_not_found');
  if (ch.imUser) return ch;
  if (!ch.botIsMember && ch.isPrivate) throw new SlackApiError('channel_not_found');
  if (ch.isArchived) throw new SlackApiError('is_archived');
  if (!ch.botIsMember && !st.scopes?.has(PUBLIC_WRITE_SCOPE)) throw new SlackApiError('not_in_channel');
  return ch;
}

/**
 * A conversation id for methods on a message that exists (chat.update, chat.delete, chat.getPermalink):
 * Slack takes no user id there ("ensure that this value is a DM ID (starts with D) instead of a User ID",
 * chat.update docs), so `U…`/`W…` is `channel_not_found` like any unknown id.
 */
function existingConversation(st: SlackState, channel: unknown): ChannelRec {
  const id = str(channel) ?? '';
  const ch = /^[UW]/.test(id) ? undefined : st.channels.get(id);
  if (!ch || (ch.isPrivate && !ch.botIsMember)) throw new SlackApiError('channel_not_found');
  return ch;
}

function messageText(a: Args, blocks: any[] | undefined, max: number): string {
  // "A maximum of 100 attachments are allowed on a message" (chat.postMessage errors).
  if (Array.isArray(a.attachments) && a.attachments.length > 100) throw new SlackApiError('too_many_attachments');
  const text = str(a.text) ?? '';
  if (text === '' && (!blocks || blocks.length === 0) && a.attachments === undefined)
    throw new SlackApiError('no_text');
  if (text.length > max) throw new SlackApiError('msg_too_long');
  return text;
}

export const MESSAGE_METHODS: Record<string, MethodHandler> = {
  'auth.test': (st) => ({
    url: `https://${st.teamDomain}.slack.com/`,
    team: 'Fake Workspace',
    user: st.botName,
    team_id: st.teamId,
    user_id: st.botUserId,
    bot_id: st.botId,
    app_id: st.appId,
    app_name: st.botName,
    is_enterprise_install: false,
  }),

  'chat.postMessage': (st, a) => {
    const ch = postableChannel(st, a.channel);
    // A bot user cannot be DMed. A deactivated user's DM, though, still takes the post (Slack's answer in
    // slackapi/python-slack-sdk#1156): nobody reads it, so the app must check `deleted` itself.
    if (ch.imUser && st.users.get(ch.imUser)?.isBot) throw new SlackApiError('cannot_dm_bot');
    // A bot's DMs live in its App Home's Messages tab: an app without it cannot DM anyone.
    if (ch.imUser && !st.appHome.messagesTab) throw new SlackApiError('messages_tab_disabled');
    const blocks = messageBlocks(a);
    const text = messageText(a, blocks, 40000);
    const m = st.addMessage({
      channel: ch.id,
      text,
      blocks: blocks ?? [],
      threadTs: str(a.thread_ts),
      user: st.botUserId,
    });
    if (ch.imUser) st.imOpened.add(ch.imUser);
    return { channel: ch.id, ts: m.ts, message: st.renderMessage(m) };
  },

  'chat.update': (st, a) => {
    const ch = existingConversation(st, a.channel);
    const m = st.findMessage(ch.id, str(a.ts) ?? '');
    if (!m) throw new SlackApiError('message_not_found');
    if (m.user !== st.botUserId) throw new SlackApiError('cant_update_message');
    // "The message cannot be edited within a frozen, archived or deleted channel" (chat.update errors).
    if (ch.isArchived) throw new SlackApiError('is_inactive');
    const text = str(a.text);
    if (text === undefined && a.blocks === undefined && a.attachments === undefined) throw new SlackApiError('no_text');
    if (text !== undefined && text.length > 4000) throw new SlackApiError('msg_too_long'); // doc §4 chat.update
    const blocks = messageBlocks(a);
    // Omitted `blocks` keep the previous ones; [] removes them (chat.update docs).
    st.updateMessage(m, { text, blocks: a.blocks === undefined ? undefined : (blocks ?? []) });
    return { channel: m.channel, ts: m.ts, text: m.text, message: st.renderMessage(m) };
  },

  'chat.delete': (st, a) => {
    const ch = existingConversation(st, a.channel);
    const m = st.findMessage(ch.id, str(a.ts) ?? '');
    if (!m) throw new SlackApiError('message_not_found');
    if (m.user !== st.botUserId) throw new SlackApiError('cant_delete_message');
    st.deleteMessage(m);
    return { channel: m.channel, ts: m.ts };
  },

  'chat.postEphemeral': (st, a) => {
    const ch = postableChannel(st, a.channel);
    const user = str(a.user);
    if (!user || !st.users.has(user) || !st.isMember(ch, user)) throw new SlackApiError('user_not_in_channel');
    const blocks = messageBlocks(a);
    const text = messageText(a, blocks, 40000);
    const m = st.addMessage({
      channel: ch.id,
      text,
      blocks: blocks ?? [],
      threadTs: str(a.thread_ts),
      user: st.botUserId,
      ephemeralTo: user,
    });
    return { message_ts: m.ts };
  },

  'chat.getPermalink': (st, a) => {
    const { id: channel } = existingConversation(st, a.channel);
    const m = st.findMessage(channel, str(a.message_ts) ?? '');
    if (!m) throw new SlackApiError('message_not_found');
    const base = `https://${st.teamDomain}.slack.com/archives/${channel}/p${m.ts.replace('.', '')}`;
    return { channel, permalink: m.threadTs ? `${base}?thread_ts=${m.threadTs}&cid=${channel}` : base };
  },

  'conversations.open': (st, a) => {
    const channelArg = str(a.channel);
    if (channelArg) {
      const ch = st.channels.get(channelArg);
      if (!ch) throw new SlackApiError('channel_not_found');
      return { no_op: true, already_open: true, channel: { id: ch.id } };
    }
    const users = (str(a.users) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (users.length === 0) throw new SlackApiError('users_list_not_supplied');
    if (users.length > 1)
      throw new SlackApiError('not_supported_by_fake', { detail: 'multi-person DMs are not simulated' });
    const user = st.users.get(users[0]!);
    if (!user) throw new SlackApiError('user_not_found');
    if (user.deleted) throw new SlackApiError('user_disabled');
    const id = st.dmChannelOf(user.id);
    const full = flag(a.return_im)
      ? {
          id,
          created: 1700000000,
          is_im: true,
          is_org_shared: false,
          user: user.id,
          is_user_deleted: false,
          priority: 0,
        }
      : { id };
    if (st.imOpened.has(user.id)) return { no_op: true, already_open: true, channel: full };
    st.imOpened.add(user.id);
    return { channel: full };
  },
};
