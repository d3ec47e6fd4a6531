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

export interface Resource {
  id: string;
  name: string;
  type: ResourceType;
  tags: string[];
  description: string;
}
