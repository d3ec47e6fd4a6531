import type { KnownBlock, PlainTextOption } from '@slack/types';
import { parse as parseYaml, stringify } from 'yaml';
import { describeIssuePath } from '../../domain/access-file.js';
import { formatDuration } from '../../domain/duration.js';
import { DEFAULT_LIFECYCLE, type AutoApproveRule, type FlowLifecycle } from '../../domain/flow.js';
import {
  autoApproveFromFile,
  autoApproveToFile,
  AutoApproveListSchema,
  OnCallFileSchema,
} from '../../domain/lifecycle-file.js';
import { refsFromFile, refsToFile, type OnCallRef } from '../../domain/on-call.js';
import type { UserGroup } from '../../services/ports.js';
import { AdminIds, FIELD, FlowForm } from '../ids.js';
import { selectedValue, selectedValues, textValue, type StateValues } from '../state.js';
import { header, option, plain } from '../views.js';
import { inputBlock } from './flow-inputs.js';
import { BREAK_GLASS_CHANNEL_HINT } from '../delivery-problem-text.js';

/**
 * The lifecycle part of the App Home flow editor: reminders, escalation, how long a request may wait,
 * auto-approval rules (YAML, validated with the file's own schema) and break-glass. Every input is
 * prefilled from the flow, so saving a flow never loses what it had.
 */

const NEVER = 'never';
const REMIND_CHOICES = [15, 30, 60, 120, 240, 480, 720, 1440, 2880];
const TTL_CHOICES = [60, 240, 480, 720, 1440, 2880, 4320, 10080];
const BREAK_GLASS_CHOICES = [15, 30, 60, 120, 240, 480, 720, 1440];

const durationOpt = (m: number) => option(formatDuration(m), String(m));
const neverOpt = option('Never', NEVER);
/** The standard choices plus the flow's own value, so an unusual value from the file still shows. */
const choices = (list: number[], current: number | null | undefined) =>
  [...new Set([...list, ...(current ? [current] : [])])].sort((a, b) => a - b).map(durationOpt);

const EXAMPLE =
  '- name: business-hours\n  resources: { tags: [staging] }\n  max_duration: 1h\n  weekdays: mon-fri\n  hours: "09:00-17:00"\n  time_zone: Europe/Berlin\n- name: on-call\n  max_duration: 2h\n  on_call: { pagerduty: { schedules: [P123ABC] } }';
const ON_CALL_EXAMPLE = 'pagerduty: { escalation_policies: [PXYZ123] }\nopsgenie: { schedules: [ops-primary] }';

/** The YAML an admin edits for the flow's on-call approvers (empty when there are none). */
export const onCallText = (refs: readonly OnCallRef[] | undefined) => {
  const file = refsToFile(refs);
  return file ? stringify(file, { lineWidth: 0 }) : '';
};

/** The on-call approvers YAML as references, or the sentence to show under the field. */
export function readOnCall(text: string): { refs: OnCallRef[] } | { error: string } {
  if (!text.trim()) return { refs: [] };
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (e) {
    return { error: `Not valid YAML: ${(e as Error).message.split('\n')[0]}` };
  }
  if (parsed === null || parsed === undefined) return { refs: [] };
  const result = OnCallFileSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    return {
      error: `on_call${describeIssuePath(issue.path)
        .replace(/^(?=[^[])/, '.')
        .replace(/^on_call\.$/, 'on_call')}: ${issue.message}`,
    };
  }
  return { refs: refsFromFile(result.data) };
}

const input = (block: string, label: string, element: Record<string, unknown>, hint?: string, optional = true) =>
  inputBlock(block, label, element, { optional, hint });

const groupPicker = (
  chosen: string[],
  groupOption: (g: UserGroup) => PlainTextOption,
  label: (id: string) => UserGroup,
) => ({
  type: 'multi_external_select',
  action_id: AdminIds.pickGroups,
  min_query_length: 0,
  ...(chosen.length ? { initial_options: chosen.map((g) => groupOption(label(g))) } : {}),
});

/** The YAML an admin edits for the flow's auto-approval rules (empty when there are none). */
export const autoApproveText = (rules: readonly AutoApproveRule[]) =>
  rules.length ? stringify(autoApproveToFile(rules), { lineWidth: 0 }) : '';

export function lifecycleBlocks(
  lifecycle: FlowLifecycle | undefined,
  groupOption: (g: UserGroup) => PlainTextOption,
  label: (id: string) => UserGroup,
): KnownBlock[] {
  const l = lifecycle ?? DEFAULT_LIFECYCLE;
  const b = l.breakGlass;
  const minutesSelect = (list: number[], current: number | null) => {
    const options = [neverOpt, ...choices(list, current)];
    return { type: 'static_select', options, initial_option: current === null ? neverOpt : durationOpt(current) };
  };
  const auto = autoApproveText(l.autoApprove);
  const onCall = onCallText(l.onCallApprovers);
  return [
    header('While a request waits'),
    input(FlowForm.remindAfter, 'Remind approvers after', minutesSelect(REMIND_CHOICES, l.remindAfterMinutes)),
    input(
      FlowForm.escalateAfter,
      'Escalate after',
      minutesSelect(REMIND_CHOICES, l.escalateAfterMinutes),
      'Tell the people below when a request still waits this long.',
    ),
    input(FlowForm.escalationUsers, 'Escalate to users', {
      type: 'multi_users_select',
      ...(l.escalationUsers.length ? { initial_users: l.escalationUsers } : {}),
    }),
    input(FlowForm.escalationGroups, 'Escalate to groups', groupPicker(l.escalationGroups, groupOption, label)),
    input(
      FlowForm.pendingTtl,
      'A request expires unanswered after',
      {
        type: 'static_select',
        options: choices(TTL_CHOICES, l.pendingTtlMinutes),
        initial_option: durationOpt(l.pendingTtlMinutes),
      },
      undefined,
      false,
    ),
    header('Auto-approval'),
    input(
      FlowForm.autoApprove,
      'Auto-approval rules (YAML)',
      {
        type: 'plain_text_input',
        multiline: true,
        max_length: 3000,
        ...(auto ? { initial_value: auto } : {}),
        placeholder: plain('- name: business-hours …', 150),
      },
      `Requests a rule covers are granted without a human (read-only; Kubernetes and SSH only with default namespaces or login users) and the approvers are told. Leave empty for none. Example:\n${EXAMPLE}`,
    ),
    header('On call'),
    input(
      FlowForm.onCallApprovers,
      'On-call approvers (YAML)',
      {
        type: 'plain_text_input',
        multiline: true,
        max_length: 1000,
        ...(onCall ? { initial_value: onCall } : {}),
        placeholder: plain('pagerduty: { escalation_policies: [PXYZ123] }', 150),
      },
      `Whoever is on call there when a request arrives is asked too (by the e-mail of their Slack account); escalation asks the next level. Leave empty for none. Example:\n${ON_CALL_EXAMPLE}`,
    ),
    header('Break-glass'),
    input(
      FlowForm.breakGlassUsers,
      'Who may break the glass: users',
      { type: 'multi_users_select', ...(b?.users.length ? { initial_users: b.users } : {}) },
      'They get access at once with /access break-glass; the approvers are alerted and must review it afterwards.',
    ),
    input(
      FlowForm.breakGlassGroups,
      'Who may break the glass: groups',
      groupPicker(b?.groups ?? [], groupOption, label),
    ),
    input(FlowForm.breakGlassMax, 'Break-glass maximum duration', {
      type: 'static_select',
      options: choices(BREAK_GLASS_CHOICES, b?.maxDurationMinutes),
      initial_option: durationOpt(b?.maxDurationMinutes ?? 60),
    }),
    input(
      FlowForm.breakGlassChannel,
      'Announce break-glass in a channel',
      {
        type: 'conversations_select',
        filter: { include: ['public', 'private'], exclude_bot_users: true },
        ...(b?.channel ? { initial_conversation: b.channel } : {}),
      },
      BREAK_GLASS_CHANNEL_HINT,
    ),
  ];
}

const minutes = (v: StateValues, block: string): number | null => {
  const raw = selectedValue(v, block, FIELD);
  return raw === null || raw === NEVER ? null : /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
};
const users = (v: StateValues, block: string): string[] => {
  const raw = (v?.[block]?.[FIELD] as { selected_users?: unknown } | undefined)?.selected_users;
  return Array.isArray(raw) ? raw.filter((u): u is string => typeof u === 'string').slice(0, 500) : [];
};
const conversation = (v: StateValues, block: string): string | null => {
  const raw = (v?.[block]?.[FIELD] as { selected_conversation?: unknown } | undefined)?.selected_conversation;
  return typeof raw === 'string' ? raw : null;
};

/** The YAML text as rules, or the sentence to show under the field (with the path of the wrong entry). */
export function readAutoApprove(text: string): { rules: AutoApproveRule[] } | { error: string } {
  if (!text.trim()) return { rules: [] };
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (e) {
    return { error: `Not valid YAML: ${(e as Error).message.split('\n')[0]}` };
  }
  if (parsed === null || parsed === undefined) return { rules: [] };
  if (!Array.isArray(parsed)) return { error: 'Write a list of rules, each starting with "- name: …".' };
  const result = AutoApproveListSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    return { error: `auto_approve${describeIssuePath(issue.path).replace(/^(?=[^[])/, '.')}: ${issue.message}` };
  }
  return { rules: autoApproveFromFile(result.data) };
}

/** The lifecycle inputs as a FlowLifecycle (the admin service validates it), plus a YAML problem if any. */
export function readLifecycleForm(v: StateValues): {
  lifecycle: FlowLifecycle;
  autoApproveError: string | null;
  onCallError: string | null;
} {
  const auto = readAutoApprove(textValue(v, FlowForm.autoApprove, FIELD));
  const onCall = readOnCall(textValue(v, FlowForm.onCallApprovers, FIELD));
  const bgUsers = users(v, FlowForm.breakGlassUsers);
  const bgGroups = selectedValues(v, FlowForm.breakGlassGroups, AdminIds.pickGroups);
  const ttl = minutes(v, FlowForm.pendingTtl);
  return {
    lifecycle: {
      remindAfterMinutes: minutes(v, FlowForm.remindAfter),
      escalateAfterMinutes: minutes(v, FlowForm.escalateAfter),
      escalationUsers: users(v, FlowForm.escalationUsers),
      escalationGroups: selectedValues(v, FlowForm.escalationGroups, AdminIds.pickGroups),
      pendingTtlMinutes: ttl ?? NaN,
      autoApprove: 'rules' in auto ? auto.rules : [],
      ...('refs' in onCall && onCall.refs.length ? { onCallApprovers: onCall.refs } : {}),
      // No one designated means no break-glass: the duration and channel inputs alone mean nothing.
      breakGlass:
        bgUsers.length + bgGroups.length > 0
          ? {
              users: bgUsers,
              groups: bgGroups,
              maxDurationMinutes: minutes(v, FlowForm.breakGlassMax) ?? 60,
              channel: conversation(v, FlowForm.breakGlassChannel),
            }
          : null,
    },
    autoApproveError: 'error' in auto ? auto.error : null,
    onCallError: 'error' in onCall ? onCall.error : null,
  };
}
