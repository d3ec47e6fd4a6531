/**
 * Web API methods other than views.*: response shapes and error codes from the
 * platform doc §3.2 table (api-ref / slack_kit scrapes of docs.slack.dev).
 * Each handler returns the success body without `ok`, or throws SlackApiError.
 */
import { validateSurface } from './block-kit.js';
import { SlackApiError, type FakeUser, type SlackState } from './state.js';
import { VIEW_METHODS } from './fake-slack-views.js';
import { EMAIL_SCOPE } from './scopes.js';

export type Args = Record<string, unknown>;
export type MethodHandler = (st: SlackState, a: Args) => Record<string, unknown>;

/** Form fields arrive as strings ("true"/"1"); JSON bodies may carry real booleans. */
export function flag(v: unknown): boolean {
  return v === true || v === 'true' || v === '1' || v === 1;
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** `blocks` must be a JSON array of valid blocks: else `invalid_blocks_format` / `invalid_blocks` (doc §3.2, §3.5). */
function messageBlocks(a: Args): any[] | undefined {
  if (a.blocks === undefined || a.blocks === '') return undefined;
  if (!Array.isArray(a.blocks)) throw new SlackApiError('invalid_blocks_format');
  const messages = validateSurface('message', { blocks: a.blocks });
  if (messages.length > 0) throw new SlackApiError('invalid_blocks', { response_metadata: { messages } });
  return a.blocks;
}

function tzOffsetSeconds(tz: string): number {
  try {
    const part = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' })
      .formatToParts(new Date()).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
    const m = /GMT([+-])(\d{2}):(\d{2})/.exec(part);
    return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60) : 0;
  } catch {
    return 0;
  }
}

/** users.info `user` object (doc §3.2 users.info success shape). */
export function renderUser(st: SlackState, u: FakeUser): Record<string, unknown> {
  const tz = u.tz ?? 'America/Los_Angeles';
  const realName = u.realName ?? u.name;
  return {
    id: u.id, team_id: st.teamId, name: u.name, deleted: u.deleted ?? false, color: '9f69e7',
    real_name: realName, tz, tz_label: tz, tz_offset: tzOffsetSeconds(tz),
    profile: {
      real_name: realName, real_name_normalized: realName, display_name: u.name, display_name_normalized: u.name,
      // Slack leaves the e-mail out unless the token holds users:read.email.
      ...(u.email !== undefined && (st.scopes === null || st.scopes.has(EMAIL_SCOPE)) ? { email: u.email } : {}), team: st.teamId,
      ...(u.isBot ? { bot_id: u.id === st.botUserId ? st.botId : `B${u.id.slice(1)}` } : {}),
    },
    is_admin: u.isAdmin ?? false, is_owner: u.isOwner ?? false, is_primary_owner: false,
    is_restricted: u.isRestricted ?? false, is_ultra_restricted: u.isUltraRestricted ?? false,
    is_bot: u.isBot ?? false, is_app_user: false, updated: 1700000000,
  };
}

export function renderGroup(st: SlackState, g: { id: string; handle: string; name: string; users: string[]; dateDelete?: number }, withUsers: boolean) {
  return {
    id: g.id, team_id: st.teamId, is_usergroup: true, name: g.name, description: '', handle: g.handle, is_external: false,
    date_create: 1700000000, date_update: g.dateDelete || 1700000000, date_delete: g.dateDelete ?? 0, auto_type: null,
    created_by: 'U0ADMIN', updated_by: 'U0ADMIN', deleted_by: g.dateDelete ? 'U0ADMIN' : null, prefs: { channels: [], groups: [] },
    user_count: String(g.users.length), // a string in Slack's docs example (doc §3.2 note)
    ...(withUsers ? { users: [...g.users] } : {}),
  };
}

/** User groups are a paid feature: Free workspaces answer every usergroups.* method with this error. */
function requirePaidPlan(st: SlackState): void {
  if (st.plan === 'free') throw new SlackApiError('plan_upgrade_required');
}

/** users.list cursors look like Slack's: base64("user:<next id>"). */
const encodeCursor = (id: string) => Buffer.from(`user:${id}`).toString('base64');
const decodeCursor = (c: string) => {
  const s = Buffer.from(c, 'base64').toString('utf8');
  return s.startsWith('user:') ? s.slice(5) : undefined;
};

const GENERAL_METHODS: Record<string, MethodHandler> = {
  'auth.test': (st) => ({
    url: `https://${st.teamDomain}.slack.com/`, team: 'Fake Workspace', user: st.botName,
    team_id: st.teamId, user_id: st.botUserId, bot_id: st.botId, app_id: st.appId, app_name: st.botName,
    is_enterprise_install: false,
  }),

  'chat.postMessage': (st, a) => {
    const ch = st.resolveChannel(a.channel);
    if (!ch) throw new SlackApiError('channel_not_found');
    // A bot user cannot be DMed. A deactivated user's DM, though, still takes the post (Slack's answer in
    // slackapi/python-slack-sdk#1156): nobody reads it, so the app must check `deleted` itself.
    if (ch.imUser && st.users.get(ch.imUser)?.isBot) throw new SlackApiError('cannot_dm_bot');
    if (ch.isArchived) throw new SlackApiError('is_archived');
    if (!ch.imUser && !ch.botIsMember) throw new SlackApiError('not_in_channel');
    const blocks = messageBlocks(a);
    const text = str(a.text) ?? '';
    if (text === '' && (!blocks || blocks.length === 0) && a.attachments === undefined) throw new SlackApiError('no_text');
    if (text.length > 40000) throw new SlackApiError('msg_too_long');
    const threadTs = str(a.thread_ts);
    const m = st.addMessage({ channel: ch.id, text, blocks: blocks ?? [], threadTs, user: st.botUserId });
    if (ch.imUser) st.imOpened.add(ch.imUser);
    return { channel: ch.id, ts: m.ts, message: st.renderMessage(m) };
  },

  'chat.update': (st, a) => {
    const channel = str(a.channel) ?? '';
    const m = st.findMessage(channel, str(a.ts) ?? '');
    if (!m) throw new SlackApiError('message_not_found');
    if (m.user !== st.botUserId) throw new SlackApiError('cant_update_message');
    const text = str(a.text);
    if (text === undefined && a.blocks === undefined && a.attachments === undefined) throw new SlackApiError('no_text');
    if (text !== undefined && text.length > 4000) throw new SlackApiError('msg_too_long'); // doc §4 chat.update
    const blocks = messageBlocks(a);
    // Omitted `blocks` keep the previous ones; [] removes them (chat.update docs).
    st.updateMessage(m, { text, blocks: a.blocks === undefined ? undefined : (blocks ?? []) });
    return { channel: m.channel, ts: m.ts, text: m.text, message: st.renderMessage(m) };
  },

  'chat.delete': (st, a) => {
    const m = st.findMessage(str(a.channel) ?? '', str(a.ts) ?? '');
    if (!m) throw new SlackApiError('message_not_found');
    if (m.user !== st.botUserId) throw new SlackApiError('cant_delete_message');
    st.deleteMessage(m);
    return { channel: m.channel, ts: m.ts };
  },

  'chat.postEphemeral': (st, a) => {
    const ch = st.resolveChannel(a.channel);
    if (!ch) throw new SlackApiError('channel_not_found');
    const user = str(a.user);
    if (!user || !st.users.has(user) || !st.isMember(ch, user)) throw new SlackApiError('user_not_in_channel');
    if (!ch.imUser && !ch.botIsMember) throw new SlackApiError('not_in_channel');
    const blocks = messageBlocks(a);
    const text = str(a.text) ?? '';
    if (text === '' && (!blocks || blocks.length === 0) && a.attachments === undefined) throw new SlackApiError('no_text');
    if (text.length > 40000) throw new SlackApiError('msg_too_long');
    const m = st.addMessage({ channel: ch.id, text, blocks: blocks ?? [], threadTs: str(a.thread_ts), user: st.botUserId, ephemeralTo: user });
    return { message_ts: m.ts };
  },

  'chat.getPermalink': (st, a) => {
    const channel = str(a.channel) ?? '';
    if (!st.channels.has(channel)) throw new SlackApiError('channel_not_found');
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
    const users = (str(a.users) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (users.length === 0) throw new SlackApiError('users_list_not_supplied');
    if (users.length > 1) throw new SlackApiError('not_supported_by_fake', { detail: 'multi-person DMs are not simulated' });
    const user = st.users.get(users[0]!);
    if (!user) throw new SlackApiError('user_not_found');
    if (user.deleted) throw new SlackApiError('user_disabled');
    const id = st.dmChannelOf(user.id);
    const full = flag(a.return_im) ? { id, created: 1700000000, is_im: true, is_org_shared: false, user: user.id, is_user_deleted: false, priority: 0 } : { id };
    if (st.imOpened.has(user.id)) return { no_op: true, already_open: true, channel: full };
    st.imOpened.add(user.id);
    return { channel: full };
  },

  'users.info': (st, a) => {
    const u = st.users.get(str(a.user) ?? '');
    if (!u) throw new SlackApiError('user_not_found');
    return { user: renderUser(st, u) };
  },

  'users.lookupByEmail': (st, a) => {
    const email = (str(a.email) ?? '').toLowerCase();
    const u = [...st.users.values()].find((x) => x.email?.toLowerCase() === email && email !== '');
    if (!u) throw new SlackApiError('users_not_found');
    return { user: renderUser(st, u) };
  },

  'users.list': (st, a) => {
    const all = [...st.users.values()];
    const limit = Number(str(a.limit) ?? 0);
    let start = 0;
    const cursor = str(a.cursor);
    if (cursor) {
      const id = decodeCursor(cursor);
      start = id === undefined ? -1 : all.findIndex((u) => u.id === id);
      if (start < 0) throw new SlackApiError('invalid_cursor');
    }
    const end = limit > 0 ? Math.min(start + limit, all.length) : all.length;
    const next = all[end];
    return {
      members: all.slice(start, end).map((u) => renderUser(st, u)), cache_ts: Math.floor(Date.now() / 1000),
      response_metadata: { next_cursor: next ? encodeCursor(next.id) : '' },
    };
  },

  'usergroups.list': (st, a) => {
    requirePaidPlan(st);
    // Disabled groups are listed only with include_disabled ("Include disabled User Groups").
    const groups = [...st.usergroups.values()].filter((g) => !g.dateDelete || flag(a.include_disabled));
    return { usergroups: groups.map((g) => renderGroup(st, g, flag(a.include_users))) };
  },

  'usergroups.users.list': (st, a) => {
    requirePaidPlan(st);
    const g = st.usergroups.get(str(a.usergroup) ?? '');
    // A disabled group is found only with include_disabled ("Include results for disabled User Groups");
    // without it Slack finds no such group. Its members are kept, so enabling it again restores them.
    if (!g || (g.dateDelete && !flag(a.include_disabled))) throw new SlackApiError('no_such_subteam');
    return { users: [...g.users] };
  },
};

export const METHODS: Record<string, MethodHandler> = { ...GENERAL_METHODS, ...VIEW_METHODS };
