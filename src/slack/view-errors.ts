import type { KnownBlock, ModalView } from '@slack/types';
import { userText } from './mrkdwn.js';
import { context } from './views.js';

/** The part of a submitted view (view_submission `view`) the answer is built from. */
export interface SubmittedView {
  blocks: unknown[];
  callback_id?: string;
  private_metadata?: string;
  title?: unknown;
  submit?: unknown | null;
  close?: unknown | null;
  notify_on_close?: boolean;
  clear_on_close?: boolean;
}

export type ErrorsAnswer =
  { response_action: 'errors'; errors: Record<string, string> } | { response_action: 'update'; view: ModalView };

/** The block that lists problems Slack cannot show under a field; replaced on each answer. */
export const PROBLEMS_BLOCK = 'form.problems';

type Block = { type?: unknown; block_id?: unknown; label?: { text?: unknown } };
const blocksOf = (view: SubmittedView) => view.blocks as Block[];

/**
 * The answer to a view_submission with field problems keyed by block_id. Slack only accepts
 * `response_action: errors` keyed to input blocks of the submitted view: anything else is refused and
 * the person sees a generic error. So when a key names a block the view does not have, the view is
 * updated instead: `add` supplies the input to show for such a key (the SSH key field, say), and every
 * problem is said in a block at the top. Inputs keep what the person typed (same block and action ids).
 */
export function fieldErrorsAnswer(
  view: SubmittedView,
  errors: Record<string, string>,
  add: Record<string, KnownBlock> = {},
): ErrorsAnswer {
  const inputs = new Map(
    blocksOf(view)
      .filter((b) => b.type === 'input' && typeof b.block_id === 'string')
      .map((b) => [b.block_id as string, b]),
  );
  const entries = Object.entries(errors);
  if (entries.every(([key]) => inputs.has(key))) return { response_action: 'errors', errors };
  const labelOf = (key: string) => {
    const text = (inputs.get(key) ?? (add[key] as Block | undefined))?.label?.text;
    return typeof text === 'string' ? text : null;
  };
  const lines = entries.map(([key, text]) => {
    const label = labelOf(key);
    return `:warning: ${label ? `*${userText(label, 200)}*: ` : ''}${userText(text, 500)}`;
  });
  const kept = blocksOf(view).filter((b) => b.block_id !== PROBLEMS_BLOCK) as KnownBlock[];
  const missing = entries
    .map(([key]) => key)
    .filter((key) => !inputs.has(key) && add[key])
    .map((key) => add[key]!);
  // New inputs go after the last input, ahead of any closing context line.
  const lastInput = kept.map((b) => b.type).lastIndexOf('input');
  const blocks = [...kept.slice(0, lastInput + 1), ...missing, ...kept.slice(lastInput + 1)];
  const problems: KnownBlock = { ...context(lines.join('\n')), block_id: PROBLEMS_BLOCK } as KnownBlock;
  return {
    response_action: 'update',
    view: {
      type: 'modal',
      ...(view.callback_id ? { callback_id: view.callback_id } : {}),
      ...(view.private_metadata ? { private_metadata: view.private_metadata } : {}),
      title: view.title as ModalView['title'],
      ...(view.submit ? { submit: view.submit as ModalView['submit'] } : {}),
      ...(view.close ? { close: view.close as ModalView['close'] } : {}),
      ...(view.notify_on_close ? { notify_on_close: true } : {}),
      ...(view.clear_on_close ? { clear_on_close: true } : {}),
      blocks: [problems, ...blocks],
    },
  };
}
