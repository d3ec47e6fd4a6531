import type { KnownBlock, ModalView } from '@slack/types';
import type { RequestableResource } from '../../domain/flow.js';
import type { RequestForm } from '../../services/request-service.js';
import { MAX_JUSTIFICATION, MAX_RESOURCES_PER_REQUEST } from '../../services/request-service.js';
import { RequestIds } from '../ids.js';
import { code, userText } from '../mrkdwn.js';
import { context, durationOption, option, plain } from '../views.js';

/** Slack caps static selects at 100 options; past that the modal switches to type-ahead (external select). */
export const STATIC_OPTION_LIMIT = 100;

export const resourceOption = (r: RequestableResource) =>
  option(r.resource.name, r.resource.name, [r.resource.type, r.resource.description].filter(Boolean).join(' · '));

/** The SSH public key field: shown when the person may need it and has none saved yet. */
export const sshKeyInput = (): KnownBlock => ({
  type: 'input',
  block_id: RequestIds.sshKeyBlock,
  optional: true,
  label: plain('SSH public key (for SSH resources)'),
  hint: plain('Your ~/.ssh/id_ed25519.pub. It is kept for later requests; change it with /access ssh-key.'),
  element: {
    type: 'plain_text_input',
    action_id: RequestIds.sshKeyAction,
    max_length: 2000,
    placeholder: plain('ssh-ed25519 AAAA… you@laptop', 150),
  },
});

export function buildRequestModal(form: RequestForm): ModalView {
  const preselected = form.requestable.filter((r) => form.preselected.includes(r.resource.name)).map(resourceOption);
  const useExternal = form.requestable.length > STATIC_OPTION_LIMIT;
  const durations = form.durations;
  // One hour when offered, else the longest offered below it, else the shortest.
  const initialDuration = durations.includes(60) ? 60 : (durations.filter((d) => d < 60).at(-1) ?? durations[0]!);

  const blocks: KnownBlock[] = [];
  if (form.unknownPreselect) {
    blocks.push(
      context(
        `:warning: ${code(userText(form.unknownPreselect, 64))} is not something you can request. Pick from the list below.`,
      ),
    );
  }
  blocks.push(
    {
      type: 'input',
      block_id: RequestIds.resourcesBlock,
      label: plain('Resources'),
      hint: plain('Only resources an approval flow lets you request are listed.'),
      element: useExternal
        ? {
            type: 'multi_external_select',
            action_id: RequestIds.resourcesAction,
            placeholder: plain('Type to search resources', 150),
            min_query_length: 0,
            max_selected_items: MAX_RESOURCES_PER_REQUEST,
            ...(preselected.length ? { initial_options: preselected } : {}),
          }
        : {
            type: 'multi_static_select',
            action_id: RequestIds.resourcesAction,
            placeholder: plain('Pick resources', 150),
            max_selected_items: MAX_RESOURCES_PER_REQUEST,
            options: form.requestable.map(resourceOption),
            ...(preselected.length ? { initial_options: preselected } : {}),
          },
    },
    {
      type: 'input',
      block_id: RequestIds.durationBlock,
      label: plain('For how long'),
      element: {
        type: 'static_select',
        action_id: RequestIds.durationAction,
        options: durations.map(durationOption),
        initial_option: durationOption(initialDuration),
      },
    },
    {
      type: 'input',
      block_id: RequestIds.justificationBlock,
      optional: form.justificationOptional,
      label: plain('Why do you need it?'),
      hint: plain(
        [...form.justificationHints, 'Approvers see this, and it stays in the audit trail.'].join(' · '),
        2000,
      ),
      element: {
        type: 'plain_text_input',
        action_id: RequestIds.justificationAction,
        multiline: true,
        max_length: MAX_JUSTIFICATION,
        placeholder: plain('e.g. INC-1234: investigate failed payments', 150),
      },
    },
  );
  blocks.push({
    type: 'input',
    block_id: RequestIds.startBlock,
    optional: true,
    label: plain('Start at'),
    hint: plain(
      'Leave empty to start when approved. A later start (up to 30 days ahead) gets the full duration from then.',
    ),
    element: { type: 'datetimepicker', action_id: RequestIds.startAction },
  });
  if (form.asksForSshKey) blocks.push(sshKeyInput());
  if (form.needLink?.length) {
    const names = form.needLink.slice(0, 10).join(', ');
    blocks.push(
      context(
        `:lock: Link your company identity first: /access link (${names}${form.needLink.length > 10 ? '…' : ''} ${form.needLink.length === 1 ? 'needs' : 'need'} it).`,
      ),
    );
  }
  blocks.push(context('Approvers get a message in Slack. I will send you a DM when they decide.'));

  return {
    type: 'modal',
    callback_id: RequestIds.callback,
    title: plain('Request access', 24),
    submit: plain('Send request', 24),
    close: plain('Cancel', 24),
    blocks,
  };
}
