/**
 * SlackDriver: plays the Slack platform towards the app under test — sends
 * signed requests with the exact bodies and content types Slack uses
 * (platform doc §1–§2) and then applies to the FakeSlack what Slack would do
 * with the app's HTTP answer (view_submission response actions, doc §2.6).
 */
import { createHmac } from 'node:crypto';
import type { FakeSlack } from './fake-slack.js';
import { validateSurface } from './block-kit.js';
import { GENERAL_CHANNEL, type StoredMessage, type StoredView } from './state.js';
import {
  elementsOf,
  optionsOf,
  stateValuesOf,
  statefulElementsOf,
  STATEFUL_TYPES,
  type StateValues,
} from './surface.js';
import { clientSideProblems, entryFor, type Picked, type SuggestionCache } from './driver-values.js';
import {
  appHomeOpenedEvent,
  blockActionsPayload,
  blockSuggestionPayload,
  commandFields,
  eventEnvelope,
  viewClosedPayload,
  viewSubmissionPayload,
  type Surface,
} from './payloads.js';

export interface DriverResponse {
  status: number;
  text: string;
  json?: any;
  /** ms until the app answered; Slack gives up after 3 s (doc §1.3) */
  elapsedMs?: number;
  /** the answer came after Slack's 3 s deadline, so Slack ignored it (view left as it was) */
  timedOut?: boolean;
  /** false when Slack would not have sent anything (e.g. a select in an input block without dispatch_action) */
  dispatched?: boolean;
  /** Slack's complaint about the app's answer (e.g. an invalid `response_action: update` view) */
  slackError?: string;
  slackMessages?: string[];
}

/** `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{rawBody}` (doc §1.1). */
export function signSlackRequest(signingSecret: string, timestamp: number | string, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

type Where = { channel: string; ts: string } | { viewId: string };

/**
 * How a request reaches the app instead of a signed HTTP POST: the body and content type Slack would
 * have POSTed, answered with what the app acked (status 200 and the ack's JSON, or a timeout).
 */
export type SlackTransport = (body: string, contentType: string) => Promise<{ status: number; text: string }>;
type ResolvedSurface = Surface & { key: string; blocks: any[]; describe: string };

export class SlackDriver {
  private readonly slack: FakeSlack;
  private readonly eventsUrl: string;
  private readonly signingSecret: string;
  private readonly apiAppId: string;
  private readonly suggestions: SuggestionCache = new Map();
  private lastEventBody: string | undefined;

  private readonly transport: SlackTransport | undefined;

  /** `transport` replaces the signed HTTP POST (Socket Mode: test/support/socket-mode.ts). */
  constructor(opts: {
    eventsUrl: string;
    signingSecret: string;
    slack: FakeSlack;
    apiAppId?: string;
    transport?: SlackTransport;
  }) {
    this.slack = opts.slack;
    this.eventsUrl = opts.eventsUrl;
    this.signingSecret = opts.signingSecret;
    this.apiAppId = opts.apiAppId ?? opts.slack.appId;
    this.transport = opts.transport;
  }

  /** POST a body to the app, signed with the current time unless `headers` say otherwise (`signature: null` omits it). */
  async raw(
    body: string,
    contentType: string,
    headers: { timestamp?: string; signature?: string | null; retryNum?: number } = {},
  ): Promise<DriverResponse> {
    const timestamp = headers.timestamp ?? String(Math.floor(Date.now() / 1000));
    const signature =
      headers.signature === undefined ? signSlackRequest(this.signingSecret, timestamp, body) : headers.signature;
    const h: Record<string, string> = { 'content-type': contentType, 'x-slack-request-timestamp': timestamp };
    if (signature !== null) h['x-slack-signature'] = signature;
    // An Events API retry (doc: "X-Slack-Retry-Num" / "X-Slack-Retry-Reason"): the same body, signed anew.
    if (headers.retryNum !== undefined)
      Object.assign(h, { 'x-slack-retry-num': String(headers.retryNum), 'x-slack-retry-reason': 'http_timeout' });
    const started = Date.now();
    let status: number;
    let text: string;
    let isJson: boolean;
    if (this.transport) {
      ({ status, text } = await this.transport(body, contentType));
      isJson = true;
    } else {
      const res = await fetch(this.eventsUrl, { method: 'POST', headers: h, body });
      status = res.status;
      text = await res.text();
      isJson = String(res.headers.get('content-type')).includes('json');
    }
    const elapsedMs = Date.now() - started;
    let json: any;
    if (text !== '' && (isJson || /^\s*[[{]/.test(text))) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    return { status, text, json, elapsedMs, timedOut: elapsedMs > this.slack.state.ackDeadlineMs, dispatched: true };
  }

  /** Interactivity: a single `payload` form field, Content-Type exactly application/x-www-form-urlencoded (doc §0.3, §1.2). */
  private async interact(payload: Record<string, unknown>): Promise<DriverResponse> {
    const res = await this.raw(
      new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
      'application/x-www-form-urlencoded',
    );
    // Past 3 s Slack stops waiting and shows the user an error (doc §1.3).
    if (res.timedOut) res.slackError = 'operation_timeout';
    return res;
  }

  /** Events API `event_callback` envelope, application/json (doc §2.9). */
  event(event: Record<string, unknown>): Promise<DriverResponse> {
    this.lastEventBody = JSON.stringify(eventEnvelope(this.slack, this.apiAppId, event));
    return this.raw(this.lastEventBody, 'application/json');
  }

  /** Slack retries an event it thinks was not received: the very same envelope (same event_id), with the retry headers. */
  redeliverLastEvent(retryNum = 1): Promise<DriverResponse> {
    if (!this.lastEventBody) throw new Error('redeliverLastEvent: no event was sent yet');
    return this.raw(this.lastEventBody, 'application/json', { retryNum });
  }

  /**
   * user_change, as Slack sends it when a member's profile or account changes (deactivation included):
   * `event.user` is the full users.info user object as the workspace now has it (`deleted: true` once
   * deactivated), with `cache_ts`. Call after changing the user in the double (deactivateUser).
   */
  userChange(userId: string): Promise<DriverResponse> {
    return this.event({
      type: 'user_change',
      user: this.slack.renderedUser(userId),
      cache_ts: Math.floor(Date.now() / 1000),
    });
  }

  /** subteam_updated, as Slack sends it when a user group changes (disabled: `date_delete` > 0), with the full group. */
  subteamUpdated(groupId: string): Promise<DriverResponse> {
    return this.event({ type: 'subteam_updated', subteam: this.slack.renderedUsergroup(groupId) });
  }

  /**
   * Slash command with fresh trigger_id and response_url (doc §2.1). Defaults to #general (`C0GENERAL`).
   * A non-empty 200 body is shown like Slack does: ephemeral to the user unless
   * `response_type: "in_channel"` (doc §3.3 "Slash-command default ... is ephemeral").
   */
  async command(
    userId: string,
    command: string,
    text = '',
    opts: { channelId?: string } = {},
  ): Promise<DriverResponse> {
    const channelId = opts.channelId ?? GENERAL_CHANNEL;
    const fields = commandFields(this.slack, {
      userId,
      command,
      text,
      channelId,
      apiAppId: this.apiAppId,
      responseUrl: this.slack.newResponseUrl({ channel: channelId, userId }),
      triggerId: this.slack.issueTriggerId(userId),
    });
    const res = await this.raw(new URLSearchParams(fields).toString(), 'application/x-www-form-urlencoded');
    if (res.timedOut) res.slackError = 'operation_timeout';
    else if (res.status === 200 && res.text !== '') {
      const body = res.json && typeof res.json === 'object' ? res.json : { text: res.text };
      const blocks = Array.isArray(body.blocks) ? body.blocks : [];
      const messages = validateSurface('message', { blocks });
      if (messages.length > 0) {
        res.slackError = 'invalid_blocks';
        res.slackMessages = messages;
      } else {
        const inChannel = body.response_type === 'in_channel';
        this.slack.state.addMessage({
          channel: channelId,
          text: typeof body.text === 'string' ? body.text : '',
          blocks,
          user: this.slack.botUserId,
          ...(inChannel ? {} : { ephemeralTo: userId }),
        });
      }
    }
    return res;
  }

  /** block_actions for a button the user can see (throws if it is not shown). */
  clickButton(
    userId: string,
    where: Where,
    actionId: string,
    opts: { value?: string; blockId?: string } = {},
  ): Promise<DriverResponse> {
    const s = this.surface(userId, where);
    // `blockId` picks one of several buttons sharing an action_id (e.g. one per request in a list).
    const ref = elementsOf(s.blocks).find(
      (r) =>
        r.element.type === 'button' &&
        r.actionId === actionId &&
        (opts.blockId === undefined || r.blockId === opts.blockId),
    );
    if (!ref) {
      const shown = elementsOf(s.blocks)
        .filter((r) => r.element.type === 'button')
        .map((r) => r.actionId);
      throw new Error(`No button with action_id "${actionId}" in ${s.describe}; buttons shown: [${shown.join(', ')}]`);
    }
    const e = ref.element;
    const value = opts.value ?? e.value;
    const action = {
      type: 'button',
      action_id: ref.actionId,
      block_id: ref.blockId,
      text: e.text,
      ...(value !== undefined ? { value } : {}),
      ...(e.style ? { style: e.style } : {}),
    };
    return this.sendAction(userId, s, action);
  }

  /** A pick in a select / checkboxes / radios / date picker / overflow; updates the surface state like the client does. */
  async selectAction(
    userId: string,
    where: Where,
    actionId: string,
    selected: Picked,
    opts: { blockId?: string } = {},
  ): Promise<DriverResponse> {
    const s = this.surface(userId, where);
    // `blockId` tells apart inputs that share an action_id in different blocks.
    const ref = elementsOf(s.blocks).find(
      (r) =>
        r.actionId === actionId &&
        r.element.type !== 'button' &&
        (opts.blockId === undefined || r.blockId === opts.blockId),
    );
    if (!ref) throw new Error(`No selectable element with action_id "${actionId}" in ${s.describe}`);
    const entry = entryFor(this.slack, ref.element, selected, `${s.describe} ${actionId}`, this.suggestions);
    if (STATEFUL_TYPES.has(ref.element.type)) this.slack.setSurfaceValue(s.key, ref.blockId, ref.actionId, entry);
    // Inside an input block Slack only sends block_actions when the block has dispatch_action: true.
    if (ref.slot === 'input' && ref.block.dispatch_action !== true)
      return { status: 0, text: '', dispatched: false, elapsedMs: 0 };
    const fresh = this.surface(userId, where);
    return this.sendAction(userId, fresh, { ...entry, action_id: ref.actionId, block_id: ref.blockId });
  }

  private sendAction(userId: string, s: ResolvedSurface, action: Record<string, unknown>): Promise<DriverResponse> {
    const responseUrl =
      s.kind === 'message'
        ? this.slack.newResponseUrl({ channel: s.message.channel, userId, messageTs: s.message.ts })
        : undefined;
    return this.interact(
      blockActionsPayload(this.slack, {
        userId,
        apiAppId: this.apiAppId,
        surface: s,
        action,
        triggerId: this.slack.issueTriggerId(userId),
        responseUrl,
      }),
    );
  }

  /**
   * view_submission. `values` is keyed by input block_id; left-out elements keep
   * their current/initial value; null clears. `opts.raw` entries
   * (`{block_id: {action_id: entry}}`) are sent verbatim and skip client checks.
   */
  async submitView(
    userId: string,
    viewId: string,
    values: Record<string, Picked>,
    opts: { raw?: Record<string, Record<string, any>> } = {},
  ): Promise<DriverResponse> {
    const s = this.surface(userId, { viewId });
    if (s.kind !== 'view' || s.view.type !== 'modal')
      throw new Error(`${s.describe} is not a modal; only modals can be submitted`);
    for (const [blockId, picked] of Object.entries(values)) {
      const block = s.blocks.find((b) => b?.block_id === blockId);
      if (!block)
        throw new Error(
          `${s.describe} has no block "${blockId}" (blocks: ${s.blocks.map((b) => b?.block_id).join(', ')})`,
        );
      const refs = statefulElementsOf([block]);
      if (refs.length !== 1)
        throw new Error(`${s.describe} block "${blockId}" has ${refs.length} input elements; use opts.raw`);
      const ref = refs[0]!;
      this.slack.setSurfaceValue(
        s.key,
        ref.blockId,
        ref.actionId,
        entryFor(this.slack, ref.element, picked, `${s.describe} ${blockId}`, this.suggestions),
      );
    }
    const stateValues: StateValues = stateValuesOf(s.blocks, this.slack.surfaceValues(s.key));
    for (const [blockId, entries] of Object.entries(opts.raw ?? {}))
      stateValues[blockId] = { ...stateValues[blockId], ...entries };
    if (!opts.raw) {
      const problems = clientSideProblems(s.blocks, stateValues);
      if (problems.length > 0)
        throw new Error(`Slack would not submit ${s.describe}: ${problems.join('; ')} (use opts.raw to force)`);
    }
    const res = await this.interact(
      viewSubmissionPayload(this.slack, {
        userId,
        apiAppId: this.apiAppId,
        view: s.view,
        values: stateValues,
        triggerId: this.slack.issueTriggerId(userId),
      }),
    );
    // Only a timely 200 changes the view; anything else leaves it open with an error shown (doc §1.3, §2.6).
    if (res.status === 200 && !res.timedOut) {
      const outcome = this.slack.applyViewResponse(
        userId,
        viewId,
        res.text === '' ? undefined : (res.json ?? res.text),
      );
      if (outcome.error) {
        res.slackError = outcome.error;
        res.slackMessages = outcome.messages;
      }
    }
    return res;
  }

  /** block_suggestion for an external select; remembers the options so a later pick carries their text (doc §2.8). */
  async suggest(
    userId: string,
    viewId: string,
    actionId: string,
    query: string,
    opts: { blockId?: string } = {},
  ): Promise<DriverResponse> {
    const s = this.surface(userId, { viewId });
    const ref = elementsOf(s.blocks).find(
      (r) =>
        r.actionId === actionId &&
        /external_select$/.test(r.element.type) &&
        (opts.blockId === undefined || r.blockId === opts.blockId),
    );
    if (!ref) throw new Error(`No external select with action_id "${actionId}" in ${s.describe}`);
    const min = typeof ref.element.min_query_length === 'number' ? ref.element.min_query_length : 3;
    if (query.length < min)
      throw new Error(`Slack sends block_suggestion only after ${min} characters (min_query_length); got "${query}"`);
    if (s.kind !== 'view') throw new Error('unreachable');
    const res = await this.interact(
      blockSuggestionPayload(this.slack, {
        userId,
        apiAppId: this.apiAppId,
        view: s.view,
        values: s.values,
        blockId: ref.blockId,
        actionId,
        query,
      }),
    );
    const body = res.json;
    if (res.status === 200 && body && (Array.isArray(body.options) || Array.isArray(body.option_groups))) {
      const opts = optionsOf(body);
      this.suggestions.set(actionId, opts);
      // 100-option cap on suggestions is not confirmed on real Slack (doc §7), so it is reported, not enforced.
      if (opts.length > 100) res.slackMessages = [`${opts.length} options returned; static selects allow 100`];
    } else if (res.status === 200) {
      res.slackError = 'invalid_options_response';
    }
    return res;
  }

  /** app_home_opened event (doc §2.9). */
  appHomeOpened(userId: string): Promise<DriverResponse> {
    return this.event(appHomeOpenedEvent(this.slack, userId));
  }

  /** The user closes the top modal: view_closed only when notify_on_close (doc §2.7); the view closes either way. */
  async closeView(userId: string, viewId: string): Promise<DriverResponse> {
    const s = this.surface(userId, { viewId });
    if (s.kind !== 'view' || s.view.type !== 'modal') throw new Error(`${s.describe} is not a modal`);
    const v = s.view;
    const isCleared = v.view?.clear_on_close === true;
    const values = s.values;
    if (isCleared) this.slack.clearViews(userId);
    else this.slack.closeTopView(userId);
    if (v.view?.notify_on_close !== true) return { status: 0, text: '', dispatched: false, elapsedMs: 0 };
    return this.interact(
      viewClosedPayload(this.slack, { userId, apiAppId: this.apiAppId, view: v, values, isCleared }),
    );
  }

  /** Resolve what the user is looking at; a person can only act on what Slack shows them. */
  private surface(userId: string, where: Where): ResolvedSurface {
    if ('viewId' in where) {
      const v: StoredView | undefined = this.slack.view(where.viewId);
      const describe = `view ${where.viewId}`;
      if (!v) throw new Error(`${describe} does not exist`);
      if (v.userId !== userId) throw new Error(`${describe} belongs to ${v.userId}, not ${userId}`);
      if (v.type === 'modal') {
        if (!v.open) throw new Error(`${describe} is closed`);
        if (this.slack.topView(userId)?.id !== v.id) throw new Error(`${describe} is not the top modal of ${userId}`);
      } else if (this.slack.home(userId)?.id !== v.id) {
        throw new Error(`${describe} is not ${userId}'s current Home view`);
      }
      const key = `view:${v.id}`;
      return {
        kind: 'view',
        view: v,
        values: stateValuesOf(v.blocks, this.slack.surfaceValues(key)),
        key,
        blocks: v.blocks,
        describe,
      };
    }
    const m: StoredMessage | undefined = this.slack.message(where.channel, where.ts);
    const describe = `message ${where.channel}/${where.ts}`;
    if (!m) throw new Error(`${describe} does not exist (deleted?)`);
    if (m.ephemeralTo !== undefined && m.ephemeralTo !== userId)
      throw new Error(`${describe} is ephemeral to ${m.ephemeralTo}, not ${userId}`);
    const ch = this.slack.state.channels.get(m.channel);
    if (ch && !this.slack.state.isMember(ch, userId))
      throw new Error(`${userId} is not in ${m.channel} and cannot see ${describe}`);
    const key = `msg:${m.channel}:${m.ts}`;
    return {
      kind: 'message',
      message: m,
      values: stateValuesOf(m.blocks, this.slack.surfaceValues(key)),
      key,
      blocks: m.blocks,
      describe,
    };
  }
}

export { until } from '../support/until.js';
