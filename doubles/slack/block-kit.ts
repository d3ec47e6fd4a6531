/**
 * What Slack rejects: the Block Kit runtime limits of platform doc §4, reported
 * in Slack's own error-string format (doc §3.5):
 *   "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]".
 * Message wording varies on real Slack (doc §7): tests should match on the
 * error code (`invalid_blocks` / `invalid_arguments`) and the json-pointer.
 */
import { Checker } from './block-kit-checker.js';
import { validateElement, INPUT_ELEMENTS, ACTIONS_ELEMENTS, ACCESSORY_ELEMENTS } from './block-kit-elements.js';

export type SurfaceKind = 'message' | 'modal' | 'home';

/** Block types Slack knows (@slack/types `KnownBlock`, doc source T). Anything else fails schema matching. */
const KNOWN_BLOCKS = new Set([
  'section',
  'divider',
  'header',
  'context',
  'actions',
  'input',
  'image',
  'rich_text',
  'markdown',
  'file',
  'video',
  'table',
  'alert',
  'card',
  'carousel',
  'container',
  'context_actions',
  'data_table',
  'task_card',
  'plan',
]);

/** 250 kB view limit (doc §4 "View payload size", error `view_too_large`). */
export const VIEW_MAX_BYTES = 250 * 1024;

export function viewTooLarge(view: unknown): boolean {
  return Buffer.byteLength(JSON.stringify(view ?? null), 'utf8') > VIEW_MAX_BYTES;
}

/**
 * Validate a message (`{blocks}`) or a view (`{view}`) and return Slack-style
 * error strings; [] means Slack would accept it.
 */
export function validateSurface(
  kind: SurfaceKind,
  payload: { blocks?: unknown; view?: unknown; text?: unknown },
): string[] {
  const c = new Checker();
  if (kind === 'message') {
    if (payload.blocks !== undefined) validateBlocks(c, kind, payload.blocks, '/blocks', 50);
    // Fallback `text` ≤ 40,000 (brief; chat.postMessage answers `msg_too_long` for it, see fake-slack-methods.ts).
    if (typeof payload.text === 'string' && payload.text.length > 40000)
      c.err('must be less than 40001 characters', '/text');
    return c.errors;
  }
  const view = payload.view as any;
  if (!view || typeof view !== 'object' || Array.isArray(view)) {
    c.err('missing required field: view', '');
    return c.errors;
  }
  const p = '/view';
  if (view.type !== kind) c.err(`must be one of the provided values: ${kind}`, `${p}/type`);
  if (kind === 'modal') {
    // Modal title is required, plain_text, ≤ 24 (doc §4 "modal title").
    if (view.title === undefined) c.err('missing required field: title', p);
    else c.text(view.title, `${p}/title`, { plain: true, max: 24 });
    if (view.submit !== undefined && view.submit !== null) c.text(view.submit, `${p}/submit`, { plain: true, max: 24 });
    if (view.close !== undefined && view.close !== null) c.text(view.close, `${p}/close`, { plain: true, max: 24 });
    if (Array.isArray(view.blocks) && (view.submit === undefined || view.submit === null)) {
      const i = view.blocks.findIndex((b: any) => b?.type === 'input');
      // Exact message reported in node-slack-sdk PR #875 (doc §3.5).
      if (i >= 0) c.err('must define `submit` to use input block', `${p}/blocks/${i}/input`);
    }
    for (const f of ['clear_on_close', 'notify_on_close', 'submit_disabled']) {
      if (view[f] !== undefined && typeof view[f] !== 'boolean') c.err('expected boolean', `${p}/${f}`);
    }
  } else {
    // "home view cannot have submit and close" (doc §4, py-sdk).
    if (view.submit !== undefined && view.submit !== null) c.err('home view cannot have submit', `${p}/submit`);
    if (view.close !== undefined && view.close !== null) c.err('home view cannot have close', `${p}/close`);
    if (view.title !== undefined) c.text(view.title, `${p}/title`, { plain: true, max: 24 });
  }
  c.str(view.private_metadata, `${p}/private_metadata`, { max: 3000, min: 0 });
  c.str(view.callback_id, `${p}/callback_id`, { max: 255, min: 0 });
  c.str(view.external_id, `${p}/external_id`, { max: 255, min: 0 });
  if (view.blocks === undefined) c.err('missing required field: blocks', p);
  else validateBlocks(c, kind, view.blocks, `${p}/blocks`, 100);
  return c.errors;
}

function validateBlocks(c: Checker, kind: SurfaceKind, blocks: unknown, ptr: string, max: number): void {
  if (!Array.isArray(blocks)) {
    c.err('expected array', ptr);
    return;
  }
  // 50 blocks per message, 100 per modal / Home view (doc §4).
  if (blocks.length > max) c.err(`no more than ${max} items allowed`, ptr);
  const seen = new Set<string>();
  blocks.forEach((block, i) => validateBlock(c, kind, block, `${ptr}/${i}`, seen));
}

function validateBlock(c: Checker, kind: SurfaceKind, b: any, p: string, blockIds: Set<string>): void {
  if (!b || typeof b !== 'object' || Array.isArray(b)) {
    c.err('expected object', p);
    return;
  }
  if (typeof b.type !== 'string' || !KNOWN_BLOCKS.has(b.type)) {
    c.err(`failed to match all allowed schemas (unknown block type ${JSON.stringify(b.type)})`, p);
    return;
  }
  if (b.block_id !== undefined) {
    if (c.str(b.block_id, `${p}/block_id`, { max: 255 }) && blockIds.has(b.block_id)) {
      // block_id must be unique within a message or view (doc §0 brief / Slack block reference).
      c.err(`duplicate block_id: ${b.block_id}`, `${p}/block_id`);
    }
    blockIds.add(b.block_id);
  }
  const actionIds = new Set<string>();
  const el = (e: unknown, ep: string, allowed: Set<string>) => validateElement(c, e, ep, allowed, actionIds);
  switch (b.type) {
    case 'section':
      if (b.text === undefined && b.fields === undefined) c.err('must provide either text or fields', p);
      if (b.text !== undefined) c.text(b.text, `${p}/text`, { max: 3000 });
      if (b.fields !== undefined) {
        if (!Array.isArray(b.fields)) c.err('expected array', `${p}/fields`);
        else {
          if (b.fields.length > 10) c.err('no more than 10 items allowed', `${p}/fields`);
          b.fields.forEach((f: unknown, i: number) => c.text(f, `${p}/fields/${i}`, { max: 2000 }));
        }
      }
      if (b.accessory !== undefined) el(b.accessory, `${p}/accessory`, ACCESSORY_ELEMENTS);
      break;
    case 'header':
      c.text(b.text, `${p}/text`, { plain: true, max: 150, required: true });
      break;
    case 'context':
      if (!c.arr(b.elements, `${p}/elements`, { min: 1, max: 10 })) break;
      b.elements.forEach((e: any, i: number) => {
        const ep = `${p}/elements/${i}`;
        if (e?.type === 'image') validateElement(c, e, ep, new Set(['image']), actionIds);
        else c.text(e, ep, { max: 3000 });
      });
      break;
    case 'actions':
      if (!c.arr(b.elements, `${p}/elements`, { min: 1, max: 25 })) break;
      b.elements.forEach((e: unknown, i: number) => el(e, `${p}/elements/${i}`, ACTIONS_ELEMENTS));
      break;
    case 'input':
      // Input blocks belong to modals and Home tabs, not messages (brief; Slack block reference).
      if (kind === 'message') c.err('unsupported block type in messages: input', `${p}/type`);
      if (b.label === undefined) c.err('missing required field: label', p);
      else c.text(b.label, `${p}/label`, { plain: true, max: 2000 });
      if (b.hint !== undefined) c.text(b.hint, `${p}/hint`, { plain: true, max: 2000 });
      if (b.element === undefined) c.err('missing required field: element', p);
      else el(b.element, `${p}/element`, INPUT_ELEMENTS);
      for (const f of ['optional', 'dispatch_action']) {
        if (b[f] !== undefined && typeof b[f] !== 'boolean') c.err('expected boolean', `${p}/${f}`);
      }
      break;
    case 'image':
      if (b.image_url === undefined && b.slack_file === undefined) c.err('missing required field: image_url', p);
      if (b.image_url !== undefined) c.str(b.image_url, `${p}/image_url`, { max: 3000 });
      c.str(b.alt_text, `${p}/alt_text`, { max: 2000, required: true });
      if (b.title !== undefined) c.text(b.title, `${p}/title`, { plain: true, max: 2000 });
      break;
    case 'markdown':
      c.str(b.text, `${p}/text`, { max: 12000, required: true });
      break;
    case 'rich_text':
      c.arr(b.elements, `${p}/elements`, { min: 0, max: Infinity });
      break;
    default:
      break; // divider, file, video and newer blocks: only the common checks above
  }
}

/**
 * True when mrkdwn `text` contains a broadcast mention that would notify a
 * whole channel: `<!channel>`, `<!here>`, `<!everyone>` (also the labelled
 * forms `<!here|here>`). Tests use it to prove user input is never echoed raw.
 */
export function mentionsBroadcast(text: string): boolean {
  return /<!(channel|here|everyone)(\|[^>]*)?>/i.test(text);
}

/** Every mrkdwn string in a message or view that would ping a channel (top-level `text` included). */
export function findBroadcasts(payload: { text?: unknown; blocks?: unknown; view?: unknown }): string[] {
  const hits: string[] = [];
  if (typeof payload.text === 'string' && mentionsBroadcast(payload.text)) hits.push(payload.text);
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      // plain_text never renders mentions; mrkdwn and markdown blocks do.
      if ((o.type === 'mrkdwn' || o.type === 'markdown') && typeof o.text === 'string' && mentionsBroadcast(o.text)) {
        hits.push(o.text);
      }
      Object.values(o).forEach(walk);
    }
  };
  walk(payload.blocks);
  walk(payload.view);
  return hits;
}
