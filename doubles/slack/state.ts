/**
 * The workspace the fake Slack simulates: users, groups, channels, messages,
 * views and trigger ids, plus the id / ts formats Slack uses. Pure data and
 * rules; HTTP lives in fake-slack.ts, Web API methods in api-dispatch.ts and the tables it joins.
 */
import { randomBytes } from 'node:crypto';
import { carryOverState, normalizeBlocks, type StateValues } from './surface.js';

export type {
  FakeChannel,
  FakeProfileField,
  FakeSlackOptions,
  FakeUser,
  FakeUsergroup,
  RecordedCall,
  SlackPlan,
  StoredMessage,
  StoredView,
} from './types.js';
export { SlackApiError } from './types.js';
import {
  SlackApiError,
  type FakeChannel,
  type FakeProfileField,
  type FakeSlackOptions,
  type FakeUser,
  type FakeUsergroup,
  type SlackPlan,
  type StoredMessage,
  type StoredView,
} from './types.js';

export const GENERAL_CHANNEL = 'C0GENERAL';
const MAX_STACK = 3; // "Currently the limit is 3" (doc §3.2 views.push, §4)

export interface ChannelRec {
  id: string;
  name: string;
  members?: string[];
  botIsMember: boolean;
  isArchived?: boolean;
  isPrivate?: boolean;
  imUser?: string;
}

export class SlackState {
  readonly teamId: string;
  readonly teamDomain: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly appId: string;
  readonly botName: string;
  readonly botToken: string;
  /** The token's scopes; null grants every scope. */
  readonly scopes: ReadonlySet<string> | null;
  readonly triggerTtlMs: number;
  readonly ackDeadlineMs: number;
  readonly plan: SlackPlan;
  readonly appHome: { homeTab: boolean; messagesTab: boolean };
  readonly users = new Map<string, FakeUser>();
  readonly usergroups = new Map<string, FakeUsergroup>();
  /** The workspace's custom profile fields, in their order (team.profile.get). */
  readonly profileFields: FakeProfileField[] = [];
  readonly channels = new Map<string, ChannelRec>();
  readonly imOpened = new Set<string>();
  readonly messages: StoredMessage[] = [];
  readonly ephemerals: StoredMessage[] = [];
  readonly views = new Map<string, StoredView>();
  readonly stacks = new Map<string, string[]>();
  readonly homes = new Map<string, string>();
  /** user-changed element values per surface, keyed `view:<id>` or `msg:<channel>:<ts>` */
  readonly surfaceState = new Map<string, StateValues>();
  private readonly dmByUser = new Map<string, string>();
  private readonly triggers = new Map<string, { userId: string; expiresAt: number; used: boolean }>();
  private lastTsMicros = 0;

  constructor(o: FakeSlackOptions) {
    this.botToken = o.botToken;
    this.scopes = o.scopes ? new Set(o.scopes) : null;
    this.teamId = o.teamId ?? 'T0TEAM';
    this.teamDomain = o.teamDomain ?? 'fake-workspace';
    this.botUserId = o.botUserId ?? 'U0BOT';
    this.botId = o.botId ?? 'B0BOT';
    this.appId = o.appId ?? 'A0APP';
    this.botName = o.botName ?? 'access-bot';
    this.triggerTtlMs = o.triggerTtlMs ?? 3000;
    this.ackDeadlineMs = o.ackDeadlineMs ?? 3000;
    this.plan = o.plan ?? 'pro';
    this.appHome = { ...(o.appHome ?? { homeTab: true, messagesTab: true }) };
    for (const u of o.users) this.users.set(u.id, { ...u });
    if (!this.users.has(this.botUserId))
      this.users.set(this.botUserId, { id: this.botUserId, name: this.botName, isBot: true });
    for (const g of o.usergroups ?? []) this.usergroups.set(g.id, { ...g, users: [...g.users] });
    this.addChannel({ id: GENERAL_CHANNEL, name: 'general' });
    for (const c of o.channels ?? []) this.addChannel(c);
  }

  addChannel(c: FakeChannel): void {
    this.channels.set(c.id, {
      id: c.id,
      name: c.name,
      members: c.members ? [...c.members] : undefined,
      botIsMember: c.botIsMember ?? true,
      isArchived: c.isArchived ?? false,
      isPrivate: c.isPrivate ?? false,
    });
  }

  /** Message ts: "<unix seconds>.<6 digits>", strictly increasing and unique (doc §2.2 `"1678252213.679169"`). */
  nextTs(): string {
    const micros = Math.max(Date.now() * 1000, this.lastTsMicros + 1);
    this.lastTsMicros = micros;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  /** Slack-looking ids: prefix + 10 upper-case alphanumerics (e.g. "V1234567890"). */
  newId(prefix: string): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    const bytes = randomBytes(10);
    return prefix + Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
  }

  /** View hash, format "1596530361.3wRYuk3R" (doc §2.4). */
  newHash(): string {
    return `${Math.floor(Date.now() / 1000)}.${randomBytes(6)
      .toString('base64')
      .replace(/[^A-Za-z0-9]/g, 'x')
      .slice(0, 8)}`;
  }

  // ---- channels -------------------------------------------------------------

  dmChannelOf(userId: string): string {
    let id = this.dmByUser.get(userId);
    if (!id) {
      id = `D${userId.slice(1)}`; // stable and readable: U0ALICE -> D0ALICE
      if (this.channels.has(id)) id = this.newId('D');
      this.dmByUser.set(userId, id);
      this.channels.set(id, { id, name: id, members: [userId, this.botUserId], botIsMember: true, imUser: userId });
    }
    return id;
  }

  /** A channel id, or a user id meaning "the bot's DM with that user" (doc §3.2 chat.postMessage). */
  resolveChannel(idOrUser: unknown): ChannelRec | undefined {
    if (typeof idOrUser !== 'string' || idOrUser === '') return undefined;
    if (/^[UW]/.test(idOrUser)) {
      const user = this.users.get(idOrUser);
      if (!user) return undefined;
      return this.channels.get(this.dmChannelOf(idOrUser));
    }
    return this.channels.get(idOrUser);
  }

  isMember(ch: ChannelRec, userId: string): boolean {
    return ch.members === undefined ? this.users.has(userId) : ch.members.includes(userId);
  }

  // ---- messages -------------------------------------------------------------

  addMessage(m: Omit<StoredMessage, 'ts' | 'updateCount'>): StoredMessage {
    const msg: StoredMessage = { ...m, blocks: normalizeBlocks(m.blocks), ts: this.nextTs(), updateCount: 0 };
    (msg.ephemeralTo ? this.ephemerals : this.messages).push(msg);
    return msg;
  }

  findMessage(channel: string, ts: string, includeEphemeral = false): StoredMessage | undefined {
    return (
      this.messages.find((m) => m.channel === channel && m.ts === ts) ??
      (includeEphemeral ? this.ephemerals.find((m) => m.channel === channel && m.ts === ts) : undefined)
    );
  }

  updateMessage(m: StoredMessage, patch: { text?: string; blocks?: unknown }): void {
    if (patch.text !== undefined) m.text = patch.text;
    if (patch.blocks !== undefined) {
      m.blocks = normalizeBlocks(patch.blocks);
      this.surfaceState.delete(`msg:${m.channel}:${m.ts}`);
    }
    m.updateCount++;
  }

  deleteMessage(m: StoredMessage): void {
    for (const list of [this.messages, this.ephemerals]) {
      const i = list.indexOf(m);
      if (i >= 0) list.splice(i, 1);
    }
  }

  /** The `message` object Slack returns from chat.postMessage and puts in block_actions (doc §2.2). */
  renderMessage(m: StoredMessage): Record<string, unknown> {
    const fromBot = m.user === this.botUserId;
    return {
      type: 'message',
      text: m.text,
      user: m.user,
      ts: m.ts,
      team: this.teamId,
      blocks: m.blocks,
      ...(fromBot ? { bot_id: this.botId, app_id: this.appId } : {}),
      ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
      ...(m.updateCount > 0 ? { edited: { user: m.user, ts: m.ts } } : {}),
    };
  }

  // ---- trigger ids (doc §1.3) -------------------------------------------------

  issueTrigger(userId: string): string {
    const id = `${Date.now()}${randomBytes(1)[0]! % 10}.${1000000000 + (randomBytes(3).readUIntBE(0, 3) % 9000000000)}.${randomBytes(16).toString('hex')}`;
    this.triggers.set(id, { userId, expiresAt: Date.now() + this.triggerTtlMs, used: false });
    return id;
  }

  /** Consume a trigger id: expired → `expired_trigger_id`, reused → `exchanged_trigger_id`, unknown → `invalid_trigger_id`. */
  exchangeTrigger(triggerId: unknown): string {
    const t = typeof triggerId === 'string' ? this.triggers.get(triggerId) : undefined;
    if (!t) throw new SlackApiError('invalid_trigger_id');
    if (t.used) throw new SlackApiError('exchanged_trigger_id');
    if (Date.now() > t.expiresAt) throw new SlackApiError('expired_trigger_id');
    t.used = true;
    return t.userId;
  }

  // ---- views ----------------------------------------------------------------

  stackOf(userId: string): string[] {
    let s = this.stacks.get(userId);
    if (!s) this.stacks.set(userId, (s = []));
    return s;
  }

  private makeView(userId: string, view: any, previousViewId: string | null, rootViewId?: string): StoredView {
    const id = this.newId('V');
    const v: StoredView = {
      id,
      type: view.type,
      userId,
      view: structuredClone(view),
      hash: this.newHash(),
      rootViewId: rootViewId ?? id,
      previousViewId,
      externalId: typeof view.external_id === 'string' ? view.external_id : '',
      blocks: normalizeBlocks(view.blocks),
      open: true,
    };
    this.views.set(id, v);
    return v;
  }

  /** external_id must be unique per team (doc §4): among views still open. */
  assertExternalIdFree(view: any, exceptViewId?: string): void {
    const ext = view?.external_id;
    if (typeof ext !== 'string' || ext === '') return;
    for (const v of this.views.values()) {
      if (v.open && v.externalId === ext && v.id !== exceptViewId) throw new SlackApiError('duplicate_external_id');
    }
  }

  /** views.open: a new modal stack for the user (whatever was open is replaced). */
  openModal(userId: string, view: any): StoredView {
    this.clearViews(userId);
    const v = this.makeView(userId, view, null);
    this.stackOf(userId).push(v.id);
    return v;
  }

  pushModal(userId: string, view: any): StoredView {
    const stack = this.stackOf(userId);
    if (stack.length === 0) throw new SlackApiError('not_found');
    if (stack.length >= MAX_STACK) throw new SlackApiError('push_limit_reached');
    const top = this.views.get(stack[stack.length - 1]!)!;
    const v = this.makeView(userId, view, top.id, top.rootViewId);
    stack.push(v.id);
    return v;
  }

  /** views.update / response_action update: same view id, new hash, input carried over where block ids persist. */
  replaceView(v: StoredView, view: any): StoredView {
    v.view = structuredClone(view);
    v.blocks = normalizeBlocks(view.blocks);
    v.hash = this.newHash();
    v.externalId = typeof view.external_id === 'string' ? view.external_id : '';
    const key = `view:${v.id}`;
    this.surfaceState.set(key, carryOverState(v.blocks, this.surfaceState.get(key) ?? {}));
    return v;
  }

  publishHome(userId: string, view: any): StoredView {
    const existing = this.homes.get(userId);
    if (existing) return this.replaceView(this.views.get(existing)!, view);
    const v = this.makeView(userId, view, null);
    this.homes.set(userId, v.id);
    return v;
  }

  closeTopView(userId: string): StoredView | undefined {
    const id = this.stackOf(userId).pop();
    const v = id ? this.views.get(id) : undefined;
    if (v) v.open = false;
    return v;
  }

  clearViews(userId: string): void {
    while (this.stackOf(userId).length > 0) this.closeTopView(userId);
  }

  /** The full view object Slack returns and embeds in payloads (doc §2.3/§2.4 field set). */
  renderView(v: StoredView): Record<string, any> {
    const src = v.view ?? {};
    const isHome = v.type === 'home';
    return {
      id: v.id,
      team_id: this.teamId,
      type: v.type,
      blocks: v.blocks,
      private_metadata: src.private_metadata ?? '',
      callback_id: src.callback_id ?? '',
      // API responses carry only what the user changed ({} for a fresh view, doc §3.2 views.open);
      // interaction payloads replace this with every stateful element (payloads.ts, doc §2.2).
      state: { values: structuredClone(this.surfaceState.get(`view:${v.id}`) ?? {}) },
      hash: v.hash,
      title: src.title ?? (isHome ? undefined : null),
      clear_on_close: src.clear_on_close ?? false,
      notify_on_close: src.notify_on_close ?? false,
      close: isHome ? null : (src.close ?? null),
      submit: isHome ? null : (src.submit ?? null),
      previous_view_id: v.previousViewId,
      root_view_id: v.rootViewId,
      app_id: this.appId,
      external_id: v.externalId,
      app_installed_team_id: this.teamId,
      bot_id: this.botId,
    };
  }
}
