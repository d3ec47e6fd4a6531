/**
 * Block element and composition-object limits (platform doc §4, sources T/P/D),
 * plus the small error collector shared with block-kit.ts.
 */
import { optionKey } from './surface.js';

/** Collects Slack-format errors: "[ERROR] <what> [json-pointer:<where>]" (doc §3.5). */
export class Checker {
  readonly errors: string[] = [];

  err(msg: string, ptr: string): void {
    this.errors.push(`[ERROR] ${msg} [json-pointer:${ptr}]`);
  }

  /** String field; returns true when present and valid. Limits are "1–N characters" unless `min` says otherwise. */
  str(v: unknown, ptr: string, o: { max: number; min?: number; required?: boolean }): boolean {
    if (v === undefined || v === null) {
      if (o.required)
        this.err(`missing required field: ${ptr.slice(ptr.lastIndexOf('/') + 1)}`, ptr.slice(0, ptr.lastIndexOf('/')));
      return false;
    }
    if (typeof v !== 'string') {
      this.err('expected string', ptr);
      return false;
    }
    const min = o.min ?? 1;
    if (v.length < min) this.err(`must be more than ${min - 1} characters`, ptr);
    else if (v.length > o.max) this.err(`must be less than ${o.max + 1} characters`, ptr);
    else return true;
    return false;
  }

  /** Text composition object `{type:'plain_text'|'mrkdwn', text}`, text 1–3000 unless a tighter `max` applies (doc §4). */
  text(v: unknown, ptr: string, o: { plain?: boolean; max: number; required?: boolean }): void {
    if (v === undefined || v === null) {
      if (o.required)
        this.err(`missing required field: ${ptr.slice(ptr.lastIndexOf('/') + 1)}`, ptr.slice(0, ptr.lastIndexOf('/')));
      return;
    }
    const t = v as any;
    if (typeof t !== 'object' || Array.isArray(t)) {
      this.err('failed to match all allowed schemas (expected a text object)', ptr);
      return;
    }
    if (t.type !== 'plain_text' && t.type !== 'mrkdwn') {
      this.err('failed to match all allowed schemas (text type must be plain_text or mrkdwn)', `${ptr}/type`);
    } else if (o.plain && t.type !== 'plain_text') {
      this.err('must be a plain_text text object', `${ptr}/type`);
    }
    if (t.type === 'mrkdwn' && t.emoji !== undefined) this.err('invalid additional property: emoji', ptr);
    this.str(t.text, `${ptr}/text`, { max: Math.min(o.max, 3000), required: true });
  }

  /** Array field with item-count limits; returns true when it is an array (even if over the limit). */
  arr(v: unknown, ptr: string, o: { min: number; max: number }): v is unknown[] {
    if (!Array.isArray(v)) {
      if (v === undefined)
        this.err(`missing required field: ${ptr.slice(ptr.lastIndexOf('/') + 1)}`, ptr.slice(0, ptr.lastIndexOf('/')));
      else this.err('expected array', ptr);
      return false;
    }
    if (v.length < o.min) this.err(`must provide at least ${o.min} items`, ptr);
    if (v.length > o.max) this.err(`no more than ${o.max} items allowed`, ptr);
    return true;
  }

  bool(v: unknown, ptr: string): void {
    if (v !== undefined && typeof v !== 'boolean') this.err('expected boolean', ptr);
  }

  int(v: unknown, ptr: string, min: number, max: number): void {
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.err('expected integer', ptr);
    else if (v < min || v > max) this.err(`must be between ${min} and ${max}`, ptr);
  }
}

const SELECTS = ['static_select', 'external_select', 'users_select', 'conversations_select', 'channels_select'];
const MULTI_SELECTS = SELECTS.map((s) => `multi_${s}`);

/** Which elements each slot accepts (@slack/types `InputBlockElement`, `ActionsBlockElement`, `SectionBlockAccessory`). */
export const INPUT_ELEMENTS = new Set([
  ...SELECTS,
  ...MULTI_SELECTS,
  'checkboxes',
  'radio_buttons',
  'datepicker',
  'timepicker',
  'datetimepicker',
  'plain_text_input',
  'email_text_input',
  'url_text_input',
  'number_input',
  'rich_text_input',
  'file_input',
]);
export const ACTIONS_ELEMENTS = new Set([
  'button',
  'overflow',
  'workflow_button',
  ...SELECTS,
  ...MULTI_SELECTS,
  'checkboxes',
  'radio_buttons',
  'datepicker',
  'timepicker',
  'datetimepicker',
  'rich_text_input',
]);
export const ACCESSORY_ELEMENTS = new Set([
  'button',
  'overflow',
  'workflow_button',
  'image',
  ...SELECTS,
  ...MULTI_SELECTS,
  'checkboxes',
  'radio_buttons',
  'datepicker',
  'timepicker',
]);

const STYLES = new Set(['primary', 'danger']);

export function validateElement(c: Checker, e: any, p: string, allowed: Set<string>, actionIds: Set<string>): void {
  if (!e || typeof e !== 'object' || Array.isArray(e)) {
    c.err('expected object', p);
    return;
  }
  if (typeof e.type !== 'string' || !allowed.has(e.type)) {
    c.err(
      `failed to match all allowed schemas (element type ${JSON.stringify(e.type)} is not allowed here)`,
      `${p}/type`,
    );
    return;
  }
  if (e.action_id !== undefined && c.str(e.action_id, `${p}/action_id`, { max: 255 })) {
    // action_id must be unique within its block (doc §4 / @slack/types JSDoc).
    if (actionIds.has(e.action_id)) c.err(`duplicate action_id: ${e.action_id}`, `${p}/action_id`);
    actionIds.add(e.action_id);
  }
  if (e.confirm !== undefined) validateConfirm(c, e.confirm, `${p}/confirm`);
  if (e.placeholder !== undefined) c.text(e.placeholder, `${p}/placeholder`, { plain: true, max: 150 });
  c.bool(e.focus_on_load, `${p}/focus_on_load`);
  if (e.type.startsWith('multi_') && e.max_selected_items !== undefined)
    c.int(e.max_selected_items, `${p}/max_selected_items`, 1, 1e9);

  switch (e.type) {
    case 'button':
      c.text(e.text, `${p}/text`, { plain: true, max: 75, required: true });
      c.str(e.value, `${p}/value`, { max: 2000 });
      c.str(e.url, `${p}/url`, { max: 3000 });
      c.str(e.accessibility_label, `${p}/accessibility_label`, { max: 75 });
      if (e.style !== undefined && !STYLES.has(e.style))
        c.err('must be one of the provided values: primary, danger', `${p}/style`);
      break;
    case 'workflow_button':
      c.text(e.text, `${p}/text`, { plain: true, max: 75, required: true });
      if (e.workflow === undefined) c.err('missing required field: workflow', p);
      if (e.style !== undefined && !STYLES.has(e.style))
        c.err('must be one of the provided values: primary, danger', `${p}/style`);
      break;
    case 'overflow':
      if (c.arr(e.options, `${p}/options`, { min: 1, max: 5 })) {
        e.options.forEach((o: unknown, i: number) => validateOption(c, o, `${p}/options/${i}`, { url: true }));
      }
      break;
    case 'static_select':
    case 'multi_static_select':
      validateStaticOptions(c, e, p);
      break;
    case 'external_select':
    case 'multi_external_select':
      // External selects load options via block_suggestion (doc §2.8); inline options are not part of their schema.
      if (e.options !== undefined) c.err('invalid additional property: options', p);
      if (e.option_groups !== undefined) c.err('invalid additional property: option_groups', p);
      c.int(e.min_query_length, `${p}/min_query_length`, 0, 1e9);
      if (e.initial_option !== undefined) validateOption(c, e.initial_option, `${p}/initial_option`, {});
      if (Array.isArray(e.initial_options))
        e.initial_options.forEach((o: unknown, i: number) => validateOption(c, o, `${p}/initial_options/${i}`, {}));
      break;
    case 'checkboxes':
    case 'radio_buttons':
      // ≤ 10 options; their text may be mrkdwn (doc §4, T).
      if (c.arr(e.options, `${p}/options`, { min: 1, max: 10 })) {
        e.options.forEach((o: unknown, i: number) => validateOption(c, o, `${p}/options/${i}`, { mrkdwn: true }));
        checkInitial(c, e, p, e.options);
      }
      break;
    case 'datepicker':
      if (e.initial_date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(String(e.initial_date)))
        c.err('must match format YYYY-MM-DD', `${p}/initial_date`);
      break;
    case 'timepicker':
      if (e.initial_time !== undefined && !/^([01]\d|2[0-3]):[0-5]\d$/.test(String(e.initial_time)))
        c.err('must match format HH:mm', `${p}/initial_time`);
      break;
    case 'datetimepicker':
      c.int(e.initial_date_time, `${p}/initial_date_time`, 0, 1e11);
      break;
    case 'plain_text_input': {
      // min_length 0–3000, max_length 1–3000 (doc §4, D).
      c.int(e.min_length, `${p}/min_length`, 0, 3000);
      c.int(e.max_length, `${p}/max_length`, 1, 3000);
      if (typeof e.min_length === 'number' && typeof e.max_length === 'number' && e.min_length > e.max_length) {
        c.err('min_length must not be greater than max_length', `${p}/min_length`);
      }
      if (e.initial_value !== undefined) c.str(e.initial_value, `${p}/initial_value`, { max: 3000, min: 0 });
      c.bool(e.multiline, `${p}/multiline`);
      break;
    }
    case 'number_input':
      if (typeof e.is_decimal_allowed !== 'boolean') c.err('missing required field: is_decimal_allowed', p);
      // initial/min/max values are strings (doc §2.5, D).
      for (const f of ['initial_value', 'min_value', 'max_value'])
        if (e[f] !== undefined && typeof e[f] !== 'string') c.err('expected string', `${p}/${f}`);
      break;
    case 'email_text_input':
    case 'url_text_input':
      if (e.initial_value !== undefined) c.str(e.initial_value, `${p}/initial_value`, { max: 3000, min: 0 });
      break;
    case 'image':
      if (e.image_url === undefined && e.slack_file === undefined) c.err('missing required field: image_url', p);
      if (e.image_url !== undefined) c.str(e.image_url, `${p}/image_url`, { max: 3000 });
      c.str(e.alt_text, `${p}/alt_text`, { max: 2000, required: true });
      break;
    default:
      break; // users/conversations/channels selects, rich_text_input, file_input: common checks only
  }
}

function validateStaticOptions(c: Checker, e: any, p: string): void {
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
function checkInitial(c: Checker, e: any, p: string, options: any[]): void {
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
function validateOption(c: Checker, o: any, p: string, allow: { url?: boolean; mrkdwn?: boolean }): void {
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
function validateConfirm(c: Checker, d: any, p: string): void {
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
