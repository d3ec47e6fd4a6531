/**
 * views.open / views.push / views.update / views.publish (platform doc §3.2,
 * trigger rules §1.3, limits §4). Views failing Block Kit validation answer
 * `invalid_arguments` with `response_metadata.messages` (doc §3.5).
 */
import { validateSurface, viewTooLarge } from './block-kit.js';
import { SlackApiError, type SlackState, type StoredView } from './state.js';
import { invalidArgs, type Args, type MethodHandler } from './method-args.js';
import { assertExternalIdFree, openModal, publishHome, pushModal, renderView, replaceView } from './view-stacks.js';

/** The `view` argument, decoded and validated for the surface kind. */
export function checkView(kind: 'modal' | 'home', view: unknown): any {
  if (view === undefined || view === null || view === '') throw invalidArgs(['[ERROR] missing required field: view']);
  if (typeof view !== 'object' || Array.isArray(view))
    throw invalidArgs(['[ERROR] failed to parse view as JSON object [json-pointer:/view]']);
  if (viewTooLarge(view)) throw new SlackApiError('view_too_large');
  const messages = validateSurface(kind, { view });
  if (messages.length > 0) throw invalidArgs(messages);
  return view;
}

/** Trigger checks happen before the view is validated, the exchange only once everything is valid. */
function withTrigger<T>(st: SlackState, a: Args, kind: 'modal', fn: (userId: string, view: any) => T): T {
  const trigger = a.trigger_id ?? a.interactivity_pointer;
  if (trigger === undefined) throw invalidArgs(['[ERROR] missing required field: trigger_id']);
  const view = checkView(kind, a.view);
  assertExternalIdFree(st, view);
  const userId = st.triggers.exchange(trigger);
  return fn(userId, view);
}

function findUpdatable(st: SlackState, a: Args): StoredView {
  const viewId = typeof a.view_id === 'string' && a.view_id !== '' ? a.view_id : undefined;
  const externalId = typeof a.external_id === 'string' && a.external_id !== '' ? a.external_id : undefined;
  if (!viewId && !externalId) throw invalidArgs(['[ERROR] either view_id or external_id is required']);
  const isLive = (v: StoredView) => v.open || (v.type === 'home' && st.homes.get(v.userId) === v.id);
  const v = viewId
    ? st.views.get(viewId)
    : [...st.views.values()].find((x) => x.externalId === externalId && isLive(x));
  // Closed modals can no longer be updated (doc §3.2 views.update `not_found`).
  if (!v || !isLive(v)) throw new SlackApiError('not_found');
  return v;
}

function checkHash(v: StoredView | undefined, hash: unknown): void {
  if (v && typeof hash === 'string' && hash !== '' && hash !== v.hash) throw new SlackApiError('hash_conflict');
}

export const VIEW_METHODS: Record<string, MethodHandler> = {
  'views.open': (st, a) =>
    withTrigger(st, a, 'modal', (userId, view) => ({ view: renderView(st, openModal(st, userId, view)) })),

  'views.push': (st, a) =>
    withTrigger(st, a, 'modal', (userId, view) => ({ view: renderView(st, pushModal(st, userId, view)) })),

  'views.update': (st, a) => {
    const v = findUpdatable(st, a);
    checkHash(v, a.hash);
    const view = checkView(v.type, a.view);
    assertExternalIdFree(st, view, v.id);
    return { view: renderView(st, replaceView(st, v, view)) };
  },

  'views.publish': (st, a) => {
    // "Home tab is disabled" (views.publish errors): the manifest's app_home.home_tab_enabled.
    if (!st.appHome.homeTab) throw new SlackApiError('not_enabled');
    if (a.user_id === undefined || a.user_id === '') throw invalidArgs(['[ERROR] missing required field: user_id']);
    const user = st.users.get(String(a.user_id));
    // Exact message from the doc §3.2 views.publish row.
    if (!user) throw invalidArgs(['invalid `user_id`']);
    const existing = st.homes.get(user.id);
    checkHash(existing ? st.views.get(existing) : undefined, a.hash);
    const view = checkView('home', a.view);
    return { view: renderView(st, publishHome(st, user.id, view)) };
  },
};
