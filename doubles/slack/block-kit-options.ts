/**
 * Composition objects inside elements (platform doc §4): options and option groups, the
 * `initial_option(s)` that must match them, and confirmation dialogs.
 */
import type { Checker } from './block-kit-checker.js';
import { optionKey } from './surface.js';

/** Button and confirm-dialog styles Slack accepts. */
export const STYLES = new Set(['primary', 'danger']);

export function validateStaticOptions(c: Checker, e: any, p: string): void {
  // Exactly one of options / option_groups; ≤ 100 each, groups ≤ 100 options, label ≤ 75 (doc §4).
  if (e.options !== undefined && e.option_groups !== undefined)
    c.err('must provide only one of options or option_groups', p);
  if (e.options === undefined && e.option_groups === undefined) c.err('missing required field: options', p);
  const all: any[] = [];
  if (e.options !== undefined && c.arr(e.options, `${p}/options`, { min: 1, max: 100 })) {
    e.options.forEach((o: unknown, i: number) => validateOption(c, o, `${p}/options/${i}`, {}));
    all.push(...e.options);
  }
  if (e.option_groups !== undefined && c.arr(e.option_groups, `${p}/option_groups`, { min: 1, max: 100 })) {
    e.option_groups.forEach((g: any, gi: number) => {
      const gp = `${p}/option_groups/${gi}`;
      c.text(g?.label, `${gp}/label`, { plain: true, max: 75, required: true });
      if (c.arr(g?.options, `${gp}/options`, { min: 1, max: 100 })) {
        g.options.forEach((o: unknown, i: number) => validateOption(c, o, `${gp}/options/${i}`, {}));
        all.push(...g.options);
      }
    });
  }
  checkInitial(c, e, p, all);
}

/** `initial_option(s)` must exactly match one of the offered options. */
export function checkInitial(c: Checker, e: any, p: string, options: any[]): void {
  const keys = new Set(options.map(optionKey));
  if (e.initial_option !== undefined && !keys.has(optionKey(e.initial_option))) {
    c.err('initial_option must exactly match one of the provided options', `${p}/initial_option`);
  }
  if (e.initial_options !== undefined) {
    if (!Array.isArray(e.initial_options)) c.err('expected array', `${p}/initial_options`);
    else
      e.initial_options.forEach((o: unknown, i: number) => {
        if (!keys.has(optionKey(o)))
          c.err('initial_options must exactly match provided options', `${p}/initial_options/${i}`);
      });
  }
}

/** Option object: text ≤ 75, value ≤ 150 (docs; older JSDoc said 75), description ≤ 75, url ≤ 3000 (overflow only). */
export function validateOption(c: Checker, o: any, p: string, allow: { url?: boolean; mrkdwn?: boolean }): void {
  if (!o || typeof o !== 'object') {
    c.err('expected object', p);
    return;
  }
  c.text(o.text, `${p}/text`, { plain: !allow.mrkdwn, max: 75, required: true });
  c.str(o.value, `${p}/value`, { max: 150, required: true });
  if (o.description !== undefined) c.text(o.description, `${p}/description`, { plain: !allow.mrkdwn, max: 75 });
  if (o.url !== undefined) {
    if (allow.url) c.str(o.url, `${p}/url`, { max: 3000 });
    else c.err('invalid additional property: url', p);
  }
}

/**
 * Confirmation dialog: title ≤ 100, text ≤ 300, confirm/deny ≤ 30 (doc §4). Only `text` is required here:
 * @slack/types marks title/confirm/deny optional, and the doc gives no rejection for leaving them out.
 */
export function validateConfirm(c: Checker, d: any, p: string): void {
  if (!d || typeof d !== 'object') {
    c.err('expected object', p);
    return;
  }
  c.text(d.title, `${p}/title`, { plain: true, max: 100 });
  c.text(d.text, `${p}/text`, { max: 300, required: true });
  c.text(d.confirm, `${p}/confirm`, { plain: true, max: 30 });
  c.text(d.deny, `${p}/deny`, { plain: true, max: 30 });
  if (d.style !== undefined && !STYLES.has(d.style))
    c.err('must be one of the provided values: primary, danger', `${p}/style`);
}
