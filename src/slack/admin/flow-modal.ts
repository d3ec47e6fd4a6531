import type { KnownBlock, ModalView } from '@slack/types';
import { formatDuration, STANDARD_DURATIONS } from '../../domain/duration.js';
import type { Flow } from '../../domain/flow.js';
import type { UserGroup } from '../../services/ports.js';
import { AdminIds, FlowForm } from '../ids.js';
import { context, option, plain } from '../views.js';
import { initialOptions, inputBlock } from './flow-inputs.js';
import { CHANNEL_HINT } from '../delivery-problem-text.js';
import { identityInputs } from './flow-identity-form.js';
import { managerInputs } from './flow-manager-form.js';
import { lifecycleBlocks } from './flow-lifecycle-form.js';
import { reviewBlocks } from './flow-review-form.js';
import { stagesBlocks } from './flow-stages-form.js';
import { fieldsBlocks } from './flow-fields-form.js';
import { onBehalfBlocks } from './flow-on-behalf-form.js';

/** Maxima an admin can pick: the request form's choices plus longer ones. */
export const MAX_DURATION_CHOICES = [...STANDARD_DURATIONS, 20160, 43200];

export const groupOption = (g: UserGroup) => option(`@${g.handle || g.name}`, g.id, g.name);
const durationOpt = (m: number) => option(formatDuration(m), String(m));

const input = inputBlock;

/** Said in the editor on workspaces without user groups (usergroups.* answer plan_upgrade_required). */
export const NO_USER_GROUPS = 'User groups need a paid Slack plan; pick people instead.';

/** The editor's user-group pickers: left out where the workspace has no user groups. */
export const GROUP_BLOCKS = [
  FlowForm.requesterGroups,
  FlowForm.approverGroups,
  FlowForm.managerFallbackGroups,
  FlowForm.escalationGroups,
  FlowForm.breakGlassGroups,
  FlowForm.reviewerGroups,
  FlowForm.onBehalfGroups,
  FlowForm.onBehalfForGroups,
] as const;

/**
 * Add or edit an approval flow. `groups` labels the groups already chosen; null when the workspace
 * has no user groups (Slack Free): the group pickers go, the people pickers stay, and the modal says why.
 */
export function buildFlowModal(flow: Flow | undefined, groups: UserGroup[] | null): ModalView {
  const f = flow;
  const label = (id: string) => groups?.find((g) => g.id === id) ?? { id, handle: id, name: id };
  const maxChoices = [...new Set([...MAX_DURATION_CHOICES, f?.maxDurationMinutes ?? 480])].sort((a, b) => a - b);
  const choiceList = [...new Set([...STANDARD_DURATIONS, ...(f?.durationChoices ?? [])])].sort((a, b) => a - b);
  const options = [
    option('Allow self-approval', 'self_approval', 'An approver may approve their own request'),
    option('Justification required', 'justification_required'),
    option('Enabled', 'enabled', 'Disabled flows take no new requests'),
  ];
  const checked = options.filter((o) =>
    o.value === 'self_approval'
      ? f?.allowSelfApproval
      : o.value === 'justification_required'
        ? (f?.justification.required ?? true)
        : (f?.enabled ?? true),
  );
  const blocks: KnownBlock[] = [
    input(
      FlowForm.name,
      'Name',
      {
        type: 'plain_text_input',
        max_length: 64,
        ...(f ? { initial_value: f.name } : {}),
        placeholder: plain('support-prod-db', 150),
      },
      { hint: 'Lower-case letters, digits, - _ .' },
    ),
    input(
      FlowForm.description,
      'Description',
      {
        type: 'plain_text_input',
        multiline: true,
        max_length: 500,
        ...(f?.description ? { initial_value: f.description } : {}),
      },
      { optional: true },
    ),
    input(
      FlowForm.resources,
      'Resources by name',
      {
        type: 'multi_external_select',
        action_id: AdminIds.pickResources,
        min_query_length: 0,
        ...initialOptions((f?.resourceNames ?? []).map((n) => option(n, n))),
      },
      { optional: true },
    ),
    input(
      FlowForm.tags,
      'Resources by tag',
      {
        type: 'multi_external_select',
        action_id: AdminIds.pickTags,
        min_query_length: 0,
        ...initialOptions((f?.resourceTags ?? []).map((t) => option(t, t))),
      },
      { optional: true, hint: 'Every resource with one of these tags. Type a new tag to add it.' },
    ),
    input(
      FlowForm.everyone,
      'Requesters',
      {
        type: 'checkboxes',
        options: [option('Everyone in the workspace', 'everyone', 'Guests never')],
        ...(f?.requesterEveryone
          ? { initial_options: [option('Everyone in the workspace', 'everyone', 'Guests never')] }
          : {}),
      },
      { optional: true },
    ),
    input(
      FlowForm.requesterUsers,
      'Requester users',
      { type: 'multi_users_select', ...(f?.requesterUsers.length ? { initial_users: f.requesterUsers } : {}) },
      { optional: true },
    ),
    input(
      FlowForm.requesterGroups,
      'Requester groups',
      {
        type: 'multi_external_select',
        action_id: AdminIds.pickGroups,
        min_query_length: 0,
        ...initialOptions((f?.requesterGroups ?? []).map((g) => groupOption(label(g)))),
      },
      { optional: true },
    ),
    input(
      FlowForm.approverUsers,
      'Approver users',
      { type: 'multi_users_select', ...(f?.approverUsers.length ? { initial_users: f.approverUsers } : {}) },
      { optional: true },
    ),
    input(
      FlowForm.approverGroups,
      'Approver groups',
      {
        type: 'multi_external_select',
        action_id: AdminIds.pickGroups,
        min_query_length: 0,
        ...initialOptions((f?.approverGroups ?? []).map((g) => groupOption(label(g)))),
      },
      { optional: true },
    ),
    ...managerInputs(f, groupOption, label),
    input(FlowForm.maxDuration, 'Maximum duration', {
      type: 'static_select',
      options: maxChoices.map(durationOpt),
      initial_option: durationOpt(f?.maxDurationMinutes ?? 480),
    }),
    input(
      FlowForm.choices,
      'Durations offered',
      {
        type: 'multi_static_select',
        options: choiceList.map(durationOpt),
        ...initialOptions((f?.durationChoices ?? []).map(durationOpt)),
      },
      { optional: true, hint: 'Leave empty to offer the usual ones up to the maximum.' },
    ),
    input(
      FlowForm.approvals,
      'Approvals required',
      {
        type: 'number_input',
        is_decimal_allowed: false,
        min_value: '1',
        max_value: '10',
        initial_value: String(f?.approvalsRequired ?? 1),
      },
      { hint: 'N different approvers must approve; the narrowest tuning wins.' },
    ),
    input(FlowForm.options, 'Rules', { type: 'checkboxes', options, ...initialOptions(checked) }, { optional: true }),
    input(
      FlowForm.minLength,
      'Justification minimum length',
      {
        type: 'number_input',
        is_decimal_allowed: false,
        min_value: '0',
        max_value: '2000',
        ...(f?.justification.minLength ? { initial_value: String(f.justification.minLength) } : {}),
      },
      { optional: true },
    ),
    input(
      FlowForm.pattern,
      'Justification pattern',
      {
        type: 'plain_text_input',
        max_length: 200,
        placeholder: plain('^[A-Z]+-\\d+', 150),
        ...(f?.justification.pattern ? { initial_value: f.justification.pattern } : {}),
      },
      {
        optional: true,
        hint: 'A regular expression (RE2: no backreferences or lookaround) the justification must match, e.g. a ticket id.',
      },
    ),
    input(
      FlowForm.jiraProjects,
      'Require an open Jira ticket from',
      {
        type: 'plain_text_input',
        max_length: 200,
        placeholder: plain('INC, OPS', 150),
        ...(f?.justification.jira?.projects.length ? { initial_value: f.justification.jira.projects.join(', ') } : {}),
      },
      {
        optional: true,
        hint: 'Jira project keys. The justification must name a ticket of one of them that exists and is not done.',
      },
    ),
    input(
      FlowForm.hint,
      'Hint shown to requesters',
      {
        type: 'plain_text_input',
        max_length: 150,
        ...(f?.justification.hint ? { initial_value: f.justification.hint } : {}),
      },
      { optional: true },
    ),
    ...identityInputs(f),
    input(
      FlowForm.channel,
      'Notify approvers in a channel',
      {
        type: 'conversations_select',
        filter: { include: ['public', 'private'], exclude_bot_users: true },
        ...(f?.notifyChannel ? { initial_conversation: f.notifyChannel } : {}),
      },
      { optional: true, hint: CHANNEL_HINT },
    ),
    ...lifecycleBlocks(f?.lifecycle, groupOption, label),
    ...reviewBlocks(f?.review, groupOption, label),
    ...onBehalfBlocks(f?.onBehalf, groupOption, label),
    ...stagesBlocks(f?.stages),
    ...fieldsBlocks(f?.fields),
  ];
  if (groups === null) {
    const hidden = new Set<string>(GROUP_BLOCKS);
    const kept = f
      ? [
          ...f.requesterGroups,
          ...f.approverGroups,
          ...f.lifecycle.escalationGroups,
          ...(f.lifecycle.breakGlass?.groups ?? []),
          ...(f.review?.reviewerGroups ?? []),
          ...(f.onBehalf?.requesterGroups ?? []),
          ...(f.onBehalf?.forGroups ?? []),
        ]
      : [];
    const note =
      kept.length > 0
        ? `${NO_USER_GROUPS} The groups this flow names stay saved, but match no one on this plan.`
        : NO_USER_GROUPS;
    const at = blocks.findIndex((b) => b.block_id === FlowForm.everyone);
    blocks.splice(
      0,
      blocks.length,
      ...blocks.slice(0, at),
      context(`:information_source: ${note}`),
      ...blocks.slice(at).filter((b) => !hidden.has(b.block_id ?? '')),
    );
  }
  return {
    type: 'modal',
    callback_id: AdminIds.flowCallback,
    private_metadata: JSON.stringify({ flowId: f?.id ?? null }),
    title: plain(f ? 'Edit flow' : 'New approval flow', 24),
    submit: plain('Save', 24),
    close: plain('Cancel', 24),
    blocks,
  };
}
