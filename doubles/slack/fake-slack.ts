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
import { FakeSlackWorkspace } from './fake-slack-workspace.js';
import type { Fault } from './faults.js';
import { SlackState, type FakeSlackOptions, type RecordedCall } from './state.js';
import { answerResponseUrl, type ResponseUrlRec } from './response-urls.js';

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

/** The Slack Web API server; the workspace accessors tests assert on are in fake-slack-workspace.ts. */
export class FakeSlack extends FakeSlackWorkspace {
  readonly apiUrl: string;
  readonly baseUrl: string;
  readonly teamId: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly appId: string;
  /** `token` field Slack puts in commands and payloads (the legacy verification token). */
  readonly verificationToken = 'fakeVerificationToken0000';
  private readonly server: Server;
  private readonly recorded: RecordedCall[] = [];
  private readonly callListeners = new Set<(call: RecordedCall) => void>();
  private readonly gate: CallGate;
  private readonly responseUrls = new Map<string, ResponseUrlRec>();
  private readonly responsePosts: Array<{ url: string; body: any }> = [];
  /** Socket Mode: the app-level token apps.connections.open accepts, and the WebSocket URL it hands out. */
  private socketMode: { appToken: string; url: () => string } | null = null;

  private constructor(state: SlackState, server: Server, port: number, opts: FakeSlackOptions) {
    super(state);
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
