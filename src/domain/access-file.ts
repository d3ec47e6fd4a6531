import { z } from 'zod';
import { parseDuration } from './duration.js';
import { ResourceNameSchema, ResourceTypeSchema, TagSchema } from './resource.js';

/** The ACCESS_CONFIG YAML file (config-as-code): resources and the flows over them. */
const SlackUser = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user id like U012ABCDEF');
const SlackGroup = z.string().regex(/^S[A-Z0-9]{2,}$/, 'must be a Slack user-group id like S012ABCDEF');
const DurationText = z
  .union([z.string(), z.number()])
  .transform((v, ctx) => {
    const minutes = parseDuration(String(v));
    if (minutes === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be a duration like 30m, 8h or 1d' });
      return z.NEVER;
    }
    return minutes;
  });

export const FileResourceSchema = z.strictObject({
  name: ResourceNameSchema,
  type: ResourceTypeSchema,
  tags: z.array(TagSchema).default([]),
  description: z.string().max(500).default(''),
});

const People = z.strictObject({
  users: z.array(SlackUser).default([]),
  groups: z.array(SlackGroup).default([]),
});

export const FileFlowSchema = z
  .strictObject({
    name: ResourceNameSchema,
    description: z.string().max(500).default(''),
    resources: z.strictObject({ names: z.array(ResourceNameSchema).default([]), tags: z.array(TagSchema).default([]) }),
    requesters: People,
    approvers: People,
    max_duration: DurationText.default(480),
    allow_self_approval: z.boolean().default(false),
    enabled: z.boolean().default(true),
  })
  .refine((f) => f.resources.names.length + f.resources.tags.length > 0, {
    message: 'must name at least one resource or tag',
    path: ['resources'],
  })
  .refine((f) => f.approvers.users.length + f.approvers.groups.length > 0, {
    message: 'must name at least one approver user or group',
    path: ['approvers'],
  });

export const AccessFileSchema = z
  .strictObject({
    resources: z.array(FileResourceSchema).default([]),
    flows: z.array(FileFlowSchema).default([]),
  })
  .superRefine((file, ctx) => {
    const seen = (items: { name: string }[], key: 'resources' | 'flows') => {
      const names = new Set<string>();
      items.forEach((item, i) => {
        if (names.has(item.name)) ctx.addIssue({ code: 'custom', message: `duplicate name "${item.name}"`, path: [key, i, 'name'] });
        names.add(item.name);
      });
    };
    seen(file.resources, 'resources');
    seen(file.flows, 'flows');
    const known = new Set(file.resources.map((r) => r.name));
    file.flows.forEach((flow, i) =>
      flow.resources.names.forEach((name, j) => {
        if (!known.has(name)) ctx.addIssue({ code: 'custom', message: `unknown resource "${name}"`, path: ['flows', i, 'resources', 'names', j] });
      }),
    );
  });

export type AccessFile = z.infer<typeof AccessFileSchema>;
export type FileFlow = z.infer<typeof FileFlowSchema>;

/** "flows[0].approvers.users[1]: must be a Slack user id" — the path a person can find in their file. */
export function describeIssuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), '');
}
