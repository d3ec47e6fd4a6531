import { z } from 'zod';
import { DurationText } from './file-fields.js';
import { ResourceNameSchema, TagSchema } from './resource.js';

/**
 * `group_sources` in ACCESS_CONFIG: identity-provider groups that fill the catalogue by themselves. Each
 * names its provider (`okta` or `entra`), the connection (the settings the provisioner of that type takes,
 * less `group_id`, with secrets as references to what the operator declared), a filter, the tags every
 * synced resource gets (flows pick them by tag), and how often it runs.
 */
export const GROUP_SOURCE_KINDS = ['okta', 'entra'] as const;
export type GroupSourceKind = (typeof GROUP_SOURCE_KINDS)[number];

/** How a person reads the provider's name. */
export const PROVIDER_NAMES: Record<GroupSourceKind, string> = { okta: 'Okta', entra: 'Entra ID' };

/** An Entra ID directory extension property: `extension_<app id without dashes>_<name>`. */
const ENTRA_EXTENSION = /^extension_[0-9a-f]{32}_[A-Za-z0-9_]{1,100}$/;
/** An Okta group profile attribute (base or custom): letters, digits and _. */
const OKTA_ATTRIBUTE = /^[A-Za-z][A-Za-z0-9_]{0,127}$/;

const Prefix = z
  .string()
  .min(1)
  .max(100)
  .refine((v) => !/["'\\]/.test(v) && v.trim() === v, 'use no quotes, backslashes or outer spaces');

const SettingValue = z.union([z.string(), z.number(), z.boolean()]);

export const GroupSourceFileSchema = z
  .strictObject({
    /** Names the source in audit, the App Home label and `npm run config -- sync`. */
    name: ResourceNameSchema,
    source: z.enum(GROUP_SOURCE_KINDS),
    /** The provisioner settings of that type except group_id (checked by the provisioner itself). */
    connection: z.record(z.string(), SettingValue),
    filter: z
      .strictObject({
        /** Groups whose name starts with this (Okta `profile.name sw`, Graph `startswith(displayName, …)`). */
        name_prefix: Prefix.optional(),
        /** A profile attribute (Okta) or directory extension (Entra ID) equal to a value. */
        attribute: z.strictObject({ name: z.string().min(1).max(200), equals: SettingValue }).optional(),
        /** Entra ID only: groups whose description starts with this (a Graph advanced query). */
        description_prefix: Prefix.optional(),
      })
      .refine((f) => f.name_prefix !== undefined || f.attribute !== undefined || f.description_prefix !== undefined, {
        message: 'give name_prefix, attribute or description_prefix: a source never takes every group of the directory',
      }),
    /** Stamped on every synced resource: flows pick the groups by these. */
    tags: z.array(TagSchema).min(1, 'give at least one tag: flows pick synced groups by tag').max(20),
    /** Put before every resource name made from a group name (e.g. `okta-`), to keep sources apart. */
    resource_prefix: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,31}$/, 'use lower-case letters, digits, - _ . (at most 32)')
      .default(''),
    /** How often the bot syncs it (every replica shares the one schedule); `npm run config -- sync` runs it now. */
    interval: DurationText.default(15).refine((m) => m >= 1 && m <= 1440, 'must be between 1m and 1d'),
  })
  .superRefine((s, ctx) => {
    if ('group_id' in s.connection)
      ctx.addIssue({
        code: 'custom',
        path: ['connection', 'group_id'],
        message: 'a group source finds its groups: leave group_id out',
      });
    const attribute = s.filter.attribute?.name;
    if (s.source === 'okta') {
      if (s.filter.description_prefix !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['filter', 'description_prefix'],
          message: 'description_prefix is for Entra ID; for Okta use a profile attribute',
        });
      if (attribute !== undefined && !OKTA_ATTRIBUTE.test(attribute))
        ctx.addIssue({
          code: 'custom',
          path: ['filter', 'attribute', 'name'],
          message: 'must be an Okta group profile attribute like jitEligible',
        });
    }
    if (s.source === 'entra' && attribute !== undefined && !ENTRA_EXTENSION.test(attribute))
      ctx.addIssue({
        code: 'custom',
        path: ['filter', 'attribute', 'name'],
        message:
          'must be a directory extension property of groups, extension_<app id without dashes>_<name> (Graph filters groups on no other custom attribute)',
      });
  });

export type GroupSourceFile = z.infer<typeof GroupSourceFileSchema>;

/** A group source as the sync uses it (the file's snake_case to the domain's shape). */
export interface GroupSource {
  name: string;
  kind: GroupSourceKind;
  /** Provisioner settings without group_id; secret settings are references. */
  connection: Record<string, string | number | boolean>;
  filter: {
    namePrefix: string | null;
    attribute: { name: string; equals: string | number | boolean } | null;
    descriptionPrefix: string | null;
  };
  tags: string[];
  resourcePrefix: string;
  intervalMinutes: number;
}

export function groupSourceFromFile(s: GroupSourceFile): GroupSource {
  return {
    name: s.name,
    kind: s.source,
    connection: s.connection,
    filter: {
      namePrefix: s.filter.name_prefix ?? null,
      attribute: s.filter.attribute ?? null,
      descriptionPrefix: s.filter.description_prefix ?? null,
    },
    tags: s.tags,
    resourcePrefix: s.resource_prefix,
    intervalMinutes: s.interval,
  };
}

/** A placeholder group id that passes the provisioner's own check, so the connection can be checked alone. */
export const PLACEHOLDER_GROUP_ID: Record<GroupSourceKind, string> = {
  okta: '00g00000000000000000',
  entra: '00000000-0000-0000-0000-000000000000',
};
