/**
 * users.* and usergroups.*: the directory the bot reads (platform doc §3.2). The `user` and
 * `usergroup` objects are rendered here, for the methods and for the events that carry the same
 * objects (user_change, subteam_*: fake-slack.ts).
 */
import { flag, str, type MethodHandler } from './method-args.js';
import { EMAIL_SCOPE } from './scopes.js';
import { SlackApiError, type FakeUser, type SlackState } from './state.js';

function tzOffsetSeconds(tz: string): number {
  try {
    const part =
      new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' })
        .formatToParts(new Date())
        .find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
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
    id: u.id,
    team_id: st.teamId,
    name: u.name,
    deleted: u.deleted ?? false,
    color: '9f69e7',
    real_name: realName,
    tz,
    tz_label: tz,
    tz_offset: tzOffsetSeconds(tz),
    profile: {
      real_name: realName,
      real_name_normalized: realName,
      display_name: u.name,
      display_name_normalized: u.name,
      // Slack leaves the e-mail out unless the token holds users:read.email.
      ...(u.email !== undefined && (st.scopes === null || st.scopes.has(EMAIL_SCOPE)) ? { email: u.email } : {}),
      team: st.teamId,
      ...(u.isBot ? { bot_id: u.id === st.botUserId ? st.botId : `B${u.id.slice(1)}` } : {}),
    },
    is_admin: u.isAdmin ?? false,
    is_owner: u.isOwner ?? false,
    is_primary_owner: false,
    is_restricted: u.isRestricted ?? false,
    is_ultra_restricted: u.isUltraRestricted ?? false,
    is_bot: u.isBot ?? false,
    is_app_user: false,
    updated: 1700000000,
  };
}

/** `withCount`: usergroups.list sends `user_count` only with include_count ("Include the number of users"). */
export function renderGroup(
  st: SlackState,
  g: { id: string; handle: string; name: string; users: string[]; dateDelete?: number },
  withUsers: boolean,
  withCount = true,
) {
  return {
    id: g.id,
    team_id: st.teamId,
    is_usergroup: true,
    name: g.name,
    description: '',
    handle: g.handle,
    is_external: false,
    date_create: 1700000000,
    date_update: g.dateDelete || 1700000000,
    date_delete: g.dateDelete ?? 0,
    auto_type: null,
    created_by: 'U0ADMIN',
    updated_by: 'U0ADMIN',
    deleted_by: g.dateDelete ? 'U0ADMIN' : null,
    prefs: { channels: [], groups: [] },
    ...(withCount ? { user_count: String(g.users.length) } : {}), // a string in Slack's docs example (doc §3.2 note)
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

export const DIRECTORY_METHODS: Record<string, MethodHandler> = {
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

  // Custom fields keyed by id with `value` and `alt`; `label` too only with include_labels (which Slack
  // rate-limits hard, so the bot reads labels once from team.profile.get instead). No `user`: the caller.
  'users.profile.get': (st, a) => {
    const u = st.users.get(str(a.user) ?? st.botUserId);
    if (!u) throw new SlackApiError('user_not_found');
    const rendered = renderUser(st, u).profile as Record<string, unknown>;
    const labels = new Map(st.profileFields.map((f) => [f.id, f.label]));
    const fields = Object.fromEntries(
      Object.entries(u.fields ?? {})
        .filter(([id, value]) => labels.has(id) && value !== '')
        .map(([id, value]) => [id, { value, alt: '', ...(flag(a.include_labels) ? { label: labels.get(id) } : {}) }]),
    );
    return { profile: { title: '', phone: '', skype: '', ...rendered, fields } };
  },

  'team.profile.get': (st) => ({
    profile: {
      fields: st.profileFields.map((f, i) => ({
        id: f.id,
        ordering: i,
        label: f.label,
        hint: '',
        type: 'text',
        possible_values: null,
        options: null,
        is_hidden: false,
      })),
    },
  }),

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
      members: all.slice(start, end).map((u) => renderUser(st, u)),
      cache_ts: Math.floor(Date.now() / 1000),
      response_metadata: { next_cursor: next ? encodeCursor(next.id) : '' },
    };
  },

  'usergroups.list': (st, a) => {
    requirePaidPlan(st);
    // Disabled groups are listed only with include_disabled ("Include disabled User Groups").
    const groups = [...st.usergroups.values()].filter((g) => !g.dateDelete || flag(a.include_disabled));
    return { usergroups: groups.map((g) => renderGroup(st, g, flag(a.include_users), flag(a.include_count))) };
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
