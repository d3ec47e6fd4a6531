// The person's open modals: the top view of the stack is drawn, with Slack's submit and close
// buttons. What the person types stays in the page until it matters (a pick, an action, submit),
// then goes to the double as Slack's client would send it, so a re-draw never loses it.
import { el } from './dom.js';
import { renderBlocks } from './blocks.js';

/**
 * Sends `body` with the values the person changed and has not sent yet (in block order); they count
 * as sent only once the sandbox took them, so a refused call loses nothing.
 */
async function withInputs(widgets, call, path, body) {
  const changed = [...widgets].filter(([, { widget }]) => widget.dirty);
  const inputs = changed.map(([blockId, { actionId, widget }]) => ({ blockId, actionId, value: widget.read() }));
  const answer = await call(path, { ...body, inputs });
  if (answer) for (const [, { widget }] of changed) widget.dirty = false;
  return answer;
}

/**
 * stack: the modals, bottom first (snapshot.modals). env: { user, names, pickers, textHtml, call(path, body), notify }.
 * Returns the overlay node, or null when no modal is open.
 */
export function renderModal(stack, env) {
  const view = stack.at(-1);
  if (!view) return null;
  const widgets = new Map();
  const call = env.call;
  const send = (path, body) => withInputs(widgets, call, path, { user: env.user, viewId: view.id, ...body });
  const body = renderBlocks(view.blocks, {
    names: env.names,
    pickers: env.pickers,
    textHtml: env.textHtml,
    notify: env.notify,
    values: view.values,
    errors: view.errors,
    widgets,
    suggest: async (blockId, actionId, query) =>
      (await call('suggest', { user: env.user, viewId: view.id, blockId, actionId, query }))?.options ?? [],
    // A pick in an input block: the double records it (and the bot hears of it if dispatch_action).
    onInputPick: () => void send('input', {}),
    act: (action) => send('action', { surface: { viewId: view.id }, ...action }),
  });
  const close = () => call('close', { user: env.user, viewId: view.id });
  const submit = () => send('submit', {});
  const titleText = view.title?.text ?? '';
  const depth = stack.length > 1 ? el('span', { class: 'depth' }, `${stack.length} views open`) : null;
  return el(
    'div',
    { class: 'overlay modal-overlay' },
    el(
      'section',
      { class: 'modal', role: 'dialog', 'aria-modal': 'true', 'aria-label': titleText, 'data-view-id': view.id },
      el(
        'header',
        {},
        stack.length > 1
          ? el('button', { type: 'button', class: 'back', 'aria-label': 'Back', onclick: close }, '‹')
          : null,
        el('h2', { html: env.textHtml(view.title) }),
        depth,
        el('button', { type: 'button', class: 'x', 'aria-label': 'Close', onclick: close }, '×'),
      ),
      el('div', { class: 'modal-body' }, body),
      el(
        'footer',
        {},
        el(
          'button',
          { type: 'button', class: 'secondary', onclick: close },
          view.close?.text ?? (stack.length > 1 ? 'Back' : 'Cancel'),
        ),
        view.submit
          ? el('button', { type: 'button', class: 'primary submit', onclick: submit }, view.submit.text)
          : null,
      ),
    ),
  );
}

/** Redraw only when the view itself changed: re-drawing while someone types would lose focus. */
export function modalKey(stack) {
  const view = stack.at(-1);
  return view ? JSON.stringify([stack.map((v) => v.id), view.hash, view.errors]) : '';
}
