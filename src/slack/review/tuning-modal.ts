import type { KnownBlock, ModalView } from '@slack/types';
import type { RequestDetails, RequestedResource } from '../../domain/request.js';
import { durationChoices, formatDuration } from '../../domain/duration.js';
import { NO_OFFER, preselectedRoles, type TuningOffer } from '../../domain/resource.js';
import { ReviewIds, tuningAction, tuningBlock } from '../ids.js';
import { code, mention, quote, userText } from '../mrkdwn.js';
import { divider, durationOption, option, plain, section } from '../views.js';
import { ticketBlocks } from './ticket-block.js';
import { cappedOffer, earlierStagesKept, keptChoice, upTo } from './stage-cap.js';
import { stageLine } from './stage-text.js';
import { describeGrant } from '../../domain/policy.js';

const textInput = (block: string, label: string, hint: string, placeholder: string, initial: string[]): KnownBlock => ({
  type: 'input',
  block_id: block,
  optional: true, // a dropped resource needs no tuning; the server checks the kept ones
  label: plain(label, 2000),
  hint: plain(hint, 2000),
  element: {
    type: 'plain_text_input',
    action_id: tuningAction('text'),
    max_length: 500,
    placeholder: plain(placeholder, 150),
    ...(initial.length > 0 ? { initial_value: initial.join(', ').slice(0, 500) } : {}),
  },
});

const radio = (block: string, label: string, choices: [string, string][], initial: string): KnownBlock => {
  const options = choices.map(([value, text]) => option(text, value));
  return {
    type: 'input',
    block_id: block,
    label: plain(label, 2000),
    element: {
      type: 'radio_buttons',
      action_id: tuningAction('choice'),
      options,
      initial_option: options.find((o) => o.value === initial)!,
    },
  };
};

/**
 * The field is marked optional so that an unticked resource needs no tuning (Slack has no "required if");
 * the hint says so, since a kept resource without it is refused.
 */
const neededUnlessDropped = (r: RequestedResource) => `Leave it empty only if you untick ${r.name} above.`;

/**
 * Cloud roles: checkboxes while Slack allows them (10 options), a multi-select beyond. Only the roles the
 * resource's provisioner allows are offered; the review service refuses anything else. The requester
 * asks for the resource, not for roles: the pre-selection is the resource's default (what auto-approval
 * and break-glass grant), and the approver may pick any role the resource allows, as they may pick
 * read-write for a database or admin for a namespace.
 */
function roleInput(r: RequestedResource, d: TuningOffer): KnownBlock[] {
  if (d.roleChoices.length === 0)
    return [
      section(
        `:warning: No roles are configured for ${code(r.name)}; untick it or ask an admin to add roles to its provisioner settings.`,
      ),
    ];
  const options = d.roleChoices.slice(0, 100).map((role) => option(role, role));
  const preselected = preselectedRoles(d);
  const initial = options.filter((o) => preselected.includes(o.value ?? ''));
  const element =
    options.length <= 10
      ? { type: 'checkboxes' as const, action_id: tuningAction('roles'), options, initial_options: initial }
      : {
          type: 'multi_static_select' as const,
          action_id: tuningAction('roles'),
          options,
          initial_options: initial,
          placeholder: plain('Pick roles', 150),
        };
  return [
    {
      type: 'input',
      block_id: tuningBlock(r.name, 'roles'),
      optional: true,
      label: plain('Roles'),
      hint: plain(
        `Pre-selected: ${preselected.join(', ')}, the resource's default. Ticking more widens the grant, unticking narrows it. ${neededUnlessDropped(r)}`,
        2000,
      ),
      element,
    },
  ];
}

/**
 * A GitHub repository: one permission, and only those the resource's provisioner allows (least first),
 * so an approver can never grant more than the operator opened; the resource's default is pre-selected
 * (else the least allowed), and picking a lower one narrows the grant.
 */
function permissionInput(r: RequestedResource, d: TuningOffer): KnownBlock[] {
  if (d.roleChoices.length === 0)
    return [
      section(
        `:warning: No permissions are configured for ${code(r.name)}; untick it or ask an admin to set its provisioner's permissions.`,
      ),
    ];
  const initial = preselectedRoles(d)[0]!;
  return [
    radio(
      tuningBlock(r.name, 'permission'),
      'Permission',
      d.roleChoices.map((p) => [p, p]),
      initial,
    ),
    section(`_Only the permissions ${code(r.name)} allows are offered; ${initial} is its default._`),
  ];
}

/** The limits an approver may set, per resource type. */
function tuningInputs(r: RequestedResource, d: TuningOffer, kept?: string): KnownBlock[] {
  const title = section(`*${code(r.name)}* _(${r.type})_`);
  switch (r.type) {
    case 'ssh':
      return [
        title,
        textInput(
          tuningBlock(r.name, 'login'),
          'Login user(s)',
          `The Unix users the requester may log in as, separated by commas. ${neededUnlessDropped(r)}`,
          'ubuntu, deploy',
          d.loginUsers,
        ),
      ];
    case 'database':
      return [
        title,
        radio(
          tuningBlock(r.name, 'access'),
          'Access',
          upTo(
            [
              ['read-only', 'Read-only'],
              ['read-write', 'Read-write'],
            ],
            kept,
          ),
          'read-only',
        ),
        textInput(
          tuningBlock(r.name, 'databases'),
          'Databases',
          'Leave empty for all databases on this server.',
          'app, reporting',
          d.databases,
        ),
      ];
    case 'kubernetes':
      return [
        title,
        radio(
          tuningBlock(r.name, 'role'),
          'Role',
          upTo(
            [
              ['view', 'view (read-only)'],
              ['edit', 'edit'],
              ['admin', 'admin (namespace admin)'],
            ],
            kept,
          ),
          'view',
        ),
        textInput(
          tuningBlock(r.name, 'namespaces'),
          'Namespaces',
          `The namespaces the role applies in, separated by commas. ${neededUnlessDropped(r)}`,
          'payments, default',
          d.namespaces,
        ),
      ];
    case 'http':
      return [
        title,
        radio(
          tuningBlock(r.name, 'access'),
          'Access',
          upTo(
            [
              ['read-only', 'Read-only'],
              ['full', 'Full'],
            ],
            kept,
          ),
          'read-only',
        ),
      ];
    case 'cloud':
      return [title, ...roleInput(r, d)];
    case 'repository':
      return [title, ...permissionInput(r, d)];
    case 'group':
    case 'generic':
      return [];
  }
}

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
