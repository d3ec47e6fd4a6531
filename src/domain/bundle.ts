import { z } from 'zod';
import { DurationText, People } from './file-fields.js';
import { flowCoversResource, type Flow, type Identity, type RequestableResource } from './flow.js';
import { narrowestPolicy, ResourceGrantSchema, type Policy, type ResourceGrant } from './policy.js';
import { ResourceNameSchema, type Resource, type ResourceType } from './resource.js';

/**
 * A bundle (an access profile, "incident-responder"): named resources, each with the scope it asks for,
 * and a default duration, requested as one pick (docs/adr/0010-bundles.md). Its parts are split into one
 * request per flow as any selection is; a part's tuning is that request's requested scope, which no
 * approval can widen.
 */
export interface BundlePart {
  resource: string;
  /** The scope asked for (a grant of the resource's type); null: whatever the approver grants. */
  tuning: ResourceGrant | null;
}

export interface Bundle {
  id: string;
  name: string;
  description: string;
  parts: BundlePart[];
  /** The duration the form picks when the bundle is chosen (capped to what the parts' flows offer). */
  durationMinutes: number;
  /** Who may see the bundle (both empty: anyone who may request one of its parts). */
  requesterUsers: string[];
  requesterGroups: string[];
}

export const MAX_BUNDLE_PARTS = 20;

const Names = z.array(z.string().min(1).max(64)).max(20);

/** A part's tuning in the file, in the file's words: the fields of a grant of the resource's type. */
export const BundleTuningFileSchema = z.strictObject({
  access: z.string().optional(),
  databases: Names.optional(),
  role: z.string().optional(),
  namespaces: Names.optional(),
  login_users: Names.optional(),
  roles: Names.optional(),
  permission: z.string().optional(),
});
export type BundleTuningFile = z.infer<typeof BundleTuningFileSchema>;

const BundlePartFileSchema = z.union([
  ResourceNameSchema,
  z.strictObject({ name: ResourceNameSchema, tuning: BundleTuningFileSchema.optional() }),
]);

export const FileBundleSchema = z.strictObject({
  name: ResourceNameSchema,
  description: z.string().max(500).default(''),
  resources: z.array(BundlePartFileSchema).min(1, 'name at least one resource').max(MAX_BUNDLE_PARTS),
  duration: DurationText,
  requesters: People.optional(),
});
export type FileBundle = z.infer<typeof FileBundleSchema>;

/** Which file keys a grant of each type takes (the rest of a tuning is a mistake worth a sentence). */
const TUNING_KEYS: Record<ResourceType, (keyof BundleTuningFile)[]> = {
  ssh: ['login_users'],
  database: ['access', 'databases'],
  kubernetes: ['role', 'namespaces'],
  http: ['access'],
  cloud: ['roles'],
  group: [],
  repository: ['permission'],
  generic: [],
};

/** A part's file tuning as a grant of `type`, or the sentence that says why it does not fit. */
export function grantFromTuning(
  type: ResourceType,
  resource: string,
  tuning: BundleTuningFile,
): { grant: ResourceGrant } | { problem: string; key?: string } {
  const allowed = TUNING_KEYS[type];
  const stray = Object.keys(tuning).find((k) => !allowed.includes(k as keyof BundleTuningFile));
  if (stray)
    return {
      problem: allowed.length
        ? `a ${type} resource is tuned with ${allowed.join(', ')}, not ${stray}`
        : `a ${type} resource has nothing to tune`,
      key: stray,
    };
  const { login_users, ...rest } = tuning;
  const raw = {
    type,
    resource,
    ...rest,
    ...(login_users ? { loginUsers: login_users } : {}),
    ...(type === 'database' && !rest.databases ? { databases: [] } : {}),
  };
  const parsed = ResourceGrantSchema.safeParse(raw);
  if (parsed.success) return { grant: parsed.data };
  const issue = parsed.error.issues[0]!;
  const field = String(issue.path[0] ?? '');
  return {
    problem: `${field === 'loginUsers' ? 'login_users' : field || 'tuning'}: ${issue.message}`,
    key: field === 'loginUsers' ? 'login_users' : field,
  };
}

/** A grant back to the file's words (the type and resource are the resource's own). */
export function tuningToFile(g: ResourceGrant): BundleTuningFile {
  const { type: _t, resource: _r, ...rest } = g as ResourceGrant & { loginUsers?: string[] };
  const { loginUsers, ...others } = rest as Record<string, unknown> & { loginUsers?: string[] };
  return { ...(others as BundleTuningFile), ...(loginUsers ? { login_users: loginUsers } : {}) };
}

/** The file's bundle as the catalogue holds it, given the types of the resources it names. */
export function bundleFromFile(b: FileBundle, typeOf: (name: string) => ResourceType | undefined): Omit<Bundle, 'id'> {
  return {
    name: b.name,
    description: b.description,
    parts: b.resources.map((p) => {
      if (typeof p === 'string' || !p.tuning) return { resource: typeof p === 'string' ? p : p.name, tuning: null };
      const type = typeOf(p.name);
      const made = type ? grantFromTuning(type, p.name, p.tuning) : null;
      return { resource: p.name, tuning: made && 'grant' in made ? made.grant : null };
    }),
    durationMinutes: b.duration,
    requesterUsers: b.requesters?.users ?? [],
    requesterGroups: b.requesters?.groups ?? [],
  };
}

export function bundleToFile(b: Omit<Bundle, 'id'>, minutesText: (m: number) => string): Record<string, unknown> {
  return {
    name: b.name,
    ...(b.description ? { description: b.description } : {}),
    resources: b.parts.map((p) => (p.tuning ? { name: p.resource, tuning: tuningToFile(p.tuning) } : p.resource)),
    duration: minutesText(b.durationMinutes),
    ...(b.requesterUsers.length + b.requesterGroups.length
      ? {
          requesters: {
            ...(b.requesterUsers.length ? { users: b.requesterUsers } : {}),
            ...(b.requesterGroups.length ? { groups: b.requesterGroups } : {}),
          },
        }
      : {}),
  };
}

export interface BundleProblem {
  path: (string | number)[];
  message: string;
}

/**
 * What the file's bundles get wrong against its resources and flows: unknown resources, a resource named
 * twice, tuning that does not fit the resource's type, and a duration longer than every flow covering a
 * part allows (no approval could grant it). Paths are relative to the bundle.
 */
export function bundleProblems(
  b: Omit<Bundle, 'id' | 'parts'> & { parts: { resource: string; tuning: BundleTuningFile | undefined }[] },
  resources: readonly Pick<Resource, 'name' | 'type' | 'tags'>[],
  flows: readonly Flow[],
): BundleProblem[] {
  const problems: BundleProblem[] = [];
  const seen = new Set<string>();
  b.parts.forEach((part, i) => {
    const resource = resources.find((r) => r.name === part.resource);
    if (!resource) return problems.push({ path: ['resources', i], message: `unknown resource "${part.resource}"` });
    if (seen.has(part.resource))
      problems.push({ path: ['resources', i], message: `"${part.resource}" is named twice` });
    seen.add(part.resource);
    if (part.tuning) {
      const made = grantFromTuning(resource.type, resource.name, part.tuning);
      if ('problem' in made)
        problems.push({ path: ['resources', i, 'tuning', ...(made.key ? [made.key] : [])], message: made.problem });
    }
    const covering = flows.filter((f) => f.enabled && flowCoversResource(f, resource));
    const longest = Math.max(0, ...covering.map((f) => f.maxDurationMinutes));
    if (covering.length > 0 && b.durationMinutes > longest)
      problems.push({
        path: ['duration'],
        message: `longer than any flow covering ${resource.name} allows (${longest} minutes at most)`,
      });
  });
  return problems;
}

/** Whether the bundle's requester restriction lets this person see it. */
function mayUse(b: Bundle, who: Identity): boolean {
  if (b.requesterUsers.length + b.requesterGroups.length === 0) return true;
  return b.requesterUsers.includes(who.userId) || b.requesterGroups.some((g) => who.groupIds.has(g));
}

export interface BundleOffer {
  bundle: Bundle;
  /** The parts this person may request, as the request form picks them. */
  parts: RequestableResource[];
  /** The parts no flow lets them request: left out of what they send, and said so in the form. */
  leftOut: string[];
}

/**
 * The bundles a person sees: those they may use with at least one part they may request. A bundle with
 * parts they may not request is still shown, with those parts named and left out.
 */
export function bundlesFor(
  bundles: readonly Bundle[],
  requestable: readonly RequestableResource[],
  who: Identity,
): BundleOffer[] {
  return bundles
    .filter((b) => mayUse(b, who))
    .map((bundle) => {
      const parts = bundle.parts.flatMap((p) => requestable.filter((r) => r.resource.name === p.resource));
      const leftOut = bundle.parts.map((p) => p.resource).filter((n) => !parts.some((r) => r.resource.name === n));
      return { bundle, parts, leftOut };
    })
    .filter((o) => o.parts.length > 0)
    .sort((a, b) => a.bundle.name.localeCompare(b.bundle.name));
}

/** The bundle's duration among those offered: itself when offered, else the longest offered below it (else the shortest). */
export function bundleDuration(bundle: Pick<Bundle, 'durationMinutes'>, offered: readonly number[]): number | null {
  if (offered.includes(bundle.durationMinutes)) return bundle.durationMinutes;
  const below = offered.filter((d) => d <= bundle.durationMinutes);
  return below.length > 0 ? Math.max(...below) : (offered[0] ?? null);
}

/** The requested scope of the bundle's parts among `resources` (parts without tuning ask for nothing in particular). */
export function requestedScope(bundle: Pick<Bundle, 'parts'>, resources: readonly string[]): ResourceGrant[] {
  return bundle.parts.flatMap((p) => (p.tuning && resources.includes(p.resource) ? [p.tuning] : []));
}

/**
 * A policy held within the requested scope: each grant narrowed by what was asked for its resource (the
 * narrowest of both, ADR 0004's rule). Null when a grant has nothing in common with what was asked.
 */
export function withinRequested(policy: Policy, requested: readonly ResourceGrant[]): Policy | null {
  const resources: ResourceGrant[] = [];
  for (const g of policy.resources) {
    const asked = requested.find((r) => r.resource === g.resource && r.type === g.type);
    if (!asked) {
      resources.push(g);
      continue;
    }
    const narrowed = narrowestPolicy([
      { resources: [g], durationMinutes: 1 },
      { resources: [asked], durationMinutes: 1 },
    ]);
    if (!narrowed) return null;
    resources.push(narrowed.resources[0]!);
  }
  return { resources, durationMinutes: policy.durationMinutes };
}
