/** The shapes of the simulated workspace: people, groups, channels, messages, views, recorded calls. */
export interface FakeUser {
  id: string;
  name: string;
  realName?: string;
  email?: string;
  tz?: string;
  isRestricted?: boolean;
  isUltraRestricted?: boolean;
  isAdmin?: boolean;
  isOwner?: boolean;
  isBot?: boolean;
  deleted?: boolean;
  /** Custom profile fields' values by field id (`Xf…`), as users.profile.get answers them. */
  fields?: Record<string, string>;
}
/** A workspace's custom profile field (team.profile.get): an admin defines it, members fill it in. */
export interface FakeProfileField {
  id: string;
  label: string;
}
/** `dateDelete` > 0: disabled in Slack (usergroups.disable); its members are kept, as Slack keeps them. */
export interface FakeUsergroup {
  id: string;
  handle: string;
  name: string;
  users: string[];
  dateDelete?: number;
}
/**
 * A public/private channel. `members` undefined = every user is a member. `botIsMember` defaults to
 * true; false makes chat.postMessage answer `not_in_channel` (unless the token holds chat:write.public),
 * or `channel_not_found` for an `isPrivate` channel (a private channel is invisible to a bot not in it).
 * `isArchived`: posts answer `is_archived`, chat.update `is_inactive`.
 */
export interface FakeChannel {
  id: string;
  name: string;
  members?: string[];
  botIsMember?: boolean;
  isArchived?: boolean;
  isPrivate?: boolean;
}
export interface FakeSlackOptions {
  botToken: string;
  teamId?: string;
  botUserId?: string;
  botId?: string;
  appId?: string;
  users: FakeUser[];
  usergroups?: FakeUsergroup[];
  /** How long a trigger_id may be used (Slack: 3 s; `expired_trigger_id` after). */
  triggerTtlMs?: number;
  /**
   * How long Slack waits for the ack of a command or interaction before it gives up and shows the person
   * an error (Slack: 3 s; the driver then reports `operation_timeout` and ignores a late view response).
   */
  ackDeadlineMs?: number;
  /** Extra channels; `C0GENERAL` (#general, everyone, bot included) always exists. */
  channels?: FakeChannel[];
  teamDomain?: string;
  botName?: string;
  /**
   * The bot token's scopes (pass `manifestBotScopes(manifest.yml)` to grant what the app asks for).
   * Omitted: every scope, for doubles used without an app manifest.
   */
  scopes?: string[];
  /**
   * The workspace's Slack plan (default `pro`). On `free`, user groups do not exist for apps:
   * usergroups.* answer `plan_upgrade_required` ("only available on Standard and above plans").
   */
  plan?: SlackPlan;
  /**
   * The manifest's `features.app_home` (pass `manifestAppHome(manifest.yml)`); both tabs on when omitted.
   * Without the Home tab views.publish answers `not_enabled`; without the Messages tab a DM answers
   * `messages_tab_disabled`.
   */
  appHome?: { homeTab: boolean; messagesTab: boolean };
  /** Rate limits to enforce per method (HTTP 429 + Retry-After past `limit` calls in any `windowMs`). */
  rateLimits?: Record<string, { limit: number; windowMs: number }>;
}
export type SlackPlan = 'free' | 'pro' | 'business_plus' | 'enterprise';
export interface RecordedCall {
  method: string;
  args: Record<string, unknown>;
  ok: boolean;
  error?: string;
  at: number;
}
export interface StoredMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: any[];
  threadTs?: string;
  updateCount: number;
  ephemeralTo?: string;
  /** who posted it (the bot's user id for everything the app sent) */
  user: string;
}
export interface StoredView {
  id: string;
  type: 'modal' | 'home';
  userId: string;
  view: any;
  hash: string;
  rootViewId: string;
  previousViewId: string | null;
  externalId: string;
  /** the view's blocks with Slack's generated block_id/action_id filled in (what payloads carry) */
  blocks: any[];
  open: boolean;
}

/** An `{ok:false, error}` answer (doc §3.2: Slack answers HTTP 200 with an error code). */
export class SlackApiError extends Error {
  constructor(
    readonly code: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(code);
  }
}
