/**
 * What a person can put into an element through Slack's client, as the
 * `state.values` entry Slack then sends (platform doc §2.5), and the checks
 * Slack's client makes before it lets a modal be submitted.
 */
import type { FakeSlack } from './fake-slack.js';
import { defaultStateEntry, optionsOf, type StateValues } from './surface.js';

export type Picked = string | string[] | null;

/** Options the app offered through block_suggestion, so picks carry the real option text. */
export type SuggestionCache = Map<string, any[]>;

function one(input: Picked, what: string): string {
  if (Array.isArray(input)) throw new Error(`${what} takes a single value, got an array`);
  return input as string;
}
function many(input: Picked): string[] {
  return Array.isArray(input) ? input : [input as string];
}

function offered(element: any, value: string, where: string): any {
  const o = optionsOf(element).find((x) => x?.value === value);
  if (!o) {
    const values = optionsOf(element).map((x) => x?.value);
    throw new Error(
      `${where}: "${value}" is not one of the offered options [${values.join(', ')}] — a person cannot pick it (use opts.raw to send it anyway)`,
    );
  }
  return o;
}

function suggested(cache: SuggestionCache, actionId: string, value: string): any {
  const hit = (cache.get(actionId) ?? []).find((o) => o?.value === value);
  return hit ?? { text: { type: 'plain_text', text: value, emoji: true }, value };
}

/** The state entry for `input` typed/picked into `element`; null clears it (empty form, doc §2.5). */
export function entryFor(
  slack: FakeSlack,
  element: any,
  input: Picked,
  where: string,
  cache: SuggestionCache,
): Record<string, unknown> {
  const type = element.type as string;
  if (input === null) return defaultStateEntry({ type });
  const checkUser = (id: string) => {
    const u = slack.state.users.get(id);
    if (!u || u.deleted)
      throw new Error(`${where}: user ${id} does not exist (or is deactivated) — the picker would not offer it`);
    return id;
  };
  const limit = (list: unknown[]) => {
    if (typeof element.max_selected_items === 'number' && list.length > element.max_selected_items) {
      throw new Error(`${where}: at most ${element.max_selected_items} items can be selected`);
    }
    return list;
  };
  switch (type) {
    case 'plain_text_input':
    case 'email_text_input':
    case 'url_text_input':
    case 'number_input':
      return { type, value: one(input, where) };
    case 'rich_text_input':
      return {
        type,
        rich_text_value: {
          type: 'rich_text',
          elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: one(input, where) }] }],
        },
      };
    case 'static_select':
    case 'radio_buttons':
      return { type, selected_option: offered(element, one(input, where), where) };
    case 'multi_static_select':
    case 'checkboxes':
      return { type, selected_options: limit(many(input).map((v) => offered(element, v, where))) };
    case 'overflow':
      return { type, selected_option: offered(element, one(input, where), where) };
    case 'external_select':
      return { type, selected_option: suggested(cache, element.action_id, one(input, where)) };
    case 'multi_external_select':
      return { type, selected_options: limit(many(input).map((v) => suggested(cache, element.action_id, v))) };
    case 'users_select':
      return { type, selected_user: checkUser(one(input, where)) };
    case 'multi_users_select':
      return { type, selected_users: limit(many(input).map(checkUser)) };
    case 'conversations_select':
      return { type, selected_conversation: one(input, where) };
    case 'multi_conversations_select':
      return { type, selected_conversations: limit(many(input)) };
    case 'channels_select':
      return { type, selected_channel: one(input, where) };
    case 'multi_channels_select':
      return { type, selected_channels: limit(many(input)) };
    case 'datepicker': {
      const d = one(input, where);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) throw new Error(`${where}: datepicker values are YYYY-MM-DD, got "${d}"`);
      return { type, selected_date: d };
    }
    case 'timepicker': {
      const t = one(input, where);
      if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(t)) throw new Error(`${where}: timepicker values are HH:mm, got "${t}"`);
      return { type, selected_time: t };
    }
    case 'datetimepicker':
      return { type, selected_date_time: Number(one(input, where)) };
    default:
      throw new Error(`${where}: the driver cannot fill a ${type} element; use opts.raw`);
  }
}

function isEmpty(entry: any): boolean {
  if (!entry) return true;
  for (const [k, v] of Object.entries(entry)) {
    if (k === 'type') continue;
    if (v === null || v === '' || (Array.isArray(v) && v.length === 0)) return true;
  }
  return Object.keys(entry).length <= 1;
}

/** One problem Slack's client shows under an input block instead of submitting. */
export interface InputProblem {
  blockId: string;
  message: string;
}

/**
 * Problems Slack's client shows inline instead of submitting: empty required
 * inputs, plain_text_input min/max_length, number_input range/format, email/url format.
 */
export function inputProblems(blocks: any[], values: StateValues): InputProblem[] {
  const problems: InputProblem[] = [];
  for (const b of blocks) {
    if (b?.type !== 'input' || !b.element) continue;
    const e = b.element;
    const entry = values[b.block_id]?.[e.action_id];
    const add = (message: string) => problems.push({ blockId: b.block_id, message });
    if (isEmpty(entry)) {
      if (!b.optional) add('is required');
      continue;
    }
    const value = entry?.value;
    if (e.type === 'plain_text_input' && typeof value === 'string') {
      if (typeof e.min_length === 'number' && value.length < e.min_length)
        add(`needs at least ${e.min_length} characters`);
      if (typeof e.max_length === 'number' && value.length > e.max_length)
        add(`allows at most ${e.max_length} characters`);
    }
    if (e.type === 'number_input' && typeof value === 'string') {
      const n = Number(value);
      if (value.trim() === '' || Number.isNaN(n)) add('must be a number');
      else if (!e.is_decimal_allowed && !Number.isInteger(n)) add('must be a whole number');
      else if (
        (e.min_value !== undefined && n < Number(e.min_value)) ||
        (e.max_value !== undefined && n > Number(e.max_value))
      ) {
        add('is out of range');
      }
    }
    if (e.type === 'email_text_input' && typeof value === 'string' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value))
      add('must be an email address');
    if (e.type === 'url_text_input' && typeof value === 'string' && !URL.canParse(value)) add('must be a URL');
  }
  return problems;
}

/** The same problems as sentences naming the block, for test failures. */
export function clientSideProblems(blocks: any[], values: StateValues): string[] {
  return inputProblems(blocks, values).map((p) => `input "${p.blockId}" ${p.message}`);
}
