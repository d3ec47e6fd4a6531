import { managerFileFields, ManagersFileSchema } from './manager.js';
import { z } from 'zod';
import { ReviewFileSchema } from './access-review.js';
import { DurationText, People, SlackChannel } from './file-fields.js';
import { GroupSourceFileSchema } from './group-source.js';
import { checkFileLifecycle, lifecycleFileFields, OnCallFileSchema } from './lifecycle-file.js';
import { patternProblem } from './pattern.js';
import { repositoryDefaultProblem } from './policy.js';
import { ResourceNameSchema, ResourceTypeSchema, TagSchema } from './resource.js';
import { PROJECT_KEY } from './ticket.js';
import { checkFileStages, StagesFileSchema } from './stages-file.js';
import { OnBehalfFileSchema } from './on-behalf.js';
import { FileBundleSchema } from './bundle.js';
import { checkFileBundles } from './bundle-file.js';
import { checkRuleConditions, RequestFieldsFileSchema } from './request-fields-file.js';

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
    /** With `stages`, left out: each stage names its own approvers. */
    approvers: People.extend({ on_call: OnCallFileSchema.optional(), ...managerFileFields }).default({
      users: [],
      groups: [],
    }),
    /** Sequential approval stages (domain/stages.ts); absent: one stage of the approvers above. */
    stages: StagesFileSchema,
    /** Who may request on behalf of whom (domain/on-behalf.ts). */
    on_behalf: OnBehalfFileSchema,
    /** Custom typed fields the request form asks for (domain/request-fields.ts). */
    fields: RequestFieldsFileSchema.optional(),
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
    /** Periodic access reviews (docs/access-reviews.md): `{ every: 90d, reviewers: { users, groups } }`. */
    review: ReviewFileSchema.optional(),
    ...lifecycleFileFields,
  })
  .refine((f) => f.resources.names.length + f.resources.tags.length > 0, {
    message: 'must name at least one resource or tag',
    path: ['resources'],
  })
  .refine(
    (f) => f.stages !== undefined || f.approvers.manager || f.approvers.users.length + f.approvers.groups.length > 0,
    {
      message: 'must name at least one approver user or group',
      path: ['approvers'],
    },
  )
  .superRefine(checkFileLifecycle)
  .superRefine(checkFileStages)
  .superRefine((f, ctx) => checkRuleConditions(f, ctx));

export const AccessFileSchema = z
  .strictObject({
    resources: z.array(FileResourceSchema).default([]),
    flows: z.array(FileFlowSchema).default([]),
    /** Identity-provider groups that fill the catalogue by themselves (domain/group-source.ts). */
    group_sources: z.array(GroupSourceFileSchema).default([]),
    /** Each requester's manager by Slack id, for flows with `approvers: { manager: true }` (domain/manager.ts). */
    managers: ManagersFileSchema,
    /** Access profiles: named resources with their requested scope and a default duration (domain/bundle.ts). */
    bundles: z.array(FileBundleSchema).default([]),
  })
  .superRefine((file, ctx) => {
    const seen = (items: { name: string }[], key: 'resources' | 'flows' | 'group_sources' | 'bundles') => {
      const names = new Set<string>();
      items.forEach((item, i) => {
        if (names.has(item.name))
          ctx.addIssue({ code: 'custom', message: `duplicate name "${item.name}"`, path: [key, i, 'name'] });
        names.add(item.name);
      });
    };
    seen(file.resources, 'resources');
    seen(file.flows, 'flows');
    seen(file.group_sources, 'group_sources');
    seen(file.bundles, 'bundles');
    file.resources.forEach((r, i) => {
      const problem = r.type === 'repository' ? repositoryDefaultProblem(r.defaults?.roles) : null;
      if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['resources', i, 'defaults', 'roles'] });
    });
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
    checkFileBundles(file, ctx);
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
