/**
 * Block element limits (platform doc §4, sources T/P/D) and which elements each slot accepts;
 * the composition objects inside them are checked in block-kit-options.ts.
 */
import type { Checker } from './block-kit-checker.js';
import { checkInitial, STYLES, validateConfirm, validateOption, validateStaticOptions } from './block-kit-options.js';

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
