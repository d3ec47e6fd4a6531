import { z } from 'zod';
import { ResourceTypeSchema } from './resource.js';

/**
 * What an approver grants for one resource: the tuning narrows the access, never widens it.
 * One policy per approved request lists the granted resources with their limits.
 */
export const DatabaseAccessSchema = z.enum(['read-only', 'read-write']);
export const KubernetesRoleSchema = z.enum(['view', 'edit', 'admin']);
export const HttpAccessSchema = z.enum(['read-only', 'full']);

const Names = z.array(z.string().min(1).max(64)).max(20);

export const ResourceGrantSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ssh'), resource: z.string(), loginUsers: Names.min(1) }),
  z.object({ type: z.literal('database'), resource: z.string(), access: DatabaseAccessSchema, databases: Names }),
  z.object({ type: z.literal('kubernetes'), resource: z.string(), role: KubernetesRoleSchema, namespaces: Names.min(1) }),
  z.object({ type: z.literal('http'), resource: z.string(), access: HttpAccessSchema }),
  z.object({ type: z.literal('generic'), resource: z.string() }),
]);
export type ResourceGrant = z.infer<typeof ResourceGrantSchema>;

export const PolicySchema = z.object({
  resources: z.array(ResourceGrantSchema).min(1),
  durationMinutes: z.number().int().positive(),
});
export type Policy = z.infer<typeof PolicySchema>;

export { ResourceTypeSchema };

/** A one-line human summary of one resource's grant, e.g. "prod-db: read-only (databases: app)". */
export function describeGrant(g: ResourceGrant): string {
  switch (g.type) {
    case 'ssh':
      return `${g.resource}: login as ${g.loginUsers.join(', ')}`;
    case 'database':
      return `${g.resource}: ${g.access}${g.databases.length > 0 ? ` (databases: ${g.databases.join(', ')})` : ' (all databases)'}`;
    case 'kubernetes':
      return `${g.resource}: ${g.role} in ${g.namespaces.join(', ')}`;
    case 'http':
      return `${g.resource}: ${g.access}`;
    case 'generic':
      return g.resource;
  }
}

/** Splits "a, b  c" into ["a","b","c"]: approvers type lists of users, databases and namespaces. */
export function splitList(text: string | null | undefined): string[] {
  return [...new Set((text ?? '').split(/[\s,]+/).map((s) => s.trim()).filter(Boolean))];
}
