import type { FakeSlack, StoredMessage, StoredView } from '../doubles/slack/fake-slack.js';
import { stateValuesOf, type StateValues } from '../doubles/slack/surface.js';
import type { SandboxClock } from './clock.js';
import type { GroupSourceView } from './group-sources.js';
import type { ReceivedWebhook } from './webhook-receiver.js';
import type { SandboxPerson } from './workspace.js';

/** What the page needs to draw one person's Slack: plain data, read from the double's state. */
export interface Snapshot {
  me: string;
  bot: { id: string; name: string };
  people: Array<{ id: string; name: string; realName: string; role: string }>;
  /** For mrkdwn: <@U…>, <!subteam^S…> and <#C…> shown as names. */
  names: { users: Record<string, string>; groups: Record<string, string>; channels: Record<string, string> };
  /** For users_select / conversations_select inputs. */
  pickers: { users: Array<{ id: string; name: string }>; conversations: Array<{ id: string; name: string }> };
  conversations: Array<{ id: string; name: string; kind: 'dm' | 'channel'; messages: MessageSnapshot[] }>;
  modals: ViewSnapshot[];
  home: ViewSnapshot | null;
  webhooks: readonly ReceivedWebhook[];
  /** What the sandbox's cloud and identity doubles hold now: AWS assignments, GCP bindings, group members. */
  targets: readonly TargetView[];
  /** The catalogue's group sources: the groups in the Okta and Entra doubles, the resources made of them, the last sync. */
  groupSources: readonly GroupSourceView[];
  clock: { now: string; offsetMinutes: number };
  onCall: { schedule: string; onCall: string[] } | null;
  /** Web API calls the double refused lately: a bug in the bot shows here instead of vanishing. */
  slackErrors: Array<{ method: string; error: string; at: string }>;
}

export interface MessageSnapshot {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  user: string;
  ephemeral: boolean;
  edited: boolean;
  values: StateValues;
}

export interface ViewSnapshot {
  id: string;
  type: string;
  hash: string;
  title: unknown;
  submit: unknown;
  close: unknown;
  blocks: unknown[];
  values: StateValues;
  errors: Record<string, string>;
  clearOnClose: boolean;
}

/** One simulated target as the page lists it: a title and one line per grant-made object in it. */
export interface TargetView {
  name: string;
  items: string[];
  /** Why the target is not there (a local server that does not answer), shown instead of its items. */
  note?: string;
}

export interface SnapshotSources {
  slack: FakeSlack;
  people: SandboxPerson[];
  clock: SandboxClock;
  webhooks: () => readonly ReceivedWebhook[];
  targets: () => readonly TargetView[];
  viewErrors: Map<string, Record<string, string>>;
  /** The sandbox's PagerDuty schedule, with its "put me on call" switch. */
  onCall?: { view(): { schedule: string; onCall: string[] }; set(userId: string, on: boolean): void };
  /** Set once the bot exists (it reads the group sources' rows and runs). */
  groupSources?: { view(): Promise<GroupSourceView[]> };
}

const displayName = (u: { name: string; realName?: string }) => u.realName ?? u.name;

function messageSnapshot(slack: FakeSlack, m: StoredMessage): MessageSnapshot {
  return {
    channel: m.channel,
    ts: m.ts,
    text: m.text,
    blocks: m.blocks,
    user: m.user,
    ephemeral: m.ephemeralTo !== undefined,
    edited: m.updateCount > 0,
    values: stateValuesOf(m.blocks, slack.surfaceValues(`msg:${m.channel}:${m.ts}`)),
  };
}

function viewSnapshot(src: SnapshotSources, v: StoredView): ViewSnapshot {
  return {
    id: v.id,
    type: v.type,
    hash: v.hash,
    title: v.view?.title ?? null,
    submit: v.view?.submit ?? null,
    close: v.view?.close ?? null,
    blocks: v.blocks,
    values: stateValuesOf(v.blocks, src.slack.surfaceValues(`view:${v.id}`)),
    errors: src.viewErrors.get(v.id) ?? {},
    clearOnClose: v.view?.clear_on_close === true,
  };
}

/** The bot's DM with `userId` first, then every channel with messages that person can see. */
function conversationsOf(slack: FakeSlack, userId: string): Snapshot['conversations'] {
  const st = slack.state;
  const dm = slack.dmChannelOf(userId);
  const visible = (m: StoredMessage) => m.ephemeralTo === undefined || m.ephemeralTo === userId;
  const inChannel = (id: string) =>
    [...st.messages, ...st.ephemerals]
      .filter((m) => m.channel === id && visible(m))
      .sort((a, b) => a.ts.localeCompare(b.ts));
  const out: Snapshot['conversations'] = [
    { id: dm, name: st.botName, kind: 'dm', messages: inChannel(dm).map((m) => messageSnapshot(slack, m)) },
  ];
  for (const ch of st.channels.values()) {
    if (ch.imUser !== undefined || !st.isMember(ch, userId)) continue;
    const messages = inChannel(ch.id);
    if (messages.length > 0)
      out.push({
        id: ch.id,
        name: `#${ch.name}`,
        kind: 'channel',
        messages: messages.map((m) => messageSnapshot(slack, m)),
      });
  }
  return out;
}

export async function snapshot(src: SnapshotSources, userId: string): Promise<Snapshot> {
  // The one read that waits (the database), first: the rest is read together after it, as one moment.
  const groupSources = (await src.groupSources?.view()) ?? [];
  const { slack } = src;
  const st = slack.state;
  const users = [...st.users.values()].filter((u) => !u.deleted);
  const home = slack.home(userId);
  return {
    me: userId,
    bot: { id: st.botUserId, name: st.botName },
    // A person deactivated in Slack (the Slack admin panel) can no longer be played.
    people: src.people
      .filter((p) => !st.users.get(p.id)?.deleted)
      .map((p) => ({ id: p.id, name: p.name, realName: displayName(p), role: p.role })),
    names: {
      users: Object.fromEntries(users.map((u) => [u.id, displayName(u)])),
      groups: Object.fromEntries([...st.usergroups.values()].map((g) => [g.id, g.handle])),
      channels: Object.fromEntries(
        [...st.channels.values()].filter((c) => c.imUser === undefined).map((c) => [c.id, c.name]),
      ),
    },
    pickers: {
      users: users.filter((u) => !u.isBot).map((u) => ({ id: u.id, name: displayName(u) })),
      conversations: [...st.channels.values()]
        .filter((c) => c.imUser === undefined)
        .map((c) => ({ id: c.id, name: `#${c.name}` })),
    },
    conversations: conversationsOf(slack, userId),
    modals: slack.viewStack(userId).map((v) => viewSnapshot(src, v)),
    home: home ? viewSnapshot(src, home) : null,
    webhooks: src.webhooks(),
    targets: src.targets(),
    groupSources,
    clock: { now: src.clock.now().toISOString(), offsetMinutes: src.clock.offsetMinutes },
    onCall: src.onCall?.view() ?? null,
    slackErrors: slack
      .failures()
      .slice(-5)
      .map((c) => ({ method: c.method, error: c.error ?? 'error', at: new Date(c.at).toISOString() })),
  };
}
