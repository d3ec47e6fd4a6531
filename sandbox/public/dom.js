// Tiny DOM helpers shared by the page's modules.

/** el('div', {class: 'x', onclick: fn}, child, 'text', …): children may be nodes, strings or arrays. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'html')
      node.innerHTML = value; // callers pass HTML built by mrkdwn.js (escaped)
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

let counter = 0;
/** Unique element ids, so labels point at their inputs (and tests can find inputs by label). */
export const uid = (prefix) => `${prefix}-${++counter}`;

/** The block as JSON, for anything the sandbox cannot draw: shown, never dropped. */
export function jsonFallback(what, value) {
  return el(
    'details',
    { class: 'unrendered', open: true },
    el('summary', {}, `${what}: the sandbox cannot draw this, so here is what the bot sent`),
    el('pre', {}, JSON.stringify(value, null, 2)),
  );
}

/** Slack's confirmation dialog (a button's `confirm` object); resolves true when confirmed. */
export function confirmDialog(confirm, textHtml) {
  return new Promise((resolve) => {
    const close = (answer) => {
      overlay.remove();
      resolve(answer);
    };
    const overlay = el(
      'div',
      { class: 'overlay confirm-overlay' },
      el(
        'div',
        { class: 'dialog', role: 'alertdialog', 'aria-label': confirm.title?.text ?? 'Are you sure?' },
        el('h3', { html: textHtml(confirm.title ?? { type: 'plain_text', text: 'Are you sure?' }) }),
        el('div', { class: 'dialog-text', html: textHtml(confirm.text) }),
        el(
          'div',
          { class: 'dialog-buttons' },
          el('button', { type: 'button', onclick: () => close(false) }, confirm.deny?.text ?? 'Cancel'),
          el(
            'button',
            { type: 'button', class: confirm.style === 'danger' ? 'danger' : 'primary', onclick: () => close(true) },
            confirm.confirm?.text ?? 'Confirm',
          ),
        ),
      ),
    );
    document.body.append(overlay);
  });
}
