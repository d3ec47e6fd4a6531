import { z } from 'zod';
import { ResourceTypeSchema } from './resource.js';

/**
 * What an approver grants for one resource: the requester asks for resources and a time, the approver
 * sets the limits within what the resource allows (its cloud roles, the access levels below) and never
 * beyond the time or the resources asked. One policy per approved request lists the granted resources.
 */
export const DatabaseAccessSchema = z.enum(['read-only', 'read-write']);
export const KubernetesRoleSchema = z.enum(['view', 'edit', 'admin']);
export const HttpAccessSchema = z.enum(['read-only', 'full']);
/** GitHub's repository roles, least first (a collaborator holds exactly one). */
export const REPOSITORY_PERMISSIONS = ['read', 'triage', 'write', 'maintain', 'admin'] as const;
export const RepositoryPermissionSchema = z.enum(REPOSITORY_PERMISSIONS);
export type RepositoryPermission = z.infer<typeof RepositoryPermissionSchema>;
/** Higher is more: `write` includes everything `triage` may do. */
export const repositoryRank = (p: RepositoryPermission) => REPOSITORY_PERMISSIONS.indexOf(p);
/** Why a repository resource's `defaults.roles` is not one GitHub permission, or null. */
export function repositoryDefaultProblem(roles: readonly string[] | undefined): string | null {
  const list = roles ?? [];
  return list.length > 1 || list.some((r) => !RepositoryPermissionSchema.safeParse(r).success)
    ? `a repository's default is one permission among ${REPOSITORY_PERMISSIONS.join(', ')}`
    : null;
}

/**
 * A repository resource's default permission (its `defaults.roles`, first valid entry): what the tuning
 * modal pre-selects and auto-approval and break-glass grant. Null: none set.
 */
export function repositoryDefault(roles: readonly string[] | undefined): RepositoryPermission | null {
  const found = (roles ?? []).find((r) => RepositoryPermissionSchema.safeParse(r).success);
  return (found as RepositoryPermission | undefined) ?? null;
}

const Names = z.array(z.string().min(1).max(64)).max(20);

export const ResourceGrantSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ssh'), resource: z.string(), loginUsers: Names.min(1) }),
  z.object({ type: z.literal('database'), resource: z.string(), access: DatabaseAccessSchema, databases: Names }),
  z.object({
    type: z.literal('kubernetes'),
    resource: z.string(),
    role: KubernetesRoleSchema,
    namespaces: Names.min(1),
  }),
  z.object({ type: z.literal('http'), resource: z.string(), access: HttpAccessSchema }),
  // AWS permission set names or Google Cloud role ids, each one the resource's provisioner allows.
  z.object({
    type: z.literal('cloud'),
    resource: z.string(),
    roles: z.array(z.string().min(1).max(128)).min(1).max(20),
  }),
  z.object({ type: z.literal('group'), resource: z.string() }),
  // One GitHub repository role, among those the resource's provisioner allows.
  z.object({ type: z.literal('repository'), resource: z.string(), permission: RepositoryPermissionSchema }),
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
    case 'cloud':
      return `${g.resource}: ${g.roles.join(', ')}`;
    case 'group':
      return `${g.resource}: member`;
    case 'repository':
      return `${g.resource}: ${g.permission}`;
    case 'generic':
      return g.resource;
  }
}

/** Splits "a, b  c" into ["a","b","c"]: approvers type lists of users, databases and namespaces. */
export function splitList(text: string | null | undefined): string[] {
  return [
    ...new Set(
      (text ?? '')
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}

const ROLE_RANK = { view: 0, edit: 1, admin: 2 } as const;

/** Empty means "all" for databases; the intersection of two lists, where either may be "all". */
function intersectAllable(a: string[], b: string[]): string[] | null {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const both = a.filter((x) => b.includes(x));
  return both.length > 0 ? both : null;
}

function intersectRequired(a: string[], b: string[]): string[] | null {
  const both = a.filter((x) => b.includes(x));
  return both.length > 0 ? both : null;
}

/** The narrower of two grants of the same resource, or null when they have nothing in common. */
function narrowerGrant(a: ResourceGrant, b: ResourceGrant): ResourceGrant | null {
  switch (a.type) {
    case 'ssh': {
      const users = intersectRequired(a.loginUsers, (b as typeof a).loginUsers);
      return users ? { ...a, loginUsers: users } : null;
    }
    case 'database': {
      const other = b as typeof a;
      const databases = intersectAllable(a.databases, other.databases);
      const access = a.access === 'read-only' || other.access === 'read-only' ? 'read-only' : 'read-write';
      return databases ? { ...a, access, databases } : null;
    }
    case 'kubernetes': {
      const other = b as typeof a;
      const namespaces = intersectRequired(a.namespaces, other.namespaces);
      const role = ROLE_RANK[a.role] <= ROLE_RANK[other.role] ? a.role : other.role;
      return namespaces ? { ...a, role, namespaces } : null;
    }
    case 'http':
      return {
        ...a,
        access: a.access === 'read-only' || (b as typeof a).access === 'read-only' ? 'read-only' : 'full',
      };
    case 'cloud': {
      const roles = intersectRequired(a.roles, (b as typeof a).roles);
      return roles ? { ...a, roles } : null;
    }
    case 'repository': {
      const other = b as typeof a;
      return repositoryRank(a.permission) <= repositoryRank(other.permission) ? a : other;
    }
    case 'group':
    case 'generic':
      return a;
  }
}

/**
 * With N-of-M approvals every approver tunes on their own; the grant is the narrowest of all: the
 * shortest duration, only resources every approver kept, and per resource the intersection of what
 * each allowed. Returns null when nothing is left that all of them allowed.
 */
export function narrowestPolicy(policies: readonly Policy[]): Policy | null {
  const [first, ...rest] = policies;
  if (!first) return null;
  let resources: ResourceGrant[] = first.resources;
  let durationMinutes = first.durationMinutes;
  for (const p of rest) {
    durationMinutes = Math.min(durationMinutes, p.durationMinutes);
    resources = resources.flatMap((g) => {
      const other = p.resources.find((o) => o.resource === g.resource && o.type === g.type);
      const merged = other ? narrowerGrant(g, other) : null;
      return merged ? [merged] : [];
    });
  }
  return resources.length > 0 ? { resources, durationMinutes } : null;
}
