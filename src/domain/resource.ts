import { z } from 'zod';

export const RESOURCE_TYPES = ['ssh', 'database', 'kubernetes', 'http', 'generic'] as const;
export const ResourceTypeSchema = z.enum(RESOURCE_TYPES);
export type ResourceType = z.infer<typeof ResourceTypeSchema>;

/** Resource names appear in commands (`/access request prod-db`) and option values, hence the narrow alphabet. */
export const ResourceNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'use lower-case letters, digits, - _ . (starting with a letter or digit)');

export const TagSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._:-]*$/, 'use lower-case letters, digits, - _ . :');

/** What the approver's tuning modal offers by default for this resource. */
export interface TuningDefaults {
  loginUsers: string[];
  databases: string[];
  namespaces: string[];
}

export const NO_DEFAULTS: TuningDefaults = { loginUsers: [], databases: [], namespaces: [] };

/** A provisioner type and its settings; secret settings are references (`env:NAME`, `file:/path`). */
export interface ProvisionerConfig {
  type: string;
  settings: Record<string, unknown>;
}

export interface Resource {
  id: string;
  name: string;
  type: ResourceType;
  tags: string[];
  description: string;
  defaults: TuningDefaults;
  provisioner: ProvisionerConfig | null;
}
