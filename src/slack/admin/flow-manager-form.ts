import type { KnownBlock } from '@slack/types';
import type { Flow } from '../../domain/flow.js';
import type { ManagerApprover } from '../../domain/manager.js';
import type { UserGroup } from '../../services/ports.js';
import { AdminIds, FIELD, FlowForm } from '../ids.js';
import { selectedValues, type StateValues } from '../state.js';
import { option } from '../views.js';
import { initialOptions, inputBlock } from './flow-inputs.js';

const MANAGER = option(
  "Requester's manager",
  'manager',
  'From the managers: mapping, Okta or Entra ID (docs/configuration.md)',
);

/** The approvers section's "Requester's manager" checkbox and its fallback (without stages; stages say it in YAML). */
export function managerInputs(
  f: Flow | undefined,
  groupOption: (g: UserGroup) => ReturnType<typeof option>,
  label: (id: string) => UserGroup,
): KnownBlock[] {
  const m = f?.lifecycle.managerApprover;
  return [
    inputBlock(
      FlowForm.manager,
      'Manager approver',
      { type: 'checkboxes', options: [MANAGER], ...(m ? { initial_options: [MANAGER] } : {}) },
      { optional: true },
    ),
    inputBlock(
      FlowForm.managerFallbackUsers,
      'Manager fallback users',
      { type: 'multi_users_select', ...(m?.fallbackUsers.length ? { initial_users: m.fallbackUsers } : {}) },
      { optional: true, hint: 'Asked when no manager is found or the directory does not answer.' },
    ),
    inputBlock(
      FlowForm.managerFallbackGroups,
      'Manager fallback groups',
      {
        type: 'multi_external_select',
        action_id: AdminIds.pickGroups,
        min_query_length: 0,
        ...initialOptions((m?.fallbackGroups ?? []).map((g) => groupOption(label(g)))),
      },
      { optional: true },
    ),
  ];
}

export function readManagerForm(v: StateValues): { managerApprover?: ManagerApprover } {
  if (!selectedValues(v, FlowForm.manager, FIELD).includes('manager')) return {};
  const raw = (v?.[FlowForm.managerFallbackUsers]?.[FIELD] as { selected_users?: unknown } | undefined)?.selected_users;
  return {
    managerApprover: {
      fallbackUsers: Array.isArray(raw) ? raw.filter((u): u is string => typeof u === 'string').slice(0, 500) : [],
      fallbackGroups: selectedValues(v, FlowForm.managerFallbackGroups, AdminIds.pickGroups),
    },
  };
}
