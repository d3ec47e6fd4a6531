/**
 * What Slack's client does with the HTTP answer to a view_submission (platform doc §2.6). Split from
 * fake-slack.ts: it is the client's behaviour, not a Web API method.
 */
import { validateSurface, viewTooLarge } from './block-kit.js';
import { SlackApiError, type SlackState } from './state.js';
import { clearViews, closeTopView, pushModal, replaceView, stackOf } from './view-stacks.js';

/**
 * Apply the HTTP answer to a view_submission (doc §2.6): empty → close that
 * view; update/push validated like views.update/views.push; clear → close all;
 * errors → keep open (keys must be input block_ids). Returns Slack's complaint, if any.
 */
export function applyViewResponse(
  st: SlackState,
  userId: string,
  viewId: string,
  body: unknown,
): { error?: string; messages?: string[] } {
  const v = st.views.get(viewId);
  if (!v || !v.open) return { error: 'not_found' };
  if (body === undefined || body === null || body === '') {
    closeViewAndAbove(st, userId, viewId);
    return {};
  }
  if (typeof body !== 'object')
    return { error: 'invalid_response', messages: ['view_submission answered with a non-JSON body'] };
  const b = body as Record<string, any>;
  const checkModal = (view: unknown) => {
    if (viewTooLarge(view)) return { error: 'view_too_large' };
    const messages = validateSurface('modal', { view });
    return messages.length > 0 ? { error: 'invalid_arguments', messages } : undefined;
  };
  switch (b.response_action) {
    case 'errors': {
      const inputIds = new Set(v.blocks.filter((x) => x?.type === 'input').map((x) => x.block_id));
      const bad = Object.keys(b.errors ?? {}).filter((k) => !inputIds.has(k));
      if (!b.errors || typeof b.errors !== 'object' || bad.length > 0) {
        return {
          error: 'invalid_arguments',
          messages: bad.map((k) => `[ERROR] errors key "${k}" is not an input block_id [json-pointer:/errors/${k}]`),
        };
      }
      return {};
    }
    case 'update': {
      const bad = checkModal(b.view);
      if (bad) return bad;
      replaceView(st, v, b.view);
      return {};
    }
    case 'push': {
      const bad = checkModal(b.view);
      if (bad) return bad;
      try {
        pushModal(st, userId, b.view);
      } catch (e) {
        if (e instanceof SlackApiError) return { error: e.code };
        throw e;
      }
      return {};
    }
    case 'clear':
      clearViews(st, userId);
      return {};
    default:
      return {
        error: 'invalid_arguments',
        messages: [`[ERROR] unknown response_action ${JSON.stringify(b.response_action)}`],
      };
  }
}

/** Closes `viewId` and every modal pushed above it. */
function closeViewAndAbove(st: SlackState, userId: string, viewId: string): void {
  const stack = stackOf(st, userId);
  if (!stack.includes(viewId)) return;
  while (stack.length > 0 && stack.at(-1) !== viewId) closeTopView(st, userId);
  closeTopView(st, userId);
}
