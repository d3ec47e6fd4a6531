// Block Kit to DOM: the blocks Slack draws in messages, App Home and modals. Interactive elements
// call ctx.act, which the page turns into block_actions through the driver. Whatever has no
// drawing here is shown as JSON (jsonFallback), never left out.
import { confirmDialog, el, jsonFallback } from './dom.js';
import { createWidget } from './inputs.js';

/**
 * ctx: { names, pickers, textHtml(obj), values (state.values of the surface), errors ({block_id: text}),
 *        widgets (Map, views only: input blocks register here), act(action), suggest, notify, onInputPick }
 */
export function renderBlocks(blocks, ctx) {
  return el(
    'div',
    { class: 'blocks' },
    (blocks ?? []).map((b) => renderBlock(b, ctx)),
  );
}

function renderBlock(b, ctx) {
  const t = (obj) => ctx.textHtml(obj);
  switch (b?.type) {
    case 'section':
      return el(
        'div',
        { class: 'block section' },
        el(
          'div',
          { class: 'section-main' },
          b.text ? el('div', { class: 'text', html: t(b.text) }) : null,
          Array.isArray(b.fields)
            ? el(
                'div',
                { class: 'fields' },
                b.fields.map((f) => el('div', { class: 'field', html: t(f) })),
              )
            : null,
        ),
        b.accessory ? el('div', { class: 'accessory' }, element(b.accessory, b, ctx)) : null,
      );
    case 'context':
      return el(
        'div',
        { class: 'block context' },
        (b.elements ?? []).map((x) =>
          x.type === 'image'
            ? el('img', { src: x.image_url, alt: x.alt_text ?? '', class: 'context-image' })
            : x.type === 'mrkdwn' || x.type === 'plain_text'
              ? el('span', { html: t(x) })
              : jsonFallback(`Context element "${x.type}"`, x),
        ),
      );
    case 'header':
      return el('h3', { class: 'block header', html: t(b.text) });
    case 'divider':
      return el('hr', { class: 'block divider' });
    case 'image':
      return el(
        'figure',
        { class: 'block image' },
        b.title ? el('figcaption', { html: t(b.title) }) : null,
        el('img', { src: b.image_url, alt: b.alt_text ?? '' }),
      );
    case 'actions':
      return el(
        'div',
        { class: 'block actions' },
        (b.elements ?? []).map((x) => element(x, b, ctx)),
      );
    case 'input':
      return ctx.widgets ? inputBlock(b, ctx) : jsonFallback('Input block outside a view', b);
    default:
      return jsonFallback(`Block "${b?.type}"`, b);
  }
}

/** An input block: label, the widget, hint, and the error the bot answered with (response_action: errors). */
function inputBlock(b, ctx) {
  const e = b.element ?? {};
  const entry = ctx.values?.[b.block_id]?.[e.action_id];
  const widget = createWidget(e, entry, {
    ...ctx,
    suggest: (actionId, query) => ctx.suggest(b.block_id, actionId, query),
    onPick: (w) => ctx.onInputPick(b, e, w),
  });
  if (!widget) return jsonFallback(`Input element "${e.type}"`, b);
  ctx.widgets.set(b.block_id, { actionId: e.action_id, widget });
  const error = ctx.errors?.[b.block_id];
  const label = [
    el('span', { html: ctx.textHtml(b.label) }),
    b.optional ? el('span', { class: 'optional' }, ' (optional)') : null,
  ];
  return el(
    widget.group ? 'fieldset' : 'div',
    { class: `block input${error ? ' has-error' : ''}`, 'data-block-id': b.block_id },
    widget.group ? el('legend', {}, label) : el('label', { for: widget.id }, label),
    widget.node,
    b.hint ? el('div', { class: 'hint', html: ctx.textHtml(b.hint) }) : null,
    error ? el('div', { class: 'error', role: 'alert' }, error) : null,
  );
}

/** A button, overflow menu or select in a section accessory or an actions block. */
function element(x, block, ctx) {
  const base = { blockId: block.block_id, actionId: x.action_id };
  switch (x.type) {
    case 'button':
      return el('button', {
        type: 'button',
        class: `slack-button ${x.style ?? ''}`,
        'data-action-id': x.action_id,
        onclick: async () => {
          if (x.confirm && !(await confirmDialog(x.confirm, ctx.textHtml))) return;
          if (x.url) window.open(x.url, '_blank', 'noopener');
          await ctx.act({ ...base, kind: 'button' });
        },
        html: ctx.textHtml(x.text),
      });
    case 'overflow': {
      const select = el(
        'select',
        { class: 'overflow', 'aria-label': 'More actions' },
        el('option', { value: '' }, '⋯'),
        (x.options ?? []).map((o) => el('option', { value: o.value }, o.text?.text ?? o.value)),
      );
      select.addEventListener('change', () => {
        if (select.value) void ctx.act({ ...base, kind: 'select', value: select.value });
      });
      return select;
    }
    case 'image':
      return el('img', { class: 'accessory-image', src: x.image_url, alt: x.alt_text ?? '' });
    default: {
      const entry = ctx.values?.[block.block_id]?.[x.action_id];
      // Selects outside input blocks send block_actions as soon as something is picked.
      const widget = createWidget(x, entry, {
        ...ctx,
        suggest: async (actionId, query) => (ctx.suggest ? ctx.suggest(block.block_id, actionId, query) : []),
        onPick: (w) => void ctx.act({ ...base, kind: 'select', value: w.read() }),
      });
      return widget ? el('span', { class: 'inline-widget' }, widget.node) : jsonFallback(`Element "${x.type}"`, x);
    }
  }
}
