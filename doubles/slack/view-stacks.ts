/**
 * Modal stacks and Home tabs as the workspace keeps them (doc §3.2 views.*, §2.6 response actions):
 * open, push (at most 3), replace, publish, close, and the view object Slack renders. Functions over
 * SlackState, like the Web API methods that call them.
 */
import { newId, newViewHash } from './slack-ids.js';
import type { SlackState } from './state.js';
import { carryOverState, normalizeBlocks } from './surface.js';
import { SlackApiError, type StoredView } from './types.js';

const MAX_STACK = 3; // "Currently the limit is 3" (doc §3.2 views.push, §4)

export function stackOf(st: SlackState, userId: string): string[] {
  let s = st.stacks.get(userId);
  if (!s) st.stacks.set(userId, (s = []));
  return s;
}

function makeView(
  st: SlackState,
  userId: string,
  view: any,
  previousViewId: string | null,
  rootViewId?: string,
): StoredView {
  const id = newId('V');
  const v: StoredView = {
    id,
    type: view.type,
    userId,
    view: structuredClone(view),
    hash: newViewHash(),
    rootViewId: rootViewId ?? id,
    previousViewId,
    externalId: typeof view.external_id === 'string' ? view.external_id : '',
    blocks: normalizeBlocks(view.blocks),
    open: true,
  };
  st.views.set(id, v);
  return v;
}

/** external_id must be unique per team (doc §4): among views still open. */
export function assertExternalIdFree(st: SlackState, view: any, exceptViewId?: string): void {
  const ext = view?.external_id;
  if (typeof ext !== 'string' || ext === '') return;
  for (const v of st.views.values()) {
    if (v.open && v.externalId === ext && v.id !== exceptViewId) throw new SlackApiError('duplicate_external_id');
  }
}

/** views.open: a new modal stack for the user (whatever was open is replaced). */
export function openModal(st: SlackState, userId: string, view: any): StoredView {
  clearViews(st, userId);
  const v = makeView(st, userId, view, null);
  stackOf(st, userId).push(v.id);
  return v;
}

export function pushModal(st: SlackState, userId: string, view: any): StoredView {
  const stack = stackOf(st, userId);
  if (stack.length === 0) throw new SlackApiError('not_found');
  if (stack.length >= MAX_STACK) throw new SlackApiError('push_limit_reached');
  const top = st.views.get(stack[stack.length - 1]!)!;
  const v = makeView(st, userId, view, top.id, top.rootViewId);
  stack.push(v.id);
  return v;
}

/** views.update / response_action update: same view id, new hash, input carried over where block ids persist. */
export function replaceView(st: SlackState, v: StoredView, view: any): StoredView {
  v.view = structuredClone(view);
  v.blocks = normalizeBlocks(view.blocks);
  v.hash = newViewHash();
  v.externalId = typeof view.external_id === 'string' ? view.external_id : '';
  const key = `view:${v.id}`;
  st.surfaceState.set(key, carryOverState(v.blocks, st.surfaceState.get(key) ?? {}));
  return v;
}

export function publishHome(st: SlackState, userId: string, view: any): StoredView {
  const existing = st.homes.get(userId);
  if (existing) return replaceView(st, st.views.get(existing)!, view);
  const v = makeView(st, userId, view, null);
  st.homes.set(userId, v.id);
  return v;
}

export function closeTopView(st: SlackState, userId: string): StoredView | undefined {
  const id = stackOf(st, userId).pop();
  const v = id ? st.views.get(id) : undefined;
  if (v) v.open = false;
  return v;
}

export function clearViews(st: SlackState, userId: string): void {
  while (stackOf(st, userId).length > 0) closeTopView(st, userId);
}

/** The full view object Slack returns and embeds in payloads (doc §2.3/§2.4 field set). */
export function renderView(st: SlackState, v: StoredView): Record<string, any> {
  const src = v.view ?? {};
  const isHome = v.type === 'home';
  return {
    id: v.id,
    team_id: st.teamId,
    type: v.type,
    blocks: v.blocks,
    private_metadata: src.private_metadata ?? '',
    callback_id: src.callback_id ?? '',
    // API responses carry only what the user changed ({} for a fresh view, doc §3.2 views.open);
    // interaction payloads replace this with every stateful element (payloads.ts, doc §2.2).
    state: { values: structuredClone(st.surfaceState.get(`view:${v.id}`) ?? {}) },
    hash: v.hash,
    title: src.title ?? (isHome ? undefined : null),
    clear_on_close: src.clear_on_close ?? false,
    notify_on_close: src.notify_on_close ?? false,
    close: isHome ? null : (src.close ?? null),
    submit: isHome ? null : (src.submit ?? null),
    previous_view_id: v.previousViewId,
    root_view_id: v.rootViewId,
    app_id: st.appId,
    external_id: v.externalId,
    app_installed_team_id: st.teamId,
    bot_id: st.botId,
  };
}
