// The access file's entries to the catalogue's shapes and back (the schema is access-file.ts).
import { managerFromFile, managerToFile } from './manager.js';
import type { AccessFile, FileFlow } from './access-file.js';
import { reviewFromFile, reviewToFile } from './access-review.js';
import { minutesText } from './file-fields.js';
import type { Flow } from './flow.js';
import { lifecycleFromFile, lifecycleToFile } from './lifecycle-file.js';
import { refsFromFile, refsToFile } from './on-call.js';
import type { ProvisionerConfig, Resource } from './resource.js';
import { allStageApprovers } from './stages.js';
import { stagesFromFile, stagesToFile } from './stages-file.js';
import { onBehalfFromFile, onBehalfToFile } from './on-behalf.js';
import { bundleFromFile, bundleToFile, type Bundle } from './bundle.js';
import { fieldsFromFile, fieldsToFile } from './request-fields-file.js';
/** File entries to catalogue inputs (the file's snake_case to the domain's shapes). */
export function resourceFromFile(r: AccessFile['resources'][number]): Omit<Resource, 'id'> {
  return {
    name: r.name,
    type: r.type,
    tags: r.tags,
    description: r.description,
    defaults: {
      loginUsers: r.defaults?.login_users ?? [],
      databases: r.defaults?.databases ?? [],
      namespaces: r.defaults?.namespaces ?? [],
      ...(r.defaults?.roles.length ? { roles: r.defaults.roles } : {}),
    },
    provisioner: r.provisioner ? provisionerFromFile(r.provisioner) : null,
  };
}

function provisionerFromFile(p: { type: string } & Record<string, unknown>): ProvisionerConfig {
  const { type, ...settings } = p;
  return { type, settings };
}

export function flowFromFile(f: FileFlow): Omit<Flow, 'id'> {
  const stages = stagesFromFile(f.stages);
  // With stages, the flow-wide approvers are every stage's (who may revoke, whose Home lists the flow).
  const everyStage = allStageApprovers(stages);
  return {
    name: f.name,
    description: f.description,
    resourceNames: f.resources.names,
    resourceTags: f.resources.tags,
    requesterUsers: f.requesters.users,
    requesterGroups: f.requesters.groups,
    requesterEveryone: f.requesters.everyone,
    approverUsers: stages.length ? everyStage.users : f.approvers.users,
    approverGroups: stages.length ? everyStage.groups : f.approvers.groups,
    maxDurationMinutes: f.max_duration,
    durationChoices: f.duration_choices,
    approvalsRequired: stages.length ? stages[0]!.approvalsRequired : f.approvals_required,
    allowSelfApproval: f.allow_self_approval,
    justification: f.justification
      ? {
          required: f.justification.required,
          minLength: f.justification.min_length,
          pattern: f.justification.pattern ?? null,
          hint: f.justification.hint ?? null,
          jira: f.justification.jira ? { projects: [...new Set(f.justification.jira.projects)] } : null,
        }
      : { required: true, minLength: 0, pattern: null, hint: null, jira: null },
    notifyChannel: f.notify_channel ?? null,
    lifecycle: {
      ...lifecycleFromFile(f),
      ...(f.approvers.on_call ? { onCallApprovers: refsFromFile(f.approvers.on_call) } : {}),
      ...managerFromFile(f.approvers),
    },
    enabled: f.enabled,
    identity: f.identity
      ? {
          requireLink: f.identity.require_link,
          stepUpMinutes: f.identity.step_up_minutes ?? null,
          requireMfa: f.identity.require_mfa,
        }
      : null,
    review: reviewFromFile(f.review),
    stages,
    onBehalf: onBehalfFromFile(f.on_behalf),
    fields: fieldsFromFile(f.fields),
  };
}

/** The file's bundles as the catalogue holds them (the parts' tuning read by their resources' types). */
export function bundlesFromFile(file: Pick<AccessFile, 'resources' | 'bundles'>): Omit<Bundle, 'id'>[] {
  const types = new Map(file.resources.map((r) => [r.name, r.type]));
  return file.bundles.map((b) => bundleFromFile(b, (name) => types.get(name)));
}

/** The catalogue back to the file format (`npm run config -- export`); defaults are left out. */
export function toAccessFile(
  resources: Omit<Resource, 'id'>[],
  flows: Omit<Flow, 'id'>[],
  bundles: Omit<Bundle, 'id'>[] = [],
): Record<string, unknown> {
  return {
    resources: resources.map((r) => ({
      name: r.name,
      type: r.type,
      ...(r.tags.length ? { tags: r.tags } : {}),
      ...(r.description ? { description: r.description } : {}),
      ...(r.defaults.loginUsers.length +
        r.defaults.databases.length +
        r.defaults.namespaces.length +
        (r.defaults.roles?.length ?? 0) >
      0
        ? {
            defaults: {
              ...(r.defaults.loginUsers.length ? { login_users: r.defaults.loginUsers } : {}),
              ...(r.defaults.databases.length ? { databases: r.defaults.databases } : {}),
              ...(r.defaults.namespaces.length ? { namespaces: r.defaults.namespaces } : {}),
              ...(r.defaults.roles?.length ? { roles: r.defaults.roles } : {}),
            },
          }
        : {}),
      ...(r.provisioner ? { provisioner: { type: r.provisioner.type, ...r.provisioner.settings } } : {}),
    })),
    flows: flows.map((f) => ({
      name: f.name,
      ...(f.description ? { description: f.description } : {}),
      resources: {
        ...(f.resourceNames.length ? { names: f.resourceNames } : {}),
        ...(f.resourceTags.length ? { tags: f.resourceTags } : {}),
      },
      requesters: {
        ...(f.requesterEveryone ? { everyone: true } : {}),
        ...(f.requesterUsers.length ? { users: f.requesterUsers } : {}),
        ...(f.requesterGroups.length ? { groups: f.requesterGroups } : {}),
      },
      // With stages, each stage names its approvers (stagesToFile below) and the flow none.
      ...(f.stages?.length
        ? {}
        : {
            approvers: {
              ...(f.approverUsers.length ? { users: f.approverUsers } : {}),
              ...(f.approverGroups.length ? { groups: f.approverGroups } : {}),
              ...(f.lifecycle.onCallApprovers?.length ? { on_call: refsToFile(f.lifecycle.onCallApprovers) } : {}),
              ...managerToFile(f.lifecycle.managerApprover),
            },
          }),
      max_duration: minutesText(f.maxDurationMinutes),
      ...(f.durationChoices.length ? { duration_choices: f.durationChoices.map(minutesText) } : {}),
      ...(f.approvalsRequired !== 1 && !f.stages?.length ? { approvals_required: f.approvalsRequired } : {}),
      ...(f.allowSelfApproval ? { allow_self_approval: true } : {}),
      ...(f.justification.required &&
      f.justification.minLength === 0 &&
      !f.justification.pattern &&
      !f.justification.hint &&
      !f.justification.jira?.projects.length
        ? {}
        : {
            justification: {
              required: f.justification.required,
              ...(f.justification.minLength ? { min_length: f.justification.minLength } : {}),
              ...(f.justification.pattern ? { pattern: f.justification.pattern } : {}),
              ...(f.justification.hint ? { hint: f.justification.hint } : {}),
              ...(f.justification.jira?.projects.length ? { jira: { projects: f.justification.jira.projects } } : {}),
            },
          }),
      ...(f.notifyChannel ? { notify_channel: f.notifyChannel } : {}),
      ...(f.enabled ? {} : { enabled: false }),
      ...(f.identity && (f.identity.requireLink || f.identity.stepUpMinutes !== null)
        ? {
            identity: {
              ...(f.identity.requireLink ? { require_link: true } : {}),
              ...(f.identity.stepUpMinutes !== null ? { step_up_minutes: f.identity.stepUpMinutes } : {}),
              ...(f.identity.requireMfa ? { require_mfa: true } : {}),
            },
          }
        : {}),
      ...lifecycleToFile(f.lifecycle),
      ...reviewToFile(f.review),
      ...stagesToFile(f.stages),
      ...onBehalfToFile(f.onBehalf),
      ...(f.fields?.length ? { fields: fieldsToFile(f.fields) } : {}),
    })),
    ...(bundles.length ? { bundles: bundles.map((b) => bundleToFile(b, minutesText)) } : {}),
  };
}
