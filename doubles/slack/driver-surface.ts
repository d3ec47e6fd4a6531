/**
 * What a person can act on: the message or view the driver's interactions start from, resolved the way
 * Slack shows it (a closed modal, someone else's ephemeral or a channel they are not in cannot be used).
 */
import type { DriverResponse } from './driver-transport.js';
import type { SuggestionCache } from './driver-values.js';
import type { FakeSlack } from './fake-slack.js';
import type { Surface } from './payloads.js';
import type { StoredMessage, StoredView } from './state.js';
import { stateValuesOf } from './surface.js';

/** A message (`channel` + `ts`) or a view (`viewId`). */
export type Where = { channel: string; ts: string } | { viewId: string };
export type ResolvedSurface = Surface & { key: string; blocks: any[]; describe: string };

/**
 * What the interactions in driver-actions.ts and driver-views.ts need of the driver: the workspace, the
 * app id payloads carry, the options remembered from suggestions, and the way a payload reaches the app.
 */
export interface DriverContext {
  readonly slack: FakeSlack;
  readonly apiAppId: string;
  readonly suggestions: SuggestionCache;
  interact(payload: Record<string, unknown>): Promise<DriverResponse>;
}

/** Resolve what the user is looking at; a person can only act on what Slack shows them. */
export function resolveSurface(slack: FakeSlack, userId: string, where: Where): ResolvedSurface {
  if ('viewId' in where) {
    const v: StoredView | undefined = slack.view(where.viewId);
    const describe = `view ${where.viewId}`;
    if (!v) throw new Error(`${describe} does not exist`);
    if (v.userId !== userId) throw new Error(`${describe} belongs to ${v.userId}, not ${userId}`);
    if (v.type === 'modal') {
      if (!v.open) throw new Error(`${describe} is closed`);
      if (slack.topView(userId)?.id !== v.id) throw new Error(`${describe} is not the top modal of ${userId}`);
    } else if (slack.home(userId)?.id !== v.id) {
      throw new Error(`${describe} is not ${userId}'s current Home view`);
    }
    const key = `view:${v.id}`;
    return {
      kind: 'view',
      view: v,
      values: stateValuesOf(v.blocks, slack.surfaceValues(key)),
      key,
      blocks: v.blocks,
      describe,
    };
  }
  const m: StoredMessage | undefined = slack.message(where.channel, where.ts);
  const describe = `message ${where.channel}/${where.ts}`;
  if (!m) throw new Error(`${describe} does not exist (deleted?)`);
  if (m.ephemeralTo !== undefined && m.ephemeralTo !== userId)
    throw new Error(`${describe} is ephemeral to ${m.ephemeralTo}, not ${userId}`);
  const ch = slack.state.channels.get(m.channel);
  if (ch && !slack.state.isMember(ch, userId))
    throw new Error(`${userId} is not in ${m.channel} and cannot see ${describe}`);
  const key = `msg:${m.channel}:${m.ts}`;
  return {
    kind: 'message',
    message: m,
    values: stateValuesOf(m.blocks, slack.surfaceValues(key)),
    key,
    blocks: m.blocks,
    describe,
  };
}
