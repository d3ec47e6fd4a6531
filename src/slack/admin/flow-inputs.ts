import type { KnownBlock, PlainTextOption } from '@slack/types';
import { FIELD } from '../ids.js';
import { plain } from '../views.js';

/** One input block of the flow editor: every field's element carries the same action id (FIELD). */
export const inputBlock = (
  block: string,
  label: string,
  element: Record<string, unknown>,
  opts: { optional?: boolean; hint?: string | undefined } = {},
): KnownBlock =>
  ({
    type: 'input',
    block_id: block,
    label: plain(label, 2000),
    optional: opts.optional ?? false,
    ...(opts.hint ? { hint: plain(opts.hint, 2000) } : {}),
    element: { action_id: FIELD, ...element },
  }) as KnownBlock;

/** `initial_options` only when something is chosen: Slack refuses an empty list. */
export const initialOptions = (options: PlainTextOption[]) => (options.length > 0 ? { initial_options: options } : {});
