import type { KnownBlock, ModalView } from '@slack/types';
import type { RequestDetails } from '../../domain/request.js';
import { durationChoices, formatDuration } from '../../domain/duration.js';
import { NO_OFFER, type TuningOffer } from '../../domain/resource.js';
import { ReviewIds } from '../ids.js';
import { code, mention, quote, userText } from '../mrkdwn.js';
import { divider, durationOption, option, plain, section } from '../views.js';
import { ticketBlocks } from './ticket-block.js';
import { cappedOffer, earlierStagesKept, keptChoice } from './stage-cap.js';
import { tuningInputs } from './tuning-inputs.js';
import { stageLine } from './stage-text.js';
import { describeGrant } from '../../domain/policy.js';

/** Ids only: the request, and for a staged request the stage it was opened at (parseStageRef). */
const reviewRef = (r: RequestDetails) =>
  JSON.stringify({ requestId: r.id, ...(r.stageNames.length ? { stage: r.stageIndex } : {}) });

/** Approve opens this: prefilled from the request and the resources' defaults; the approver decides what is granted. */
export function buildTuningModal(r: RequestDetails, defaults: Record<string, TuningOffer> = {}): ModalView {
  // A later approval stage sees at most what the earlier stages kept (stage-cap.ts).
  const kept = earlierStagesKept(r);
  // A bundle part asks for a scope (domain/bundle.ts): the modal starts from it and offers nothing wider.
  const asked = r.resources.flatMap((x) => x.requested ?? []);
  const grantOf = (name: string) =>
    kept?.resources.find((g) => g.resource === name) ?? asked.find((g) => g.resource === name);
  const resources = kept ? r.resources.filter((x) => grantOf(x.name)) : r.resources;
  const maxMinutes = kept ? Math.min(r.durationMinutes, kept.durationMinutes) : r.durationMinutes;
  const resourceOptions = resources.map((x) => option(x.name, x.name, x.type));
  const current = r.approvals.filter((a) => (a.stageIndex ?? 0) === r.stageIndex);
  const stage = stageLine(r);
  const progress = [
    ...(asked.length && !kept
      ? [
          section(
            `Asks for ${asked.map((g) => userText(describeGrant(g), 200)).join('; ')}. You can narrow it, not widen it.`,
          ),
        ]
      : []),
    ...(stage
      ? [
          section(
            `${stage}${kept ? `\nEarlier stages kept: ${kept.resources.map((g) => userText(describeGrant(g), 200)).join('; ')}, for ${formatDuration(kept.durationMinutes)}. You can narrow it, not widen it.` : ''}`,
          ),
        ]
      : []),
    ...(r.approvalsRequired > 1
      ? [
          section(
            `This ${stage ? 'stage' : 'flow'} needs *${r.approvalsRequired} approvals*; ${current.length} so far${current.length ? ` (${current.map((a) => mention(a.approverId)).join(', ')})` : ''}. The grant takes the narrowest tuning of all approvers.`,
          ),
        ]
      : []),
  ];
  if (r.kind === 'extension') {
    // An extension only adds time: what is granted stays as it was approved.
    return {
      type: 'modal',
      callback_id: ReviewIds.tuningCallback,
      private_metadata: reviewRef(r),
      title: plain('Approve extension', 24),
      submit: plain('Approve', 24),
      close: plain('Cancel', 24),
      blocks: [
        ...progress,
        section(
          `${mention(r.requesterId)} asks to extend ${code(r.extendsRequestId ?? '')} (${r.resources.map((x) => code(x.name)).join(', ')}) by *${formatDuration(r.durationMinutes)}*.`,
        ),
        section(quote(userText(r.justification, 2800))),
        {
          type: 'input',
          block_id: ReviewIds.durationBlock,
          label: plain('Add'),
          hint: plain('At most what was asked. The granted resources and limits stay as they are.'),
          element: {
            type: 'static_select',
            action_id: ReviewIds.durationAction,
            options: durationChoices(r.durationMinutes).map(durationOption),
            initial_option: durationOption(r.durationMinutes),
          },
        },
      ],
    };
  }
  const blocks: KnownBlock[] = [
    ...progress,
    section(
      `${mention(r.requesterId)} asks for ${r.resources.map((x) => code(x.name)).join(', ')} for *${formatDuration(r.durationMinutes)}*.`,
    ),
    section(quote(userText(r.justification, 2800))),
    ...ticketBlocks(r.ticket),
    {
      type: 'input',
      block_id: ReviewIds.durationBlock,
      label: plain('Grant for'),
      hint: plain(kept ? 'At most what the earlier stages kept.' : 'At most what was requested.'),
      element: {
        type: 'static_select',
        action_id: ReviewIds.durationAction,
        options: durationChoices(maxMinutes).map(durationOption),
        initial_option: durationOption(maxMinutes),
      },
    },
    {
      type: 'input',
      block_id: ReviewIds.includeBlock,
      optional: true,
      label: plain('Resources to grant'),
      hint: plain('Untick a resource to leave it out of the grant.'),
      element: {
        type: 'checkboxes',
        action_id: ReviewIds.includeAction,
        options: resourceOptions,
        initial_options: resourceOptions,
      },
    },
    divider(),
    ...resources.flatMap((x) =>
      tuningInputs(x, cappedOffer(defaults[x.name] ?? NO_OFFER, grantOf(x.name)), keptChoice(grantOf(x.name))),
    ),
  ];
  return {
    type: 'modal',
    callback_id: ReviewIds.tuningCallback,
    private_metadata: reviewRef(r),
    title: plain('Approve access', 24),
    submit: plain('Approve', 24),
    close: plain('Cancel', 24),
    blocks,
  };
}

export function buildDenyModal(r: RequestDetails): ModalView {
  return {
    type: 'modal',
    callback_id: ReviewIds.denyCallback,
    private_metadata: reviewRef(r),
    title: plain('Deny access', 24),
    submit: plain('Deny', 24),
    close: plain('Cancel', 24),
    blocks: [
      section(
        `Deny ${mention(r.requesterId)}'s request ${code(r.id)} for ${r.resources.map((x) => code(x.name)).join(', ')}?`,
      ),
      {
        type: 'input',
        block_id: ReviewIds.reasonBlock,
        optional: true,
        label: plain('Reason (the requester sees it)'),
        element: { type: 'plain_text_input', action_id: ReviewIds.reasonAction, multiline: true, max_length: 500 },
      },
    ],
  };
}
