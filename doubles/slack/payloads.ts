/**
 * Request bodies exactly as Slack sends them to the app (platform doc §2):
 * slash-command form fields (§1.2, §2.1), interactivity payloads (§2.2–2.8)
 * and Events API envelopes (§2.9).
 */
import { randomBytes } from 'node:crypto';
import type { FakeSlack } from './fake-slack.js';
import type { StoredMessage, StoredView } from './state.js';
import type { StateValues } from './surface.js';
import { renderView } from './view-stacks.js';

/** `"1678252216.469172"`-style action/event timestamps. */
export function nowTs(): string {
  const us = Date.now() * 1000 + Math.floor(Math.random() * 1000);
  return `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}`;
}

/** `user` object of interaction payloads: `{id, username, name, team_id}` (doc §2.3). */
export function userObject(slack: FakeSlack, userId: string): Record<string, string> {
  const name = slack.state.users.get(userId)?.name ?? userId.toLowerCase();
  return { id: userId, username: name, name, team_id: slack.teamId };
}

export function teamObject(slack: FakeSlack): Record<string, string> {
  return { id: slack.teamId, domain: slack.state.teamDomain };
}

/** Slash command as the ordered form fields of doc §1.2 / §2.1 (is_enterprise_install is the string "false"). */
export function commandFields(
  slack: FakeSlack,
  a: {
    userId: string;
    command: string;
    text: string;
    channelId: string;
    apiAppId: string;
    responseUrl: string;
    triggerId: string;
  },
): Record<string, string> {
  const ch = slack.state.channels.get(a.channelId);
  const channelName = a.channelId.startsWith('D') ? 'directmessage' : (ch?.name ?? 'privategroup');
  return {
    token: slack.verificationToken,
    team_id: slack.teamId,
    team_domain: slack.state.teamDomain,
    channel_id: a.channelId,
    channel_name: channelName,
    user_id: a.userId,
    user_name: userObject(slack, a.userId).name!,
    command: a.command,
    text: a.text,
    api_app_id: a.apiAppId,
    is_enterprise_install: 'false',
    response_url: a.responseUrl,
    trigger_id: a.triggerId,
  };
}

function common(slack: FakeSlack, userId: string, apiAppId: string) {
  return {
    user: userObject(slack, userId),
    api_app_id: apiAppId,
    token: slack.verificationToken,
    team: teamObject(slack),
    enterprise: null,
    is_enterprise_install: false,
  };
}

/** The view as Slack embeds it, with `state.values` covering ALL stateful elements (doc §2.2 note). */
function viewWithState(slack: FakeSlack, v: StoredView, values: StateValues): Record<string, any> {
  const view = renderView(slack.state, v);
  return { ...view, state: { values } };
}

export type Surface =
  | { kind: 'view'; view: StoredView; values: StateValues }
  | { kind: 'message'; message: StoredMessage; values: StateValues };

/** block_actions (doc §2.2 message button, §2.3 view select). */
export function blockActionsPayload(
  slack: FakeSlack,
  a: {
    userId: string;
    apiAppId: string;
    surface: Surface;
    action: Record<string, unknown>;
    triggerId: string;
    responseUrl?: string;
  },
): Record<string, unknown> {
  const base = { type: 'block_actions', ...common(slack, a.userId, a.apiAppId), trigger_id: a.triggerId };
  const action = { ...a.action, action_ts: nowTs() };
  if (a.surface.kind === 'view') {
    const v = a.surface.view;
    return {
      ...base,
      container: { type: 'view', view_id: v.id },
      view: viewWithState(slack, v, a.surface.values),
      actions: [action],
    };
  }
  const m = a.surface.message;
  const ch = slack.state.channels.get(m.channel);
  const ephemeral = m.ephemeralTo !== undefined;
  return {
    ...base,
    container: {
      type: 'message',
      message_ts: m.ts,
      channel_id: m.channel,
      is_ephemeral: ephemeral,
      ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
    },
    channel: { id: m.channel, name: ch?.name ?? m.channel },
    // Ephemeral messages come without a `message` object (doc §2.2).
    ...(ephemeral ? {} : { message: slack.state.renderMessage(m) }),
    state: { values: a.surface.values },
    response_url: a.responseUrl,
    actions: [action],
  };
}

/** view_submission (doc §2.4). */
export function viewSubmissionPayload(
  slack: FakeSlack,
  a: {
    userId: string;
    apiAppId: string;
    view: StoredView;
    values: StateValues;
    triggerId: string;
  },
): Record<string, unknown> {
  return {
    type: 'view_submission',
    ...common(slack, a.userId, a.apiAppId),
    trigger_id: a.triggerId,
    view: viewWithState(slack, a.view, a.values),
    response_urls: [],
  };
}

/** view_closed (doc §2.7): no trigger_id, `is_cleared` when the whole stack went away. */
export function viewClosedPayload(
  slack: FakeSlack,
  a: {
    userId: string;
    apiAppId: string;
    view: StoredView;
    values: StateValues;
    isCleared: boolean;
  },
): Record<string, unknown> {
  return {
    type: 'view_closed',
    ...common(slack, a.userId, a.apiAppId),
    view: viewWithState(slack, a.view, a.values),
    is_cleared: a.isCleared,
  };
}

/** block_suggestion (doc §2.8). */
export function blockSuggestionPayload(
  slack: FakeSlack,
  a: {
    userId: string;
    apiAppId: string;
    view: StoredView;
    values: StateValues;
    blockId: string;
    actionId: string;
    query: string;
  },
): Record<string, unknown> {
  return {
    type: 'block_suggestion',
    ...common(slack, a.userId, a.apiAppId),
    container: { type: 'view', view_id: a.view.id },
    action_id: a.actionId,
    block_id: a.blockId,
    value: a.query,
    view: viewWithState(slack, a.view, a.values),
  };
}

/** Events API `event_callback` envelope with `authorizations` (doc §2.9). */
export function eventEnvelope(
  slack: FakeSlack,
  apiAppId: string,
  event: Record<string, unknown>,
): Record<string, unknown> {
  const eventTs = nowTs();
  return {
    token: slack.verificationToken,
    team_id: slack.teamId,
    api_app_id: apiAppId,
    event: { ...event, event_ts: event.event_ts ?? eventTs },
    type: 'event_callback',
    event_id: `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [
      {
        enterprise_id: null,
        team_id: slack.teamId,
        user_id: slack.botUserId,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
    event_context: `4-${randomBytes(8).toString('hex')}`,
  };
}

/** app_home_opened: `view` only when a Home view was published before (doc §2.9). */
export function appHomeOpenedEvent(slack: FakeSlack, userId: string): Record<string, unknown> {
  const home = slack.home(userId);
  return {
    type: 'app_home_opened',
    user: userId,
    channel: slack.dmChannelOf(userId),
    tab: 'home',
    ...(home ? { view: renderView(slack.state, home) } : {}),
  };
}
