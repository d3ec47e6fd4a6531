/**
 * Walking Block Kit surfaces (message blocks, view blocks) the way Slack's
 * client does: where interactive elements live, which of them carry state,
 * and what `state.values` holds for each (platform doc §2.5).
 */
import { createHash } from 'node:crypto';

/** Elements whose value travels in `state.values` (doc §2.5; Slack sends ALL of them since 2020-09, §2.2). */
export const STATEFUL_TYPES = new Set([
  'plain_text_input',
  'email_text_input',
  'url_text_input',
  'number_input',
  'rich_text_input',
  'file_input',
  'static_select',
  'external_select',
  'users_select',
  'conversations_select',
  'channels_select',
  'multi_static_select',
  'multi_external_select',
  'multi_users_select',
  'multi_conversations_select',
  'multi_channels_select',
  'checkboxes',
  'radio_buttons',
  'datepicker',
  'timepicker',
  'datetimepicker',
]);

export interface ElementRef {
  blockIndex: number;
  block: any;
  blockId: string;
  actionId: string;
  element: any;
  /** where the element sits: an input block's `element`, a section `accessory`, an actions block's `elements[i]` */
  slot: 'input' | 'accessory' | 'actions';
}

/** Every interactive element of a surface, in document order. */
export function elementsOf(blocks: unknown): ElementRef[] {
  const out: ElementRef[] = [];
  if (!Array.isArray(blocks)) return out;
  blocks.forEach((block: any, blockIndex) => {
    if (!block || typeof block !== 'object') return;
    const blockId = String(block.block_id ?? '');
    const push = (element: any, slot: ElementRef['slot']) => {
      if (element && typeof element === 'object' && typeof element.type === 'string') {
        out.push({ blockIndex, block, blockId, actionId: String(element.action_id ?? ''), element, slot });
      }
    };
    if (block.type === 'input') push(block.element, 'input');
    if (block.type === 'section') push(block.accessory, 'accessory');
    if (block.type === 'actions' && Array.isArray(block.elements)) for (const e of block.elements) push(e, 'actions');
  });
  return out;
}

export function statefulElementsOf(blocks: unknown): ElementRef[] {
  return elementsOf(blocks).filter((r) => STATEFUL_TYPES.has(r.element.type));
}

/** All options an element offers, flattening `option_groups`. */
export function optionsOf(element: any): any[] {
  if (Array.isArray(element?.options)) return element.options;
  if (Array.isArray(element?.option_groups)) {
    return element.option_groups.flatMap((g: any) => (Array.isArray(g?.options) ? g.options : []));
  }
  return [];
}

/**
 * The `state.values[block_id][action_id]` entry for an element nobody touched:
 * its `initial_*` value, or null for single-value fields / [] for multi-value
 * fields (doc §2.5 "Empty optional inputs").
 */
export function defaultStateEntry(element: any): Record<string, unknown> {
  const type = element.type as string;
  const e = element;
  switch (type) {
    case 'plain_text_input':
    case 'email_text_input':
    case 'url_text_input':
    case 'number_input':
      return { type, value: e.initial_value ?? null };
    case 'rich_text_input':
      return { type, rich_text_value: e.initial_value ?? null };
    case 'file_input':
      return { type, files: [] };
    case 'static_select':
    case 'external_select':
    case 'radio_buttons':
      return { type, selected_option: e.initial_option ?? null };
    case 'multi_static_select':
    case 'multi_external_select':
    case 'checkboxes':
      return { type, selected_options: e.initial_options ?? [] };
    case 'users_select':
      return { type, selected_user: e.initial_user ?? null };
    case 'multi_users_select':
      return { type, selected_users: e.initial_users ?? [] };
    case 'conversations_select':
      return { type, selected_conversation: e.initial_conversation ?? null };
    case 'multi_conversations_select':
      return { type, selected_conversations: e.initial_conversations ?? [] };
    case 'channels_select':
      return { type, selected_channel: e.initial_channel ?? null };
    case 'multi_channels_select':
      return { type, selected_channels: e.initial_channels ?? [] };
    case 'datepicker':
      return { type, selected_date: e.initial_date ?? null };
    case 'timepicker':
      return { type, selected_time: e.initial_time ?? null };
    case 'datetimepicker':
      return { type, selected_date_time: e.initial_date_time ?? null };
    default:
      return { type };
  }
}

export type StateValues = Record<string, Record<string, any>>;

/** Full `state.values` for a surface: defaults overlaid with what the user changed. */
export function stateValuesOf(blocks: unknown, changed: StateValues = {}): StateValues {
  const values: StateValues = {};
  for (const ref of statefulElementsOf(blocks)) {
    const entry = changed[ref.blockId]?.[ref.actionId] ?? defaultStateEntry(ref.element);
    (values[ref.blockId] ??= {})[ref.actionId] = entry;
  }
  return values;
}

/**
 * User-entered state that survives an update: Slack keeps input when the
 * block_id and action_id stay the same (changing the block_id is the known way
 * to reset an input), so entries whose element is gone are dropped.
 */
export function carryOverState(blocks: unknown, changed: StateValues): StateValues {
  const out: StateValues = {};
  for (const ref of statefulElementsOf(blocks)) {
    const prev = changed[ref.blockId]?.[ref.actionId];
    if (prev && prev.type === ref.element.type) (out[ref.blockId] ??= {})[ref.actionId] = prev;
  }
  return out;
}

function shortId(seed: string): string {
  // Slack fills in short ids like "8KR" / "maBWU" (doc §2.2, §2.4); derive them from content so they stay stable.
  return createHash('sha1')
    .update(seed)
    .digest('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 5);
}

/** Copy of `blocks` with Slack's generated `block_id` / `action_id` filled in where the app left them out. */
export function normalizeBlocks(blocks: unknown): any[] {
  if (!Array.isArray(blocks)) return [];
  const copy = structuredClone(blocks) as any[];
  copy.forEach((block, i) => {
    if (!block || typeof block !== 'object') return;
    if (block.block_id === undefined) block.block_id = shortId(`${i}:${JSON.stringify(block)}`);
    const fill = (el: any, j: number) => {
      if (el && typeof el === 'object' && el.type !== 'image' && el.action_id === undefined) {
        el.action_id = shortId(`${block.block_id}:${j}:${JSON.stringify(el)}`);
      }
    };
    if (block.type === 'input') fill(block.element, 0);
    if (block.type === 'section') fill(block.accessory, 0);
    if (block.type === 'actions' && Array.isArray(block.elements)) block.elements.forEach(fill);
  });
  return copy;
}

/** Rendering an option as Slack echoes it in payloads. */
export function optionKey(o: any): string {
  return `${o?.value}\u0000${o?.text?.text}`;
}
