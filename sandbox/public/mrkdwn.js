// Slack mrkdwn to HTML for the sandbox page. Every piece of text is HTML-escaped here; the only
// markup in the result is what this file writes, so message text can never inject into the page.

// Every shortcode the bot writes (src/slack), as Slack draws it; test/sandbox-browser.test.ts checks none is
// missing. Unknown ones stay as text, as Slack leaves them.
const EMOJI = {
  alarm_clock: '⏰',
  arrows_counterclockwise: '🔄',
  mag: '🔍',
  zap: '⚡',
  calendar: '📆',
  identification_card: '🪪',
  leftwards_arrow_with_hook: '↩️',
  pager: '📟',
  bust_in_silhouette: '👤',
  robot_face: '🤖',
  rotating_light: '🚨',
  ticket: '🎫',
  warning: '⚠️',
  white_check_mark: '✅',
  x: '❌',
  key: '🔑',
  unlock: '🔓',
  lock: '🔒',
  sparkles: '✨',
  hourglass: '⌛',
  hourglass_flowing_sand: '⏳',
  ballot_box_with_check: '☑️',
  incoming_envelope: '📨',
  no_entry: '⛔',
  no_entry_sign: '🚫',
  octagonal_sign: '🛑',
  page_facing_up: '📄',
  checkered_flag: '🏁',
  large_green_circle: '🟢',
  red_circle: '🔴',
  information_source: 'ℹ️',
  bell: '🔔',
  wave: '👋',
  tada: '🎉',
  clock1: '🕐',
  eyes: '👀',
  heavy_check_mark: '✔️',
  package: '📦',
  clock3: '🕒',
  heavy_minus_sign: '➖',
  gear: '⚙️',
};

export function escapeHtml(text) {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Slack escapes only &, < and > in message text; turn them back before escaping for HTML. */
function decodeSlack(text) {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

const emoji = (html) => html.replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] ?? m);

function safeUrl(url) {
  return /^(https?:|mailto:)/i.test(url) ? url : null;
}

/** One `<…>` token: mentions, channels, user groups, dates, links, broadcasts. */
function token(inner, names) {
  const [target, label] = splitLabel(inner);
  if (/^@[UW][A-Z0-9]+$/.test(target)) {
    const id = target.slice(1);
    return `<span class="mention" title="${id}">@${escapeHtml(names.users[id] ?? label ?? id)}</span>`;
  }
  if (/^#[CGD][A-Z0-9]+$/.test(target)) {
    const id = target.slice(1);
    return `<span class="mention">#${escapeHtml(names.channels[id] ?? label ?? id)}</span>`;
  }
  if (target.startsWith('!subteam^')) {
    const id = target.slice(9);
    return `<span class="mention">@${escapeHtml(names.groups[id] ?? (label ?? id).replace(/^@/, ''))}</span>`;
  }
  if (target.startsWith('!date^')) {
    // Slack shows the date in the reader's time zone; the page shows the fallback the bot wrote,
    // with the browser's local time on hover.
    const unix = Number(target.split('^')[1]);
    const local = Number.isFinite(unix) ? new Date(unix * 1000).toLocaleString() : '';
    return `<time title="${escapeHtml(local)}">${escapeHtml(decodeSlack(label ?? local))}</time>`;
  }
  if (/^!(here|channel|everyone)$/.test(target)) return `<span class="mention broadcast">@${target.slice(1)}</span>`;
  const url = safeUrl(decodeSlack(target));
  if (url)
    return `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${escapeHtml(decodeSlack(label ?? target))}</a>`;
  return escapeHtml(`<${decodeSlack(inner)}>`);
}

function splitLabel(inner) {
  const bar = inner.indexOf('|');
  return bar < 0 ? [inner, undefined] : [inner.slice(0, bar), inner.slice(bar + 1)];
}

/** mrkdwn text -> HTML: tokens, ```code```, `code`, *bold*, _italic_, ~strike~, > quotes, :emoji:, line breaks. */
export function mrkdwn(text, names) {
  const held = [];
  const hold = (html) => `\u0001${held.push(html) - 1}\u0002`;
  let s = String(text ?? '').replace(/<([^<>\n]+)>/g, (_, inner) => hold(token(inner, names)));
  s = escapeHtml(decodeSlack(s));
  s = s.replace(/```([\s\S]*?)```/g, (_, code) => hold(`<pre>${code.replace(/^\n/, '')}</pre>`));
  s = s.replace(/`([^`\n]+)`/g, (_, code) => hold(`<code>${code}</code>`));
  s = s.replace(/(^|[^\w*])\*(?!\s)([^*\n]+?)\*(?!\w)/g, '$1<b>$2</b>');
  s = s.replace(/(^|[^\w_])_(?!\s)([^_\n]+?)_(?!\w)/g, '$1<i>$2</i>');
  s = s.replace(/(^|[^\w~])~(?!\s)([^~\n]+?)~(?!\w)/g, '$1<s>$2</s>');
  s = emoji(s);
  s = s
    .split('\n')
    .map((line) => (line.startsWith('&gt;') ? `<span class="quote">${line.slice(4)}</span>` : `${line}<br>`))
    .join('')
    .replace(/<br>$/, '');
  // eslint-disable-next-line no-control-regex -- \u0001…\u0002 mark placeholders no user text contains
  for (let i = 0; i < 3 && s.includes('\u0001'); i++) s = s.replace(/\u0001(\d+)\u0002/g, (_, n) => held[Number(n)]);
  return s;
}

/** A text object (plain_text or mrkdwn) to HTML. */
export function textHtml(obj, names) {
  if (!obj) return '';
  if (typeof obj === 'string') return escapeHtml(obj);
  return obj.type === 'mrkdwn' ? mrkdwn(obj.text, names) : emoji(escapeHtml(obj.text ?? ''));
}
