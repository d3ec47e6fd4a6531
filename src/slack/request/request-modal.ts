import type { KnownBlock, ModalView } from '@slack/types';
import type { RequestableResource } from '../../domain/flow.js';
import type { RequestForm } from '../../services/request-service.js';
import { MAX_JUSTIFICATION, MAX_RESOURCES_PER_REQUEST } from '../../services/request-service.js';
import { RequestIds } from '../ids.js';
import { code, userText } from '../mrkdwn.js';
import { context, durationOption, option, plain } from '../views.js';
import { fieldInputs } from './field-inputs.js';

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

/** The duration field as the form being redrawn shows it: its block id and the person's pick. */
export interface ShownDuration {
  blockId: string;
  minutes: number | null;
  /** The resources field's block id in that form (`request.resources`, or `.<n>` once a bundle redrew it). */
  resourcesBlockId?: string;
}

/** A field's block id drawn afresh: Slack then shows the view's initial values instead of the person's input. */
const bumped = (base: string, shown: string | undefined) =>
  `${base}.${Number(/\.(\d+)$/.exec(shown ?? '')?.[1] ?? 0) + 1}`;

/** The resources field's block id in a form as drawn: `request.resources`, or `request.resources.<n>` after a bundle pick. */
export const isResourcesBlock = (blockId: unknown): blockId is string =>
  typeof blockId === 'string' &&
  (blockId === RequestIds.resourcesBlock || /^request\.resources\.\d{1,6}$/.test(blockId));

/**
 * The duration field's block id. Slack keeps a field's input across views.update only while its block and
 * action ids stay, so a pick the new offer still has keeps the id; a pick it no longer has gets a fresh id,
 * and the field starts again from the offer's default instead of holding a duration that would be refused.
 */
function nextDurationBlockId(durations: readonly number[], shown?: ShownDuration, fresh = false): string {
  if (!shown) return RequestIds.durationBlock;
  if (fresh) return bumped(RequestIds.durationBlock, shown.blockId);
  if (shown.minutes === null || durations.includes(shown.minutes)) return shown.blockId;
  const n = Number(/\.(\d+)$/.exec(shown.blockId)?.[1] ?? 0);
  return `${RequestIds.durationBlock}.${n + 1}`;
}

/** The duration field's block id in a form as drawn: `request.duration`, or `request.duration.<n>` once redrawn afresh. */
export const isDurationBlock = (blockId: unknown): blockId is string =>
  typeof blockId === 'string' && (blockId === RequestIds.durationBlock || /^request\.duration\.\d{1,6}$/.test(blockId));

/**
 * The justification hint: each flow's own once, naming the resources it speaks for unless it speaks for all
 * of the picked ones; then who sees the text.
 */
function justificationHint(form: RequestForm): string {
  const hints = form.justificationHints;
  const forAll = hints.length === 1 && hints[0]!.resources.length === form.preselected.length;
  const lines = hints.map((h) => (forAll ? h.text : `For ${h.resources.join(', ')}: ${h.text}`));
  return [...lines, 'Approvers see this, and it stays in the audit trail.'].join('\n');
}

/**
 * "Bundle": shown only to people who may pick one; a pick redraws the form with its parts and duration
 * (redraw-on-pick.ts). Parts this person may not request are named: they are left out of what is sent.
 */
function bundleBlocks(form: RequestForm): KnownBlock[] {
  if (!form.bundles?.length) return [];
  const options = form.bundles
    .slice(0, STATIC_OPTION_LIMIT)
    .map((b) => option(b.name, b.name, b.description || undefined));
  const picked = options.find((o) => o.value === form.bundle?.name);
  const blocks: KnownBlock[] = [
    {
      type: 'input',
      block_id: RequestIds.bundleBlock,
      optional: true,
      dispatch_action: true,
      label: plain('Bundle'),
      hint: plain('A named set of resources with its own scope and duration; its parts go to their own approvers.'),
      element: {
        type: 'static_select',
        action_id: RequestIds.bundleAction,
        placeholder: plain('Pick a bundle (optional)', 150),
        options,
        ...(picked ? { initial_option: picked } : {}),
      },
    },
  ];
  const leftOut = form.bundle?.leftOut ?? [];
  if (leftOut.length)
    blocks.push(
      context(
        `:information_source: You cannot request ${leftOut.map((n) => code(userText(n, 64))).join(', ')} of this bundle: ${leftOut.length === 1 ? 'it is' : 'they are'} left out.`,
      ),
    );
  return blocks;
}

/**
 * The request form. `shown` is the duration field of the form it replaces, when a pick of resources
 * redraws it (listeners.ts); the resources, justification and other fields keep their ids, so Slack keeps
 * what the person entered.
 */
export function buildRequestModal(form: RequestForm, shown?: ShownDuration): ModalView {
  const preselected = form.requestable.filter((r) => form.preselected.includes(r.resource.name)).map(resourceOption);
  const useExternal = form.requestable.length > STATIC_OPTION_LIMIT;
  const durations = form.durations;
  // A bundle just picked: its parts replace the picks and its duration is chosen (fields drawn afresh).
  const fresh = form.bundle?.fresh === true;
  const resourcesBlockId = fresh
    ? bumped(RequestIds.resourcesBlock, shown?.resourcesBlockId)
    : (shown?.resourcesBlockId ?? RequestIds.resourcesBlock);
  // The person's pick while offered; else one hour when offered, the longest offered below it, or the shortest.
  const initialDuration =
    fresh && form.bundle?.durationMinutes != null && durations.includes(form.bundle.durationMinutes)
      ? form.bundle.durationMinutes
      : shown?.minutes != null && durations.includes(shown.minutes)
        ? shown.minutes
        : durations.includes(60)
          ? 60
          : (durations.filter((d) => d < 60).at(-1) ?? durations[0]!);

  const blocks: KnownBlock[] = [];
  if (form.unknownPreselect) {
    blocks.push(
      context(
        `:warning: ${code(userText(form.unknownPreselect, 64))} is not something you can request. Pick from the list below.`,
      ),
    );
  }
  // Only people some flow lets request on behalf of others see "For" (the submission checks it again).
  if (form.mayActForOthers) {
    blocks.push({
      type: 'input',
      block_id: RequestIds.forBlock,
      optional: true,
      // A pick redraws the form with what that person may get (redraw-on-pick.ts).
      dispatch_action: true,
      label: plain('For'),
      hint: plain('Leave empty to request for yourself. They get the access and its secrets; you get the notices.'),
      element: {
        type: 'users_select',
        action_id: RequestIds.forAction,
        placeholder: plain('Request on behalf of…', 150),
        ...(form.forUser ? { initial_user: form.forUser } : {}),
      },
    });
    if (form.forProblem) blocks.push(context(`:warning: ${form.forProblem}`));
  }
  blocks.push(...bundleBlocks(form));
  blocks.push(
    {
      type: 'input',
      block_id: resourcesBlockId,
      // Each pick redraws the form with the rules of the picked resources' flows (listeners.ts).
      dispatch_action: true,
      label: plain('Resources'),
      hint: plain(
        form.forUser
          ? 'Only resources you may request for this person are listed.'
          : 'Only resources an approval flow lets you request are listed.',
      ),
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
            // Slack refuses an empty options list; "For" someone with nothing to get shows one that is refused.
            options: form.requestable.length
              ? form.requestable.map(resourceOption)
              : [option('(nothing you may request for them)', '-')],
            ...(preselected.length ? { initial_options: preselected } : {}),
          },
    },
    {
      type: 'input',
      block_id: nextDurationBlockId(durations, shown, fresh),
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
      hint: plain(justificationHint(form), 2000),
      element: {
        type: 'plain_text_input',
        action_id: RequestIds.justificationAction,
        multiline: true,
        max_length: MAX_JUSTIFICATION,
        placeholder: plain('e.g. INC-1234: investigate failed payments', 150),
      },
    },
  );
  // The picked resources' flows' own fields (redrawn on each pick, like the justification rule).
  blocks.push(...fieldInputs(form.fieldGroups));
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
  blocks.push(
    context(
      form.forUser
        ? `Approvers get a message in Slack. <@${form.forUser}> gets the access; you both get a DM when they decide.`
        : 'Approvers get a message in Slack. I will send you a DM when they decide.',
    ),
  );

  return {
    type: 'modal',
    callback_id: RequestIds.callback,
    title: plain('Request access', 24),
    submit: plain('Send request', 24),
    close: plain('Cancel', 24),
    blocks,
  };
}
