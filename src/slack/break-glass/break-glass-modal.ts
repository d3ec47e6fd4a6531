import type { ModalView } from '@slack/types';
import { durationChoices, formatDuration } from '../../domain/duration.js';
import type { BreakGlassOption } from '../../domain/break-glass.js';
import { BreakGlassIds, FIELD } from '../ids.js';
import { context, durationOption, option, plain, section } from '../views.js';

/** Slack's limit on a static select's options. */
const MAX_OPTIONS = 100;

/**
 * The break-glass form (App Home button, or `/access break-glass` without arguments): the resources
 * this person is designated for, a duration up to the longest any of them allows (the server checks
 * each resource's own maximum), and a mandatory reason.
 */
export function buildBreakGlassModal(options: readonly BreakGlassOption[]): ModalView {
  const longest = Math.max(...options.map((o) => o.maxDurationMinutes));
  const durations = durationChoices(longest);
  const initial = durations.includes(60) ? 60 : durations[0]!;
  return {
    type: 'modal',
    callback_id: BreakGlassIds.callback,
    title: plain('Break glass', 24),
    submit: plain('Get access now', 24),
    close: plain('Cancel', 24),
    blocks: [
      section(
        ':rotating_light: *Emergency access without approval.* It is granted at once, the approvers are alerted, and an approver must review it afterwards. Use it only when it cannot wait.',
      ),
      {
        type: 'input',
        block_id: BreakGlassIds.resourceBlock,
        label: plain('Resource', 2000),
        element: {
          type: 'static_select',
          action_id: FIELD,
          options: options
            .slice(0, MAX_OPTIONS)
            .map((o) =>
              option(
                o.resource.name,
                o.resource.name,
                `${o.resource.type} · up to ${formatDuration(o.maxDurationMinutes)}`,
              ),
            ),
        },
      },
      {
        type: 'input',
        block_id: BreakGlassIds.durationBlock,
        label: plain('For how long', 2000),
        element: {
          type: 'static_select',
          action_id: FIELD,
          options: durations.map(durationOption),
          initial_option: durationOption(initial),
        },
      },
      {
        type: 'input',
        block_id: BreakGlassIds.reasonBlock,
        label: plain('Reason', 2000),
        hint: plain('What is broken, and why it cannot wait for an approval. The approvers read this.', 2000),
        element: { type: 'plain_text_input', action_id: FIELD, multiline: true, max_length: 2000 },
      },
      context(
        'Databases: read-write · HTTP: full · Kubernetes: edit in the default namespaces · SSH: the default login users.',
      ),
    ],
  };
}
