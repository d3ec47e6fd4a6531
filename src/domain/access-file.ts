import { z } from 'zod';
import { DurationText, minutesText, People, SlackChannel } from './file-fields.js';
import type { Flow } from './flow.js';
import {
  checkFileLifecycle,
  lifecycleFileFields,
  lifecycleFromFile,
  lifecycleToFile,
  OnCallFileSchema,
} from './lifecycle-file.js';
import { refsFromFile, refsToFile } from './on-call.js';
import { patternProblem } from './pattern.js';
import {
  ResourceNameSchema,
  ResourceTypeSchema,
  TagSchema,
  type ProvisionerConfig,
  type Resource,
} from './resource.js';
import { PROJECT_KEY } from './ticket.js';

/** The ACCESS_CONFIG YAML file (config-as-code): resources and the flows over them. */
const TuningName = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$/, 'use letters, digits, _ . @ - only');
/** AWS permission set names (`[\w+=,.@-]`) and Google Cloud role ids (`roles/x.y`, `projects/p/roles/r`). */
const RoleName = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.@/+=,-]{0,127}$/, 'use a permission set name or a role id like roles/viewer');
const SettingValue = (v: unknown) =>
  ['string', 'number', 'boolean'].includes(typeof v) || (Array.isArray(v) && v.every((x) => typeof x === 'string'));

export const FileResourceSchema = z.strictObject({
  name: ResourceNameSchema,
  type: ResourceTypeSchema,
  tags: z.array(TagSchema).default([]),
  description: z.string().max(500).default(''),
  /** What the approver's tuning modal offers by default. */
  defaults: z
    .strictObject({
      login_users: z.array(TuningName).max(20).default([]),
      databases: z.array(TuningName).max(20).default([]),
      namespaces: z.array(TuningName).max(20).default([]),
      /** Cloud roles pre-selected for approvers and granted by auto-approval and break-glass. */
      roles: z.array(RoleName).max(20).default([]),
    })
    .optional(),
  /** `{ type: postgres, admin_url: env:ACCESS_SECRET_PROD_DB_ADMIN_URL, … }`: the type plus that provisioner's settings. */
  provisioner: z
    .looseObject({
      type: z
        .string()
        .regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a provisioner type like postgres, ssh, kubernetes, webhook'),
    })
    // One level of string maps, for settings like AWS `permission_sets: { ReadOnly: arn:… }`.
    .refine(
      (p) =>
        Object.values(p).every(
          (v) =>
            SettingValue(v) ||
            (typeof v === 'object' &&
              v !== null &&
              !Array.isArray(v) &&
              Object.values(v).every((x) => typeof x === 'string')),
        ),
      {
        message: 'settings must be strings, numbers, booleans, lists of strings or maps of strings',
      },
    )
    .optional(),
});

const Requesters = People.extend({ everyone: z.boolean().default(false) });

export const JustificationSchema = z.strictObject({
  required: z.boolean().default(true),
  min_length: z.number().int().min(0).max(2000).default(0),
  pattern: z
    .string()
    .max(200)
    .superRefine((p, ctx) => {
      const problem = patternProblem(p);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  hint: z.string().max(150).optional(),
  /** The justification names an open Jira issue of one of these projects (checked against Jira). */
  jira: z
    .strictObject({
      projects: z
        .array(z.string().regex(PROJECT_KEY, 'must be a Jira project key like INC (capitals, digits, _)'))
        .min(1, 'name at least one Jira project key')
        .max(20),
    })
    .optional(),
});

export const FileFlowSchema = z
  .strictObject({
    name: ResourceNameSchema,
    description: z.string().max(500).default(''),
    resources: z.strictObject({ names: z.array(ResourceNameSchema).default([]), tags: z.array(TagSchema).default([]) }),
    requesters: Requesters,
    approvers: People.extend({ on_call: OnCallFileSchema.optional() }),
    max_duration: DurationText.default(480),
    duration_choices: z.array(DurationText).max(25).default([]),
    approvals_required: z.number().int().min(1).max(10).default(1),
    allow_self_approval: z.boolean().default(false),
    justification: JustificationSchema.optional(),
    notify_channel: SlackChannel.optional(),
    enabled: z.boolean().default(true),
    /** Identity linking and step-up for approval (docs/identity.md). */
    identity: z
      .strictObject({
        require_link: z.boolean().default(false),
        step_up_minutes: z.number().int().min(1).max(1440).optional(),
        require_mfa: z.boolean().default(false),
      })
      .refine((i) => !i.require_mfa || i.step_up_minutes !== undefined, {
        message: 'require_mfa needs step_up_minutes (MFA is checked on the approver’s step-up sign-in)',
      })
      .optional(),
    ...lifecycleFileFields,
  })
  .refine((f) => f.resources.names.length + f.resources.tags.length > 0, {
    message: 'must name at least one resource or tag',
    path: ['resources'],
  })
  .refine((f) => f.approvers.users.length + f.approvers.groups.length > 0, {
    message: 'must name at least one approver user or group',
    path: ['approvers'],
  })
  .superRefine(checkFileLifecycle);

export const AccessFileSchema = z
  .strictObject({
    resources: z.array(FileResourceSchema).default([]),
    flows: z.array(FileFlowSchema).default([]),
  })
  .superRefine((file, ctx) => {
    const seen = (items: { name: string }[], key: 'resources' | 'flows') => {
      const names = new Set<string>();
      items.forEach((item, i) => {
        if (names.has(item.name))
          ctx.addIssue({ code: 'custom', message: `duplicate name "${item.name}"`, path: [key, i, 'name'] });
        names.add(item.name);
      });
    };
    seen(file.resources, 'resources');
    seen(file.flows, 'flows');
    const known = new Set(file.resources.map((r) => r.name));
    file.flows.forEach((flow, i) => {
      flow.resources.names.forEach((name, j) => {
        if (!known.has(name))
          ctx.addIssue({
            code: 'custom',
            message: `unknown resource "${name}"`,
            path: ['flows', i, 'resources', 'names', j],
          });
      });
      flow.auto_approve.forEach((rule, j) =>
        rule.resources.names.forEach((name, k) => {
          if (!known.has(name))
            ctx.addIssue({
              code: 'custom',
              message: `unknown resource "${name}"`,
              path: ['flows', i, 'auto_approve', j, 'resources', 'names', k],
            });
        }),
      );
    });
  });

export type AccessFile = z.infer<typeof AccessFileSchema>;
export type FileFlow = z.infer<typeof FileFlowSchema>;

/** "flows[0].approvers.users[1]: must be a Slack user id" — the path a person can find in their file. */
export function describeIssuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)),
    '',
  );
}

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
  return {
    name: f.name,
    description: f.description,
    resourceNames: f.resources.names,
    resourceTags: f.resources.tags,
    requesterUsers: f.requesters.users,
    requesterGroups: f.requesters.groups,
    requesterEveryone: f.requesters.everyone,
    approverUsers: f.approvers.users,
    approverGroups: f.approvers.groups,
    maxDurationMinutes: f.max_duration,
    durationChoices: f.duration_choices,
    approvalsRequired: f.approvals_required,
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
    },
    enabled: f.enabled,
    identity: f.identity
      ? {
          requireLink: f.identity.require_link,
          stepUpMinutes: f.identity.step_up_minutes ?? null,
          requireMfa: f.identity.require_mfa,
        }
      : null,
  };
}

/** The catalogue back to the file format (`npm run config -- export`); defaults are left out. */
export function toAccessFile(resources: Omit<Resource, 'id'>[], flows: Omit<Flow, 'id'>[]): Record<string, unknown> {
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
      approvers: {
        ...(f.approverUsers.length ? { users: f.approverUsers } : {}),
        ...(f.approverGroups.length ? { groups: f.approverGroups } : {}),
        ...(f.lifecycle.onCallApprovers?.length ? { on_call: refsToFile(f.lifecycle.onCallApprovers) } : {}),
      },
      max_duration: minutesText(f.maxDurationMinutes),
      ...(f.durationChoices.length ? { duration_choices: f.durationChoices.map(minutesText) } : {}),
      ...(f.approvalsRequired !== 1 ? { approvals_required: f.approvalsRequired } : {}),
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
    })),
  };
}
