import { PROVIDER_NAMES, type GroupSource, type GroupSourceKind } from './group-source.js';
import type { ProvisionerConfig, Resource } from './resource.js';
import { NO_DEFAULTS } from './resource.js';

/**
 * What a group sync decides, as pure functions: the resource a group becomes, and the changes that make
 * the catalogue match the groups a source lists. Only rows the source itself made are ever touched.
 */

/** A group as the source lists it. */
export interface SourceGroup {
  id: string;
  name: string;
  description: string;
}

/** A resource this source made, as it is now. */
export interface SyncedRow {
  id: string;
  name: string;
  groupId: string;
  groupName: string;
  resource: Omit<Resource, 'id'>;
  retired: boolean;
  /** Open requests name it, or removals of its grants are still under way: its name is in use. */
  busy: boolean;
}

export type SyncChange =
  | { kind: 'create'; group: SourceGroup; resource: Omit<Resource, 'id'> }
  | {
      kind: 'update';
      row: SyncedRow;
      group: SourceGroup;
      resource: Omit<Resource, 'id'>;
      /** The group was renamed but the resource keeps its name while requests or removals use it. */
      renameDeferred: boolean;
    }
  | { kind: 'skip'; group: SourceGroup; reason: string };

export interface SyncPlan {
  changes: SyncChange[];
  /** Live rows whose group the listing no longer holds: retired once a direct read confirms it. */
  missing: SyncedRow[];
}

/** A resource name from a group name: lower case, runs of other characters as one `-`, at most 64. */
export function resourceNameFor(prefix: string, groupName: string): string | null {
  const slug = groupName
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/-+$/, '');
  const name = `${prefix}${slug}`.slice(0, 64).replace(/[-._]+$/, '');
  return /^[a-z0-9][a-z0-9._-]*$/.test(name) ? name : null;
}

/** The provisioner settings of one group: the source's connection plus the group's id. */
export function provisionerFor(source: GroupSource, groupId: string): ProvisionerConfig {
  return { type: source.kind, settings: { ...source.connection, group_id: groupId } };
}

/** The resource a group becomes (its name chosen by the caller). */
export function resourceFor(source: GroupSource, group: SourceGroup, name: string): Omit<Resource, 'id'> {
  return {
    name,
    type: 'group',
    tags: [...source.tags],
    description: (
      group.description.trim() || `Membership of the ${PROVIDER_NAMES[source.kind]} group ${group.name}`
    ).slice(0, 500),
    defaults: { ...NO_DEFAULTS },
    provisioner: provisionerFor(source, group.id),
  };
}

/** JSON with object keys sorted at every depth: jsonb hands objects back in its own key order. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** The top-level fields whose values differ between two shapes (key order aside). */
export function changedFields(before: object, after: object): string[] {
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  return Object.keys(a).filter((k) => stableJson(b[k]) !== stableJson(a[k]));
}

/** Whether the stored resource differs from what the group makes of it. */
const differs = (current: Omit<Resource, 'id'>, wanted: Omit<Resource, 'id'>) =>
  changedFields(current, wanted).length > 0;

/**
 * The changes that make the source's rows match `groups`. `takenNames`: resource names held by rows the
 * source did not make (the file, App Home, another source): a group whose name would clash is skipped
 * with a reason, never merged into a hand-made resource.
 */
export function planGroupSync(
  source: GroupSource,
  groups: readonly SourceGroup[],
  rows: readonly SyncedRow[],
  takenNames: ReadonlySet<string>,
): SyncPlan {
  const byGroup = new Map(rows.map((r) => [r.groupId, r]));
  const listed = new Set<string>();
  const claimed = new Map<string, string>(); // resource name -> group id, within this plan
  const changes: SyncChange[] = [];
  // Rows that keep their names first, so a new group never takes the name of one that stays.
  for (const r of rows) if (!r.retired || groups.some((g) => g.id === r.groupId)) claimed.set(r.name, r.groupId);
  // A retired row keeps its name until the removals of its grants are done and it is deleted.
  const retiredNames = new Set(rows.filter((r) => r.retired && !claimed.has(r.name)).map((r) => r.name));
  const sorted = [...groups].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  for (const group of sorted) {
    if (listed.has(group.id)) continue;
    listed.add(group.id);
    const row = byGroup.get(group.id);
    const wantedName = resourceNameFor(source.resourcePrefix, group.name);
    if (!wantedName) {
      changes.push({ kind: 'skip', group, reason: `its name makes no resource name (letters or digits needed)` });
      continue;
    }
    const holder = claimed.get(wantedName);
    const clash = takenNames.has(wantedName)
      ? `a resource named ${wantedName} exists already and was not made by this source`
      : retiredNames.has(wantedName)
        ? `the resource name ${wantedName} still belongs to a retired group until the removals of its grants are done`
        : holder !== undefined && holder !== group.id
          ? `another group of this source already gives the resource name ${wantedName}`
          : null;
    if (!row) {
      if (clash) {
        changes.push({ kind: 'skip', group, reason: clash });
        continue;
      }
      claimed.set(wantedName, group.id);
      changes.push({ kind: 'create', group, resource: resourceFor(source, group, wantedName) });
      continue;
    }
    // A rename the name cannot follow (in use, or clashing) keeps the old name; the rest is updated now.
    const renameDeferred = wantedName !== row.name && (row.busy || clash !== null);
    const name = renameDeferred ? row.name : wantedName;
    if (name !== row.name) {
      claimed.delete(row.name);
      claimed.set(name, group.id);
    }
    const resource = resourceFor(source, group, name);
    if (row.retired || group.name !== row.groupName || differs(row.resource, resource))
      changes.push({ kind: 'update', row, group, resource, renameDeferred });
  }
  const missing = rows.filter((r) => !r.retired && !listed.has(r.groupId));
  return { changes, missing };
}

/**
 * Why a grant ended or a request was cancelled when its group left the source: `ended_by` holds this
 * marker instead of a user id, so every message re-rendered from the request says why.
 * `gone`: the group no longer exists; `unlisted`: it exists but no longer matches the source's filter.
 */
export type GroupEndReason = 'gone' | 'unlisted';

export interface GroupEnd {
  reason: GroupEndReason;
  kind: GroupSourceKind;
  /** The resource the group backed. */
  resource: string;
  provider: string;
}

export const groupEndedBy = (reason: GroupEndReason, kind: GroupSourceKind, resource: string) =>
  `sync:${reason}:${kind}:${resource}`;

export function groupEndOf(r: { endedBy: string | null }): GroupEnd | null {
  const m = /^sync:(gone|unlisted):(okta|entra):([a-z0-9][a-z0-9._-]*)$/.exec(r.endedBy ?? '');
  if (!m) return null;
  const kind = m[2] as GroupSourceKind;
  return { reason: m[1] as GroupEndReason, kind, resource: m[3]!, provider: PROVIDER_NAMES[kind] };
}
