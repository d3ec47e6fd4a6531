import type { FieldErrors, FlowField, FlowInput, ResourceField, ResourceInput } from '../../domain/catalog-input.js';
import { splitList } from '../../domain/policy.js';
import { parse as parseYaml } from 'yaml';
import { RESOURCE_TYPES, type ProvisionerConfig, type ResourceType } from '../../domain/resource.js';
import { AdminIds, FIELD, FlowForm, ResourceForm } from '../ids.js';
import { selectedValue, selectedValues, textValue, type StateValues } from '../state.js';
import { readManagerForm } from './flow-manager-form.js';
import { readLifecycleForm } from './flow-lifecycle-form.js';
import { readReviewForm } from './flow-review-form.js';
import { readOnBehalfForm } from './flow-on-behalf-form.js';
import { readStagesForm } from './flow-stages-form.js';
import { readFieldsForm } from './flow-fields-form.js';
import { allStageApprovers } from '../../domain/stages.js';

const users = (v: StateValues, block: string): string[] => {
  const raw = (v?.[block]?.[FIELD] as { selected_users?: unknown } | undefined)?.selected_users;
  return Array.isArray(raw) ? raw.filter((u): u is string => typeof u === 'string').slice(0, 500) : [];
};
const conversation = (v: StateValues, block: string): string | null => {
  const raw = (v?.[block]?.[FIELD] as { selected_conversation?: unknown } | undefined)?.selected_conversation;
  return typeof raw === 'string' && /^[CG][A-Z0-9]{2,}$/.test(raw) ? raw : null;
};
const int = (text: string, fallback: number) =>
  /^\d{1,6}$/.test(text.trim()) ? Number(text.trim()) : text.trim() === '' ? fallback : NaN;

/** The flow modal's state as a flow; the admin service validates it. */
export function readFlowForm(v: StateValues): FlowInput {
  const options = new Set(selectedValues(v, FlowForm.options, FIELD));
  const pattern = textValue(v, FlowForm.pattern, FIELD).trim();
  const hint = textValue(v, FlowForm.hint, FIELD).trim();
  // "INC, ops" -> [INC, OPS]: Jira project keys are capitals; catalog-input checks the rest.
  const jiraProjects = [
    ...new Set(
      textValue(v, FlowForm.jiraProjects, FIELD)
        .toUpperCase()
        .split(/[\s,]+/)
        .filter(Boolean),
    ),
  ];
  // The manager checkbox is the flow's without stages; with stages, each stage says it in YAML.
  const lifecycle = { ...readLifecycleForm(v).lifecycle, ...readManagerForm(v) };
  // A stages text that does not read was refused before (the listener says where); here it means none.
  const read = readStagesForm(v, lifecycle.pendingTtlMinutes);
  const stages = 'stages' in read ? read.stages : [];
  if (stages.length) delete lifecycle.managerApprover;
  // With stages, the flow-wide approvers are every stage's (domain/stages.ts), and stage 1's N is shown.
  const everyStage = allStageApprovers(stages);
  return {
    name: textValue(v, FlowForm.name, FIELD).trim(),
    description: textValue(v, FlowForm.description, FIELD).trim(),
    resourceNames: selectedValues(v, FlowForm.resources, AdminIds.pickResources),
    resourceTags: selectedValues(v, FlowForm.tags, AdminIds.pickTags),
    requesterEveryone: selectedValues(v, FlowForm.everyone, FIELD).includes('everyone'),
    requesterUsers: users(v, FlowForm.requesterUsers),
    requesterGroups: selectedValues(v, FlowForm.requesterGroups, AdminIds.pickGroups),
    approverUsers: stages.length ? everyStage.users : users(v, FlowForm.approverUsers),
    approverGroups: stages.length ? everyStage.groups : selectedValues(v, FlowForm.approverGroups, AdminIds.pickGroups),
    maxDurationMinutes: int(selectedValue(v, FlowForm.maxDuration, FIELD) ?? '', NaN),
    durationChoices: selectedValues(v, FlowForm.choices, FIELD)
      .map((d) => int(d, NaN))
      .filter((d) => Number.isInteger(d))
      .sort((a, b) => a - b),
    approvalsRequired: stages.length ? stages[0]!.approvalsRequired : int(textValue(v, FlowForm.approvals, FIELD), 1),
    allowSelfApproval: options.has('self_approval'),
    justification: {
      required: options.has('justification_required'),
      minLength: int(textValue(v, FlowForm.minLength, FIELD), 0),
      pattern: pattern || null,
      hint: hint || null,
      jira: jiraProjects.length ? { projects: jiraProjects } : null,
    },
    notifyChannel: conversation(v, FlowForm.channel),
    identity: readIdentity(v),
    lifecycle,
    review: readReviewForm(v),
    onBehalf: readOnBehalfForm(v),
    stages,
    // A fields text that does not read was refused before (the listener says where); here it means none.
    fields: ((read) => ('fields' in read ? read.fields : []))(readFieldsForm(v)),
    enabled: options.has('enabled'),
  };
}

function readIdentity(v: StateValues): FlowInput['identity'] {
  const picked = new Set(selectedValues(v, FlowForm.identity, FIELD));
  const minutes = textValue(v, FlowForm.stepUpMinutes, FIELD).trim();
  const stepUpMinutes = minutes === '' ? null : int(minutes, NaN);
  if (!picked.has('require_link') && stepUpMinutes === null && !picked.has('require_mfa')) return null;
  return { requireLink: picked.has('require_link'), stepUpMinutes, requireMfa: picked.has('require_mfa') };
}

const FLOW_BLOCKS: Record<FlowField, string> = {
  name: FlowForm.name,
  description: FlowForm.description,
  resources: FlowForm.resources,
  requesters: FlowForm.requesterUsers,
  approvers: FlowForm.approverUsers,
  maxDuration: FlowForm.maxDuration,
  durationChoices: FlowForm.choices,
  approvalsRequired: FlowForm.approvals,
  justificationMinLength: FlowForm.minLength,
  justificationPattern: FlowForm.pattern,
  justificationHint: FlowForm.hint,
  justificationJira: FlowForm.jiraProjects,
  identity: FlowForm.stepUpMinutes,
  remindAfter: FlowForm.remindAfter,
  escalateAfter: FlowForm.escalateAfter,
  escalation: FlowForm.escalationUsers,
  pendingTtl: FlowForm.pendingTtl,
  autoApprove: FlowForm.autoApprove,
  onCall: FlowForm.onCallApprovers,
  breakGlass: FlowForm.breakGlassUsers,
  breakGlassMaxDuration: FlowForm.breakGlassMax,
  breakGlassChannel: FlowForm.breakGlassChannel,
  review: FlowForm.reviewEvery,
  onBehalf: FlowForm.onBehalfUsers,
};

const RESOURCE_BLOCKS: Record<ResourceField, string> = {
  name: ResourceForm.name,
  type: ResourceForm.type,
  tags: ResourceForm.tags,
  description: ResourceForm.description,
  defaults: ResourceForm.logins,
  provisioner: ResourceForm.settings,
};

export const flowErrorsByBlock = (e: FieldErrors<FlowField>) =>
  Object.fromEntries(Object.entries(e).map(([k, text]) => [FLOW_BLOCKS[k as FlowField], text]));
export const resourceErrorsByBlock = (e: FieldErrors<ResourceField>) =>
  Object.fromEntries(Object.entries(e).map(([k, text]) => [RESOURCE_BLOCKS[k as ResourceField], text]));

export function readResourceForm(v: StateValues): ResourceInput {
  const type = selectedValue(v, ResourceForm.type, FIELD);
  return {
    name: textValue(v, ResourceForm.name, FIELD).trim(),
    type: (RESOURCE_TYPES as readonly string[]).includes(type ?? '') ? (type as ResourceType) : 'generic',
    tags: selectedValues(v, ResourceForm.tags, AdminIds.pickTags),
    description: textValue(v, ResourceForm.description, FIELD).trim(),
    defaults: {
      loginUsers: splitList(textValue(v, ResourceForm.logins, FIELD)),
      databases: splitList(textValue(v, ResourceForm.databases, FIELD)),
      namespaces: splitList(textValue(v, ResourceForm.namespaces, FIELD)),
      roles: splitList(textValue(v, ResourceForm.roles, FIELD)),
    },
    provisioner: readProvisioner(
      selectedValue(v, ResourceForm.provisioner, FIELD),
      textValue(v, ResourceForm.settings, FIELD),
    ),
  };
}

/** "admin_url: env:ACCESS_SECRET_PROD_DB" lines -> settings; a YAML error travels on so the admin sees it under the field. */
function readProvisioner(type: string | null, text: string): ProvisionerConfig | null {
  if (!type || type === 'none') return null;
  try {
    const parsed: unknown = text.trim() ? parseYaml(text) : {};
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      return { type, settings: { _yaml_error: 'write one "key: value" per line' } };
    return { type, settings: parsed as Record<string, unknown> };
  } catch (e) {
    return { type, settings: { _yaml_error: (e as Error).message.split('\n')[0] } };
  }
}
