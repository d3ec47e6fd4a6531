import type { KnownBlock, PlainTextOption } from '@slack/types';
import type { OnBehalfRule } from '../../domain/on-behalf.js';
import type { UserGroup } from '../../services/ports.js';
import { AdminIds, FIELD, FlowForm } from '../ids.js';
import { selectedValue, selectedValues, type StateValues } from '../state.js';
import { header, option } from '../views.js';
import { inputBlock } from './flow-inputs.js';

/**
 * The "request on behalf" part of the App Home flow editor (domain/on-behalf.ts): who may ask for someone
 * else, and for whom (named people and groups, or anyone the flow lets request). Nobody picked: no rule.
 */
const ANYONE = 'anyone_in_flow';
const NAMED = 'named';
const anyoneOpt = option('Anyone who may request through this flow', ANYONE);
const namedOpt = option('Only the people and groups below', NAMED);

const input = (block: string, label: string, element: Record<string, unknown>, hint?: string) =>
  inputBlock(block, label, element, { optional: true, hint });

const groupPicker = (
  block: string,
  label: string,
  groups: string[],
  groupOption: (g: UserGroup) => PlainTextOption,
  name: (id: string) => UserGroup,
) =>
  input(block, label, {
    type: 'multi_external_select',
    action_id: AdminIds.pickGroups,
    min_query_length: 0,
    ...(groups.length ? { initial_options: groups.map((g) => groupOption(name(g))) } : {}),
  });

const userPicker = (block: string, label: string, users: string[], hint?: string) =>
  input(block, label, { type: 'multi_users_select', ...(users.length ? { initial_users: users } : {}) }, hint);

export function onBehalfBlocks(
  rule: OnBehalfRule | null | undefined,
  groupOption: (g: UserGroup) => PlainTextOption,
  name: (id: string) => UserGroup,
): KnownBlock[] {
  const anyone = rule?.forAnyoneInFlow ?? false;
  return [
    header('Requests on behalf of others'),
    userPicker(
      FlowForm.onBehalfUsers,
      'May request for others',
      rule?.requesterUsers ?? [],
      'Team leads or the helpdesk: their request form gets a "For" picker. The grant and its secrets go to the person they ask for.',
    ),
    groupPicker(
      FlowForm.onBehalfGroups,
      'Groups who may request for others',
      rule?.requesterGroups ?? [],
      groupOption,
      name,
    ),
    input(FlowForm.onBehalfFor, 'For whom', {
      type: 'static_select',
      options: [namedOpt, anyoneOpt],
      initial_option: anyone ? anyoneOpt : namedOpt,
    }),
    userPicker(FlowForm.onBehalfForUsers, 'For these people', rule?.forUsers ?? []),
    groupPicker(FlowForm.onBehalfForGroups, 'For members of these groups', rule?.forGroups ?? [], groupOption, name),
  ];
}

const users = (v: StateValues, block: string) => {
  const raw = (v?.[block]?.[FIELD] as { selected_users?: unknown } | undefined)?.selected_users;
  return Array.isArray(raw) ? raw.filter((u): u is string => typeof u === 'string').slice(0, 100) : [];
};

/** The inputs as a rule (null: nobody may request for others); the admin service checks it. */
export function readOnBehalfForm(v: StateValues): OnBehalfRule | null {
  const requesterUsers = users(v, FlowForm.onBehalfUsers);
  const requesterGroups = selectedValues(v, FlowForm.onBehalfGroups, AdminIds.pickGroups);
  const forAnyoneInFlow = selectedValue(v, FlowForm.onBehalfFor, FIELD) === ANYONE;
  const forUsers = forAnyoneInFlow ? [] : users(v, FlowForm.onBehalfForUsers);
  const forGroups = forAnyoneInFlow ? [] : selectedValues(v, FlowForm.onBehalfForGroups, AdminIds.pickGroups);
  if (requesterUsers.length + requesterGroups.length + forUsers.length + forGroups.length === 0) return null;
  return { requesterUsers, requesterGroups, forUsers, forGroups, forAnyoneInFlow };
}
