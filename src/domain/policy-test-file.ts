import { z } from 'zod';
import { DurationText, SlackGroup, SlackUser } from './file-fields.js';
import { ResourceNameSchema, TagSchema } from './resource.js';

/**
 * The policy-test file (`npm run config -- test FILE`): group memberships (no Slack needed) and assertions
 * evaluated against an ACCESS_CONFIG file alone (domain/policy-tests.ts). Every field is checked, so a
 * typo is a malformed file with its path, never a test that silently passes.
 */

/** One person, or every member of a group (as listed under `groups`, plus anyone else in it). */
const Subject = z
  .strictObject({ person: SlackUser.optional(), group: SlackGroup.optional(), resource: ResourceNameSchema })
  .refine((s) => (s.person === undefined) !== (s.group === undefined), { message: 'give either person or group' });

const Approvers = z
  .strictObject({
    resource: ResourceNameSchema,
    /** Only this flow's approvers (absent: every enabled flow covering the resource). */
    flow: ResourceNameSchema.optional(),
    users: z.array(SlackUser).default([]),
    groups: z.array(SlackGroup).default([]),
  })
  .refine((a) => a.users.length + a.groups.length > 0, { message: 'name at least one user or group' });

export const ASSERTIONS = [
  'can_request',
  'cannot_request',
  'cannot_break_glass',
  'max_duration',
  'no_self_approval',
  'min_approvals',
  'approvers_include',
  'approvers_exclude',
] as const;
export type AssertionKind = (typeof ASSERTIONS)[number];

export const PolicyTestSchema = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    can_request: Subject.optional(),
    cannot_request: Subject.optional(),
    cannot_break_glass: Subject.optional(),
    /** Through any flow they may request it by (break-glass is `cannot_break_glass`'s). */
    max_duration: z
      .strictObject({
        person: SlackUser.optional(),
        group: SlackGroup.optional(),
        resource: ResourceNameSchema,
        at_most: DurationText,
      })
      .refine((s) => (s.person === undefined) !== (s.group === undefined), { message: 'give either person or group' })
      .optional(),
    no_self_approval: z.strictObject({ flow: ResourceNameSchema }).optional(),
    min_approvals: z
      .strictObject({
        resources: z
          .strictObject({ names: z.array(ResourceNameSchema).default([]), tags: z.array(TagSchema).default([]) })
          .refine((r) => r.names.length + r.tags.length > 0, { message: 'name at least one resource or tag' }),
        at_least: z.number().int().min(1).max(10),
      })
      .optional(),
    approvers_include: Approvers.optional(),
    approvers_exclude: Approvers.optional(),
  })
  .superRefine((t, ctx) => {
    const given = ASSERTIONS.filter((k) => t[k] !== undefined);
    if (given.length !== 1)
      ctx.addIssue({
        code: 'custom',
        message:
          given.length === 0
            ? `give one assertion: ${ASSERTIONS.join(', ')}`
            : `give one assertion per test, not ${given.join(' and ')}`,
      });
  });
export type PolicyTest = z.infer<typeof PolicyTestSchema>;

export const PolicyTestFileSchema = z.strictObject({
  /** Slack user-group id -> its members (Slack user ids), as the tests assume them. */
  groups: z.record(SlackGroup, z.array(SlackUser)).default({}),
  tests: z.array(PolicyTestSchema).min(1, 'give at least one test'),
});
export type PolicyTestFile = z.infer<typeof PolicyTestFileSchema>;
