/**
 * The tuning inputs of the approve modal, one group per resource type: what an approver may narrow
 * (logins, access level, namespaces, roles, permission). Apart from the modal's assembly in
 * tuning-modal.ts because a new resource type changes only this file; read-tuning.ts reads back
 * the same block ids.
 */
import type { KnownBlock } from '@slack/types';
import type { RequestedResource } from '../../domain/request.js';
import { preselectedRoles, type TuningOffer } from '../../domain/resource.js';
import { tuningAction, tuningBlock } from '../ids.js';
import { code } from '../mrkdwn.js';
import { option, plain, section } from '../views.js';
import { upTo } from './stage-cap.js';

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
export function tuningInputs(r: RequestedResource, d: TuningOffer, kept?: string): KnownBlock[] {
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
