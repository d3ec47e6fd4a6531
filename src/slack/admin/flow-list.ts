import type { KnownBlock } from '@slack/types';
import type { FlowRow, ResourceRow } from '../../domain/catalog.js';
import type { UserGroup } from '../../services/ports.js';
import { formatDuration } from '../../domain/duration.js';
import { offeredDurations } from '../../domain/flow.js';
import { PROVIDER_NAMES } from '../../domain/group-source.js';
import { refLabel } from '../../domain/on-call.js';
import { AdminIds } from '../ids.js';
import { code, mention, truncate, userText } from '../mrkdwn.js';
import { context, option, section } from '../views.js';

/**
 * Where a synced resource comes from, and why it has no menu: it follows its group, and the next sync would
 * overwrite an edit made here (docs/configuration.md, group sources).
 */
function syncedLine(r: ResourceRow): string {
  if (r.managedBy !== 'sync' || !r.origin) return '';
  const type = r.provisioner?.type;
  const provider = type === 'okta' || type === 'entra' ? PROVIDER_NAMES[type] : 'identity-provider';
  return `\n:arrows_counterclockwise: synced from the ${provider} group ${userText(`“${r.origin.groupName}”`, 120)} by group source ${code(r.origin.source)}: read-only here (change the group in ${provider}; the next sync would overwrite an edit)`;
}

const list = (items: string[], max = 8) =>
  items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
const people = (users: string[], groups: string[], everyone = false) =>
  [everyone ? 'everyone' : '', list(users.map(mention)), list(groups.map((g) => `<!subteam^${g}>`))]
    .filter(Boolean)
    .join(' · ') || '_nobody_';

/**
 * What Slack's disabled user groups do to a flow: each one matches nobody, said next to the flow, and a
 * flow whose approvers were only disabled groups has nobody to decide: who can fix it, and where.
 */
export function disabledGroupLines(f: FlowRow, disabled: Record<string, UserGroup>): string[] {
  const handle = (id: string) => `@${userText(disabled[id]!.handle || disabled[id]!.name, 80)}`;
  const lines = [
    ...f.approverGroups
      .filter((g) => disabled[g])
      .map((g) => `:warning: Approver group ${handle(g)} is disabled in Slack: its members cannot approve.`),
    ...f.requesterGroups
      .filter((g) => disabled[g])
      .map((g) => `:warning: Requester group ${handle(g)} is disabled in Slack: its members cannot request.`),
  ];
  if (f.approverUsers.length === 0 && f.approverGroups.length > 0 && f.approverGroups.every((g) => disabled[g])) {
    const where = f.managedBy === 'file' ? 'change its approvers in ACCESS_CONFIG' : "edit the flow's approvers here";
    lines.push(
      `:rotating_light: *Nobody can approve this flow.* A Slack admin can enable ${f.approverGroups.map(handle).join(', ')} again, or an admin of this bot can ${where}.`,
    );
  }
  return lines;
}

/** One flow as an admin sees it, with its menu (or a note when the file owns it). */
export function flowBlock(f: FlowRow, disabled: Record<string, UserGroup> = {}): KnownBlock {
  const covers = [
    list(f.resourceNames.map(code)),
    f.resourceTags.length ? `tags ${list(f.resourceTags.map(code))}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  const rules = [
    `up to ${formatDuration(f.maxDurationMinutes)}`,
    f.durationChoices.length ? `choices ${offeredDurations(f).map(formatDuration).join('/')}` : '',
    f.approvalsRequired > 1 ? `${f.approvalsRequired} approvals` : '',
    f.allowSelfApproval ? 'self-approval allowed' : '',
    f.justification.pattern
      ? `justification matches ${code(f.justification.pattern)}`
      : f.justification.required
        ? ''
        : 'justification optional',
    f.justification.jira?.projects.length
      ? `open Jira ticket from ${list(f.justification.jira.projects.map(code))}`
      : '',
    f.identity?.requireLink ? 'requesters link their company identity' : '',
    f.identity?.stepUpMinutes
      ? `approvers sign in within ${formatDuration(f.identity.stepUpMinutes)}${f.identity.requireMfa ? ' with MFA' : ''}`
      : '',
    f.notifyChannel ? `approvers notified in <#${f.notifyChannel}>` : '',
    f.lifecycle?.autoApprove.length
      ? `auto-approval: ${list(
          f.lifecycle.autoApprove.map((r) => userText(r.name, 64)),
          4,
        )}`
      : '',
    f.lifecycle?.onCallApprovers?.length
      ? `on-call approvers: ${list(
          f.lifecycle.onCallApprovers.map((r) => userText(refLabel(r), 80)),
          3,
        )}`
      : '',
    f.lifecycle?.breakGlass ? `break-glass up to ${formatDuration(f.lifecycle.breakGlass.maxDurationMinutes)}` : '',
  ].filter(Boolean);
  const badge = [
    f.enabled ? '' : ':no_entry_sign: disabled',
    f.managedBy === 'file' ? ':page_facing_up: managed by ACCESS_CONFIG' : '',
  ]
    .filter(Boolean)
    .join(' · ');
  const text = truncate(
    [
      `*${userText(f.name, 64)}*${badge ? `  ${badge}` : ''}`,
      f.description ? userText(f.description, 300) : '',
      `Covers: ${covers}`,
      `Requesters: ${people(f.requesterUsers, f.requesterGroups, f.requesterEveryone)}`,
      `Approvers: ${people(f.approverUsers, f.approverGroups)}`,
      `Rules: ${rules.join(' · ')}`,
      ...disabledGroupLines(f, disabled),
    ]
      .filter(Boolean)
      .join('\n'),
    3000,
  );
  if (f.managedBy === 'file') return section(text);
  return {
    type: 'section',
    block_id: `flow.${f.id}`,
    text: { type: 'mrkdwn', text },
    accessory: {
      type: 'overflow',
      action_id: `${AdminIds.flowMenu}.${f.id}`,
      options: [
        option('Edit', `edit:${f.id}`),
        option(f.enabled ? 'Disable' : 'Enable', `${f.enabled ? 'disable' : 'enable'}:${f.id}`),
        option('Delete…', `delete:${f.id}`),
      ],
    },
  };
}

export function resourceBlock(r: ResourceRow): KnownBlock {
  const text = truncate(
    `*${code(r.name)}* _${r.type}_${r.tags.length ? ` · ${r.tags.map(code).join(' ')}` : ''}${r.managedBy === 'file' ? '  :page_facing_up: managed by ACCESS_CONFIG' : ''}${syncedLine(r)}${r.description ? `\n${userText(r.description, 300)}` : ''}`,
    3000,
  );
  if (r.managedBy === 'file' || r.managedBy === 'sync') return section(text);
  return {
    type: 'section',
    block_id: `resource.${r.id}`,
    text: { type: 'mrkdwn', text },
    accessory: {
      type: 'overflow',
      action_id: `${AdminIds.resourceMenu}.${r.id}`,
      options: [option('Edit', `edit:${r.id}`), option('Delete…', `delete:${r.id}`)],
    },
  };
}

export const fileNote = () =>
  context(
    'Rows marked :page_facing_up: come from the ACCESS_CONFIG file: change them there. `npm run config -- export` writes everything as such a file.',
  );
