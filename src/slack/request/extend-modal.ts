import type { ModalView } from '@slack/types';
import type { RequestDetails } from '../../domain/request.js';
import { RequestIds } from '../ids.js';
import { code, slackDate } from '../mrkdwn.js';
import { durationOption, plain, section } from '../views.js';

/** Asking for more time on an active grant: how much more, and why. */
export function buildExtendModal(r: RequestDetails, durations: number[]): ModalView {
  return {
    type: 'modal',
    callback_id: RequestIds.extendCallback,
    private_metadata: JSON.stringify({ requestId: r.id }),
    title: plain('Extend access', 24),
    submit: plain('Ask to extend', 24),
    close: plain('Cancel', 24),
    blocks: [
      section(
        `Your access to ${r.resources.map((x) => code(x.name)).join(', ')} (${code(r.id)}) ends ${r.grant ? slackDate(r.grant.expiresAt) : 'soon'}. The approvers decide on the extension as on any request; your access continues meanwhile.`,
      ),
      {
        type: 'input',
        block_id: RequestIds.extendDurationBlock,
        label: plain('Add'),
        element: {
          type: 'static_select',
          action_id: RequestIds.extendDurationAction,
          options: durations.map(durationOption),
          initial_option: durationOption(durations.includes(60) ? 60 : durations[0]!),
        },
      },
      {
        type: 'input',
        block_id: RequestIds.extendReasonBlock,
        label: plain('Why do you need more time?'),
        element: {
          type: 'plain_text_input',
          action_id: RequestIds.extendReasonAction,
          multiline: true,
          max_length: 2000,
        },
      },
    ],
  };
}
