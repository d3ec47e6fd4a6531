/**
 * FakeSlack: a local Slack Web API (`POST /api/<method>`, decoded by api-request.ts) plus
 * response_url endpoints, holding the workspace state tests assert on. HTTP 200 + `{ok:false,error}`
 * for every error except injected 429/500 faults (faults.ts; doc §3.4, §0.10).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { readApiRequest } from './api-request.js';
import { answerApiCall } from './api-dispatch.js';
import { CallGate } from './call-gate.js';
import type { Fault } from './faults.js';
import {
  SlackState,
  type FakeChannel,
  type FakeProfileField,
  type FakeSlackOptions,
  type FakeUser,
  type FakeUsergroup,
  type RecordedCall,
  type StoredMessage,
  type StoredView,
} from './state.js';
import { answerResponseUrl, type ResponseUrlRec } from './response-urls.js';
import { applyViewResponse } from './view-response.js';
import { renderGroup, renderUser } from './directory-methods.js';
import { stateValuesOf, type StateValues } from './surface.js';
import { clearViews, closeTopView, renderView, stackOf } from './view-stacks.js';

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
} from './state.js';
export { GENERAL_CHANNEL } from './state.js';

export type { Fault } from './faults.js';

/** What a response_url is tied to: the channel/user of a command, or the message a button was clicked in. */
export interface ResponseUrlContext {
  channel?: string;
  userId?: string;
  messageTs?: string;
}

export class FakeSlack {
  readonly apiUrl: string;
  readonly baseUrl: string;
  readonly teamId: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly appId: string;
  /** `token` field Slack puts in commands and payloads (the legacy verification token). */
  readonly verificationToken = 'fakeVerificationToken0000';
  /** Workspace state; the driver uses it directly, tests should prefer the accessors below. */
  readonly state: SlackState;
  private readonly server: Server;
  private readonly recorded: RecordedCall[] = [];
  private readonly callListeners = new Set<(call: RecordedCall) => void>();
  private readonly gate: CallGate;
  private readonly responseUrls = new Map<string, ResponseUrlRec>();
  private readonly responsePosts: Array<{ url: string; body: any }> = [];
  /** Socket Mode: the app-level token apps.connections.open accepts, and the WebSocket URL it hands out. */
  private socketMode: { appToken: string; url: () => string } | null = null;

  private constructor(state: SlackState, server: Server, port: number, opts: FakeSlackOptions) {
    this.state = state;
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.apiUrl = `${this.baseUrl}/api/`;
    this.teamId = state.teamId;
    this.botUserId = state.botUserId;
    this.botId = state.botId;
    this.appId = state.appId;
    this.gate = new CallGate(opts.rateLimits);
  }

  static async start(opts: FakeSlackOptions): Promise<FakeSlack> {
    const state = new SlackState(opts);
    // The server needs the instance, and the instance needs the server's port: tie them after listen.
    const bound: { slack?: FakeSlack } = {};
    const server = createServer((req, res) => {
      void bound.slack!.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    bound.slack = new FakeSlack(state, server, (server.address() as AddressInfo).port, opts);
    return bound.slack;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- recorded calls & faults ------------------------------------------------

  calls(method?: string): RecordedCall[] {
    return this.recorded.filter((c) => method === undefined || c.method === method);
  }
  failures(): RecordedCall[] {
    return this.recorded.filter((c) => !c.ok);
  }
  clearCalls(): void {
    this.recorded.length = 0;
  }
  /** Called with every Web API call as it is recorded (benchmarks wait on these instead of polling). */
  onCall(listener: (call: RecordedCall) => void): () => void {
    this.callListeners.add(listener);
    return () => this.callListeners.delete(listener);
  }

  /**
   * Make the next `times` calls of `method` (those `when` matches, if given) fail. 429 carries
   * Retry-After (doc §3.4); note WebClient retries 429/500.
   */
  failNext(method: string, fault: Fault, times = 1, when?: (args: Record<string, unknown>) => boolean): void {
    this.gate.failNext(method, fault, times, when);
  }

  /** Enforce a rate limit on `method` from now on: HTTP 429 + Retry-After past `limit` calls in `windowMs`. */
  rateLimit(method: string, limit: number, windowMs: number): void {
    this.gate.rateLimit(method, limit, windowMs);
  }

  /**
   * Enforce Slack's per-method rate-limit tiers (rate-limits.ts) from now on: a call over its budget
   * is answered HTTP 429 with `Retry-After`, as Slack does. `now` drives the buckets (default wall time).
   */
  enforceRateLimits(now?: () => number): void {
    this.gate.enforceTiers(now);
  }
  relaxRateLimits(): void {
    this.gate.relaxTiers();
  }

  /**
   * Lets apps.connections.open succeed for `appToken` (an xapp- app-level token) and answer with the
   * WebSocket URL of a Socket Mode server (doc §6; test/support/socket-mode.ts serves one).
   */
  acceptSocketMode(appToken: string, url: () => string): void {
    this.socketMode = { appToken, url };
  }

  // ---- triggers, response urls ------------------------------------------------

  issueTriggerId(userId: string): string {
    return this.state.triggers.issue(userId);
  }

  /** A response_url served here: at most 5 uses within 30 minutes (doc §3.3). */
  newResponseUrl(ctx: ResponseUrlContext = {}): string {
    const id = randomBytes(12).toString('hex');
    const url = `${this.baseUrl}/response/${id}`;
    this.responseUrls.set(id, { id, url, ...ctx, uses: 0, expiresAt: Date.now() + 30 * 60_000 });
    return url;
  }

  responses(url?: string): Array<{ url: string; body: any }> {
    return this.responsePosts.filter((r) => url === undefined || r.url === url);
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

  // ---- HTTP -------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const [path = '/', query = ''] = (req.url ?? '/').split('?');
    if (req.method === 'POST' && path.startsWith('/api/')) return this.handleApi(path.slice(5), req, raw, query, res);
    if (req.method === 'POST' && path.startsWith('/response/')) return this.handleResponseUrl(path.slice(10), raw, res);
    send(res, 404, { ok: false, error: 'not_found' });
  }

  private handleApi(method: string, req: IncomingMessage, raw: string, query: string, res: ServerResponse): void {
    // Wall-clock ms with a fractional part: the benchmarks time Web API calls to well under a millisecond.
    const at = performance.timeOrigin + performance.now();
    const { args, token, parseError } = readApiRequest(
      String(req.headers['content-type'] ?? ''),
      String(req.headers.authorization ?? ''),
      raw,
      query,
    );
    const answer = answerApiCall(
      { state: this.state, gate: this.gate, socketMode: this.socketMode },
      method,
      args,
      token,
      parseError,
    );
    const call: RecordedCall = { method, args, ok: answer.ok, ...(answer.error ? { error: answer.error } : {}), at };
    this.recorded.push(call);
    for (const listener of this.callListeners) listener(call);
    res.writeHead(answer.status, {
      'content-type': 'application/json; charset=utf-8',
      ...(answer.retryAfterSec !== undefined ? { 'retry-after': String(answer.retryAfterSec) } : {}),
    });
    res.end(JSON.stringify(answer.body));
  }

  /**
   * response_url POSTs (doc §3.3): JSON with text/blocks, response_type,
   * replace_original, delete_original, thread_ts. Without replace/delete the
   * message is new: ephemeral to the user unless `response_type: in_channel`.
   */
  private handleResponseUrl(id: string, raw: string, res: ServerResponse): void {
    const rec = this.responseUrls.get(id);
    if (!rec) return send(res, 404, { ok: false, error: 'invalid_url' });
    let body: any;
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
    }
    this.responsePosts.push({ url: rec.url, body });
    const answer = answerResponseUrl(this.state, rec, body);
    send(res, answer.status, answer.body);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}
