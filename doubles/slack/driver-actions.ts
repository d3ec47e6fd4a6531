/**
 * What a person does inside a message or view besides submitting it: button clicks and picks in selects,
 * checkboxes, date pickers… (block_actions, doc §2.2), and typing into an external select
 * (block_suggestion, doc §2.8). Each starts from what the person can see (driver-surface.ts).
 */
import type { DriverResponse } from './driver-transport.js';
import { resolveSurface, type DriverContext, type ResolvedSurface, type Where } from './driver-surface.js';
import { entryFor, type Picked } from './driver-values.js';
import { blockActionsPayload, blockSuggestionPayload } from './payloads.js';
import { elementsOf, optionsOf, STATEFUL_TYPES } from './surface.js';

/** block_actions for a button the user can see (throws if it is not shown). */
export function clickButton(
  d: DriverContext,
  userId: string,
  where: Where,
  actionId: string,
  opts: { value?: string; blockId?: string } = {},
): Promise<DriverResponse> {
  const s = resolveSurface(d.slack, userId, where);
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
  return sendAction(d, userId, s, action);
}

/** A pick in a select / checkboxes / radios / date picker / overflow; updates the surface state like the client does. */
export async function selectAction(
  d: DriverContext,
  userId: string,
  where: Where,
  actionId: string,
  selected: Picked,
  opts: { blockId?: string } = {},
): Promise<DriverResponse> {
  const s = resolveSurface(d.slack, userId, where);
  // `blockId` tells apart inputs that share an action_id in different blocks.
  const ref = elementsOf(s.blocks).find(
    (r) =>
      r.actionId === actionId &&
      r.element.type !== 'button' &&
      (opts.blockId === undefined || r.blockId === opts.blockId),
  );
  if (!ref) throw new Error(`No selectable element with action_id "${actionId}" in ${s.describe}`);
  const entry = entryFor(d.slack, ref.element, selected, `${s.describe} ${actionId}`, d.suggestions);
  if (STATEFUL_TYPES.has(ref.element.type)) d.slack.setSurfaceValue(s.key, ref.blockId, ref.actionId, entry);
  // Inside an input block Slack only sends block_actions when the block has dispatch_action: true.
  if (ref.slot === 'input' && ref.block.dispatch_action !== true)
    return { status: 0, text: '', dispatched: false, elapsedMs: 0 };
  const fresh = resolveSurface(d.slack, userId, where);
  return sendAction(d, userId, fresh, { ...entry, action_id: ref.actionId, block_id: ref.blockId });
}

function sendAction(
  d: DriverContext,
  userId: string,
  s: ResolvedSurface,
  action: Record<string, unknown>,
): Promise<DriverResponse> {
  const responseUrl =
    s.kind === 'message'
      ? d.slack.newResponseUrl({ channel: s.message.channel, userId, messageTs: s.message.ts })
      : undefined;
  return d.interact(
    blockActionsPayload(d.slack, {
      userId,
      apiAppId: d.apiAppId,
      surface: s,
      action,
      triggerId: d.slack.issueTriggerId(userId),
      responseUrl,
    }),
  );
}

/** block_suggestion for an external select; remembers the options so a later pick carries their text (doc §2.8). */
export async function suggest(
  d: DriverContext,
  userId: string,
  viewId: string,
  actionId: string,
  query: string,
  opts: { blockId?: string } = {},
): Promise<DriverResponse> {
  const s = resolveSurface(d.slack, userId, { viewId });
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
  const res = await d.interact(
    blockSuggestionPayload(d.slack, {
      userId,
      apiAppId: d.apiAppId,
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
    d.suggestions.set(actionId, opts);
    // 100-option cap on suggestions is not confirmed on real Slack (doc §7), so it is reported, not enforced.
    if (opts.length > 100) res.slackMessages = [`${opts.length} options returned; static selects allow 100`];
  } else if (res.status === 200) {
    res.slackError = 'invalid_options_response';
  }
  return res;
}
