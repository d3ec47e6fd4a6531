/**
 * The workspace the fake Slack simulates: users, groups, channels, messages, views and trigger ids.
 * Pure data and rules; the view stacks' rules are in view-stacks.ts, trigger ids in trigger-ids.ts,
 * id formats in slack-ids.ts; HTTP lives in fake-slack.ts, Web API methods in api-dispatch.ts and
 * the tables it joins.
 */
import { newId } from './slack-ids.js';
import { normalizeBlocks, type StateValues } from './surface.js';
import { TriggerIds } from './trigger-ids.js';

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
import type {
  FakeChannel,
  FakeProfileField,
  FakeSlackOptions,
  FakeUser,
  FakeUsergroup,
  SlackPlan,
  StoredMessage,
  StoredView,
} from './types.js';

export const GENERAL_CHANNEL = 'C0GENERAL';

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
  readonly triggers: TriggerIds;
  private readonly dmByUser = new Map<string, string>();
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
    this.triggers = new TriggerIds(this.triggerTtlMs);
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

  // ---- channels -------------------------------------------------------------

  dmChannelOf(userId: string): string {
    let id = this.dmByUser.get(userId);
    if (!id) {
      id = `D${userId.slice(1)}`; // stable and readable: U0ALICE -> D0ALICE
      if (this.channels.has(id)) id = newId('D');
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
}
