/**
 * FakeSlack's workspace side: the accessors tests read and arrange the workspace with (messages, views,
 * people, groups, channels) and the view-stack mutators the driver uses. FakeSlack (fake-slack.ts)
 * extends it with the HTTP server, the recorded calls, faults, rate limits and response_urls.
 */
import { renderGroup, renderUser } from './directory-methods.js';
import type {
  FakeChannel,
  FakeProfileField,
  FakeUser,
  FakeUsergroup,
  SlackState,
  StoredMessage,
  StoredView,
} from './state.js';
import { stateValuesOf, type StateValues } from './surface.js';
import { applyViewResponse } from './view-response.js';
import { clearViews, closeTopView, renderView, stackOf } from './view-stacks.js';

export class FakeSlackWorkspace {
  /** Workspace state; the driver uses it directly, tests should prefer the accessors below. */
  readonly state: SlackState;

  protected constructor(state: SlackState) {
    this.state = state;
  }

  // ---- workspace accessors ----------------------------------------------------

  dmChannelOf(userId: string): string {
    return this.state.dmChannelOf(userId);
  }
  messagesIn(channel: string): StoredMessage[] {
    return this.state.messages.filter((m) => m.channel === channel);
  }
  dmsTo(userId: string): StoredMessage[] {
    return this.messagesIn(this.dmChannelOf(userId));
  }
  message(channel: string, ts: string): StoredMessage | undefined {
    return this.state.findMessage(channel, ts, true);
  }
  ephemeralsTo(userId: string): StoredMessage[] {
    return this.state.ephemerals.filter((m) => m.ephemeralTo === userId);
  }
  viewStack(userId: string): StoredView[] {
    return stackOf(this.state, userId).map((id) => this.state.views.get(id)!);
  }
  topView(userId: string): StoredView | undefined {
    return this.viewStack(userId).at(-1);
  }
  view(viewId: string): StoredView | undefined {
    return this.state.views.get(viewId);
  }
  home(userId: string): StoredView | undefined {
    const id = this.state.homes.get(userId);
    return id ? this.state.views.get(id) : undefined;
  }
  /** The Slack-rendered view object (ids filled in, `state.values`, hash...) as payloads carry it. */
  renderedView(viewId: string): Record<string, any> | undefined {
    const v = this.state.views.get(viewId);
    if (!v) return undefined;
    return {
      ...renderView(this.state, v),
      state: { values: stateValuesOf(v.blocks, this.surfaceValues(`view:${v.id}`)) },
    };
  }

  addUser(u: FakeUser): void {
    this.state.users.set(u.id, { ...u });
  }
  updateUser(id: string, patch: Partial<FakeUser>): void {
    const u = this.state.users.get(id);
    if (!u) throw new Error(`FakeSlack.updateUser: no user ${id}`);
    Object.assign(u, patch, { id });
  }
  /** Deactivates a member as an admin does in Slack: users.info then says `deleted: true`. */
  deactivateUser(id: string): void {
    this.updateUser(id, { deleted: true });
  }
  /** The users.info `user` object, as Slack renders it (the `user_change` event carries the same). */
  renderedUser(id: string): Record<string, unknown> {
    const u = this.state.users.get(id);
    if (!u) throw new Error(`FakeSlack.renderedUser: no user ${id}`);
    return renderUser(this.state, u);
  }
  /** usergroups.disable: `date_delete` becomes the time of disabling; the members are kept. */
  disableUsergroup(id: string): void {
    const g = this.state.usergroups.get(id);
    if (!g) throw new Error(`FakeSlack.disableUsergroup: no usergroup ${id}`);
    g.dateDelete = Math.floor(Date.now() / 1000);
  }
  /** The usergroup object as usergroups.list (include_users) and the subteam_* events carry it. */
  renderedUsergroup(id: string): Record<string, unknown> {
    const g = this.state.usergroups.get(id);
    if (!g) throw new Error(`FakeSlack.renderedUsergroup: no usergroup ${id}`);
    return renderGroup(this.state, g, true);
  }
  /** A custom profile field, as a workspace admin defines one (members' values go in FakeUser.fields). */
  addProfileField(f: FakeProfileField): void {
    this.state.profileFields.push({ ...f });
  }
  addUsergroup(g: FakeUsergroup): void {
    this.state.usergroups.set(g.id, { ...g, users: [...g.users] });
  }
  setUsergroupUsers(id: string, users: string[]): void {
    const g = this.state.usergroups.get(id);
    if (!g) throw new Error(`FakeSlack.setUsergroupUsers: no usergroup ${id}`);
    g.users = [...users];
  }
  addChannel(c: FakeChannel): void {
    this.state.addChannel(c);
  }
  /** Archive or unarchive a channel, or take the bot out of it / invite it back. */
  updateChannel(id: string, patch: { isArchived?: boolean; botIsMember?: boolean; isPrivate?: boolean }): void {
    const c = this.state.channels.get(id);
    if (!c) throw new Error(`FakeSlack.updateChannel: no channel ${id}`);
    Object.assign(c, patch);
  }
  /** A message posted by a person (so chat.update on it must fail with `cant_update_message`). */
  postAsUser(channel: string, userId: string, text: string): StoredMessage {
    return this.state.addMessage({ channel, text, blocks: [], user: userId });
  }

  // ---- view stack mutators (driver) -------------------------------------------

  /** Apply the HTTP answer to a view_submission as Slack's client would (see view-response.ts). */
  applyViewResponse(userId: string, viewId: string, body: unknown): { error?: string; messages?: string[] } {
    return applyViewResponse(this.state, userId, viewId, body);
  }

  closeTopView(userId: string): StoredView | undefined {
    return closeTopView(this.state, userId);
  }
  clearViews(userId: string): void {
    clearViews(this.state, userId);
  }
  /** Driver use: remember what the user picked/typed in a surface (`view:<id>` or `msg:<channel>:<ts>`). */
  setSurfaceValue(surfaceKey: string, blockId: string, actionId: string, entry: Record<string, unknown>): void {
    const s: StateValues = this.state.surfaceState.get(surfaceKey) ?? {};
    (s[blockId] ??= {})[actionId] = entry;
    this.state.surfaceState.set(surfaceKey, s);
  }
  surfaceValues(surfaceKey: string): StateValues {
    return this.state.surfaceState.get(surfaceKey) ?? {};
  }
}
