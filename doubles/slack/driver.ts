/**
 * SlackDriver: plays the Slack platform towards the app under test — sends
 * signed requests with the exact bodies and content types Slack uses
 * (platform doc §1–§2) and then applies to the FakeSlack what Slack would do
 * with the app's HTTP answer (view_submission response actions, doc §2.6).
 */
import type { FakeSlack } from './fake-slack.js';
import { validateSurface } from './block-kit.js';
import { GENERAL_CHANNEL } from './state.js';
import type { Picked, SuggestionCache } from './driver-values.js';
import { appHomeOpenedEvent, commandFields, eventEnvelope } from './payloads.js';
import { postToApp, type AppEndpoint, type DriverResponse, type SlackTransport } from './driver-transport.js';
import type { DriverContext, Where } from './driver-surface.js';
import { clickButton, selectAction, suggest } from './driver-actions.js';
import { closeView, submitView } from './driver-views.js';

export { signSlackRequest, type DriverResponse, type SlackTransport } from './driver-transport.js';

export class SlackDriver {
  private readonly slack: FakeSlack;
  private readonly app: AppEndpoint;
  private readonly apiAppId: string;
  private readonly suggestions: SuggestionCache = new Map();
  /** What the interactions (driver-actions.ts, driver-views.ts) use of this driver. */
  private readonly context: DriverContext;
  private lastEventBody: string | undefined;

  /** `transport` replaces the signed HTTP POST (Socket Mode: test/support/socket-mode.ts). */
  constructor(opts: {
    eventsUrl: string;
    signingSecret: string;
    slack: FakeSlack;
    apiAppId?: string;
    transport?: SlackTransport;
  }) {
    this.slack = opts.slack;
    this.app = { eventsUrl: opts.eventsUrl, signingSecret: opts.signingSecret, transport: opts.transport };
    this.apiAppId = opts.apiAppId ?? opts.slack.appId;
    this.context = {
      slack: this.slack,
      apiAppId: this.apiAppId,
      suggestions: this.suggestions,
      interact: (payload) => this.interact(payload),
    };
  }

  /** POST a body to the app, signed with the current time unless `headers` say otherwise (`signature: null` omits it). */
  raw(
    body: string,
    contentType: string,
    headers: { timestamp?: string; signature?: string | null; retryNum?: number } = {},
  ): Promise<DriverResponse> {
    return postToApp(this.app, this.slack.state.ackDeadlineMs, body, contentType, headers);
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
    return clickButton(this.context, userId, where, actionId, opts);
  }

  /** A pick in a select / checkboxes / radios / date picker / overflow; updates the surface state like the client does. */
  selectAction(
    userId: string,
    where: Where,
    actionId: string,
    selected: Picked,
    opts: { blockId?: string } = {},
  ): Promise<DriverResponse> {
    return selectAction(this.context, userId, where, actionId, selected, opts);
  }

  /**
   * view_submission. `values` is keyed by input block_id; left-out elements keep
   * their current/initial value; null clears. `opts.raw` entries
   * (`{block_id: {action_id: entry}}`) are sent verbatim and skip client checks.
   */
  submitView(
    userId: string,
    viewId: string,
    values: Record<string, Picked>,
    opts: { raw?: Record<string, Record<string, any>> } = {},
  ): Promise<DriverResponse> {
    return submitView(this.context, userId, viewId, values, opts);
  }

  /** block_suggestion for an external select; remembers the options so a later pick carries their text (doc §2.8). */
  suggest(
    userId: string,
    viewId: string,
    actionId: string,
    query: string,
    opts: { blockId?: string } = {},
  ): Promise<DriverResponse> {
    return suggest(this.context, userId, viewId, actionId, query, opts);
  }

  /** app_home_opened event (doc §2.9). */
  appHomeOpened(userId: string): Promise<DriverResponse> {
    return this.event(appHomeOpenedEvent(this.slack, userId));
  }

  /** The user closes the top modal: view_closed only when notify_on_close (doc §2.7); the view closes either way. */
  closeView(userId: string, viewId: string): Promise<DriverResponse> {
    return closeView(this.context, userId, viewId);
  }
}

export { until } from '../support/until.js';
