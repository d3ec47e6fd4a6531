import { isDeepStrictEqual } from 'node:util';
import type { AccessFile } from './access-file.js';
import { bundlesFromFile, flowFromFile, resourceFromFile, toAccessFile } from './access-file-mapping.js';
import type { Bundle } from './bundle.js';
import type { BundleRow, FlowRow, ManagedBy, ResourceRow, SyncOrigin } from './catalog.js';
import type { Flow } from './flow.js';
import type { Resource } from './resource.js';

/**
 * What applying an ACCESS_CONFIG file does to the catalogue, decided before anything is written: `npm run
 * config -- plan` prints it, and applying (at start and on a reload) executes exactly this plan inside the
 * transaction that read the rows, so a plan and the apply that follows it cannot disagree.
 *
 * The rules are the file's since it existed: a row the file names is made to match it (one made in App Home
 * or by a group source is taken over: it becomes the file's); a file-managed row the file no longer names is
 * removed; rows made in App Home or by a group source that the file does not name are left alone.
 */
export type CatalogKind = 'resource' | 'flow' | 'bundle';

/** One field as a person reads it in the file (`max_duration`, `provisioner.admin_url`), secrets hidden. */
export interface FieldChange {
  field: string;
  before: string;
  after: string;
}

interface ChangeBase {
  kind: CatalogKind;
  name: string;
  /** Field by field: every field of an added or removed row, the differing ones of a changed row. */
  fields: FieldChange[];
}

/** A row to write: the existing row's id (null: a new row) and what it becomes. */
export type CatalogWrite =
  | { kind: 'resource'; id: string | null; input: Omit<Resource, 'id'> }
  | { kind: 'flow'; id: string | null; input: Omit<Flow, 'id'> }
  | { kind: 'bundle'; id: string | null; input: Omit<Bundle, 'id'> };

export type PlannedChange =
  | (ChangeBase & { action: 'add'; write: CatalogWrite })
  | (ChangeBase & {
      action: 'change';
      /** Who owned the row before: anything but `file` means the file takes it over. */
      from: ManagedBy;
      origin: SyncOrigin | null;
      write: CatalogWrite;
    })
  | (ChangeBase & { action: 'remove'; id: string });

export interface CatalogPlan {
  changes: PlannedChange[];
  /** Rows made in App Home or by a group source that the file does not name: not touched. */
  leftAlone: { app: number; sync: number };
}

const NONE = '(none)';
/** Settings whose literal value would be a secret: shown only when they hold a reference (env:…/file:…). */
const SECRET_FIELD = /(token|secret|key|password|admin_url|cert)/i;
const REFERENCE = /^(env|file):/;
/** `scheme://user:password@host`: the password part, wherever a URL sits. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)[^@\s/]+@/gi;

/** A value as the plan shows it: references as written, never a literal secret (nothing is ever resolved). */
export function shownValue(field: string, value: unknown): string {
  if (value === undefined) return NONE;
  const leaf = field.split('.').at(-1) ?? field;
  if (
    field.startsWith('provisioner.') &&
    SECRET_FIELD.test(leaf) &&
    !(typeof value === 'string' && REFERENCE.test(value))
  )
    return '(a value, hidden)';
  const text =
    typeof value === 'string'
      ? value
      : Array.isArray(value) && value.every((v) => typeof v === 'string')
        ? `[${value.join(', ')}]`
        : JSON.stringify(value);
  return text.replace(URL_PASSWORD, '$1***@');
}

/** Leaf paths of an entry in file form: objects open up, lists of plain values stay whole. */
function flatten(value: unknown, path: string, out: Map<string, unknown>) {
  const plainList = Array.isArray(value) && value.every((v) => typeof v !== 'object' || v === null);
  if (value !== null && typeof value === 'object' && !plainList) {
    for (const [k, v] of Object.entries(value))
      flatten(v, Array.isArray(value) ? `${path}[${k}]` : path ? `${path}.${k}` : k, out);
  } else if (path) out.set(path, value);
}

function fileForm(
  kind: CatalogKind,
  row: Omit<Resource, 'id'> | Omit<Flow, 'id'> | Omit<Bundle, 'id'> | undefined,
): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (!row) return out;
  const file =
    kind === 'resource'
      ? toAccessFile([row as Omit<Resource, 'id'>], []).resources
      : kind === 'flow'
        ? toAccessFile([], [row as Omit<Flow, 'id'>]).flows
        : toAccessFile([], [], [row as Omit<Bundle, 'id'>]).bundles;
  const { name: _name, ...entry } = (file as Record<string, unknown>[])[0]!;
  flatten(entry, '', out);
  return out;
}

/** The fields that differ, in the file's words; when the file form hides a difference, the catalogue's field names. */
export function fieldChanges<T extends object>(
  kind: CatalogKind,
  before: T | undefined,
  after: T | undefined,
): FieldChange[] {
  const a = fileForm(kind, before as never);
  const b = fileForm(kind, after as never);
  // In the file's order of the new entry, then what only the old one had.
  const keys = [...new Set([...b.keys(), ...a.keys()])];
  const fields = keys
    .filter((k) => !isDeepStrictEqual(a.get(k), b.get(k)))
    .map((k) => ({ field: k, before: shownValue(k, a.get(k)), after: shownValue(k, b.get(k)) }));
  if (fields.length > 0 || !before || !after) return fields;
  // A difference the file form does not carry (a default the export leaves out): name the catalogue's field.
  return Object.keys(after)
    .filter((k) => !isDeepStrictEqual((before as Record<string, unknown>)[k], (after as Record<string, unknown>)[k]))
    .map((k) => ({
      field: k,
      before: shownValue(k, (before as Record<string, unknown>)[k]),
      after: shownValue(k, (after as Record<string, unknown>)[k]),
    }));
}

/** Compares the fields the file sets (ids, timestamps and managed_by aside). */
export function sameContent<T extends object>(current: T, wanted: Partial<T>): boolean {
  // isDeepStrictEqual ignores key order: jsonb hands objects back with its own key order.
  return Object.entries(wanted).every(([k, v]) => isDeepStrictEqual((current as Record<string, unknown>)[k], v));
}

const strip = (row: ResourceRow | FlowRow | BundleRow): object => {
  const { id: _id, managedBy: _m, origin: _o, ...rest } = row as ResourceRow;
  return rest;
};

function planKind(
  kind: CatalogKind,
  current: readonly (ResourceRow | FlowRow | BundleRow)[],
  wanted: (Omit<Resource, 'id'> | Omit<Flow, 'id'> | Omit<Bundle, 'id'>)[],
): { changes: PlannedChange[]; leftAlone: { app: number; sync: number } } {
  const byName = new Map(current.map((r) => [r.name, r]));
  const named = new Set(wanted.map((w) => w.name));
  const changes: PlannedChange[] = [];
  for (const input of wanted) {
    const row = byName.get(input.name);
    const write = { kind, id: row?.id ?? null, input } as CatalogWrite;
    if (!row) {
      changes.push({ action: 'add', kind, name: input.name, fields: fieldChanges(kind, undefined, input), write });
      continue;
    }
    if (row.managedBy === 'file' && sameContent<object>(row, input)) continue;
    const fields = fieldChanges<object>(kind, strip(row), input);
    if (row.managedBy !== 'file') fields.unshift({ field: 'managed_by', before: row.managedBy, after: 'file' });
    const origin = (row as Partial<ResourceRow>).origin ?? null;
    changes.push({ action: 'change', kind, name: input.name, from: row.managedBy, origin, fields, write });
  }
  const leftAlone = { app: 0, sync: 0 };
  for (const row of current) {
    if (named.has(row.name)) continue;
    if (row.managedBy === 'file')
      changes.push({
        action: 'remove',
        kind,
        name: row.name,
        id: row.id,
        fields: fieldChanges<object>(kind, strip(row), undefined),
      });
    else leftAlone[row.managedBy]++;
  }
  return { changes, leftAlone };
}

/** The plan for `file` over the catalogue as read (resources, then flows, then bundles; within each, adds and changes in the file's order, then removals by name). */
export function planCatalog(
  current: { resources: readonly ResourceRow[]; flows: readonly FlowRow[]; bundles?: readonly BundleRow[] },
  file: Pick<AccessFile, 'resources' | 'flows'> & Partial<Pick<AccessFile, 'bundles'>>,
): CatalogPlan {
  const r = planKind('resource', current.resources, file.resources.map(resourceFromFile));
  const f = planKind('flow', current.flows, file.flows.map(flowFromFile));
  const b = planKind(
    'bundle',
    current.bundles ?? [],
    bundlesFromFile({ resources: file.resources, bundles: file.bundles ?? [] }),
  );
  return {
    changes: [...r.changes, ...f.changes, ...b.changes],
    leftAlone: {
      app: r.leftAlone.app + f.leftAlone.app + b.leftAlone.app,
      sync: r.leftAlone.sync + f.leftAlone.sync + b.leftAlone.sync,
    },
  };
}

/** "+ resource prod-db", "~ flow oncall", "- resource old-db": one line per change, as the audit keeps it. */
export function changeLine(c: Pick<PlannedChange, 'action' | 'kind' | 'name'>): string {
  return `${{ add: '+', change: '~', remove: '-' }[c.action]} ${c.kind} ${c.name}`;
}

export interface PlanSummary {
  add: number;
  change: number;
  remove: number;
}

export function planSummary(plan: Pick<CatalogPlan, 'changes'>): PlanSummary {
  const count = (a: PlannedChange['action']) => plan.changes.filter((c) => c.action === a).length;
  return { add: count('add'), change: count('change'), remove: count('remove') };
}

/** The plan without what apply writes: for `--json`, the audit trail and logs (secrets already hidden). */
export function planView(plan: CatalogPlan) {
  return {
    summary: planSummary(plan),
    changes: plan.changes.map((c) => ({
      action: c.action,
      kind: c.kind,
      name: c.name,
      ...(c.action === 'change' && c.from !== 'file'
        ? { takes_over: c.from === 'app' ? 'app_home' : 'group_source', ...(c.origin ? { origin: c.origin } : {}) }
        : {}),
      fields: c.fields,
    })),
    left_alone: { app_home: plan.leftAlone.app, group_sources: plan.leftAlone.sync },
  };
}
export type PlanView = ReturnType<typeof planView>;
