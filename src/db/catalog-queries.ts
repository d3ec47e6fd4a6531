import { asc, eq, inArray, notInArray, and } from 'drizzle-orm';
import type { Flow } from '../domain/flow.js';
import type { Resource, ResourceType } from '../domain/resource.js';
import type { Executor } from './client.js';
import { flows, resources, type ManagedBy } from './schema/index.js';

const resourceColumns = {
  id: resources.id,
  name: resources.name,
  type: resources.type,
  tags: resources.tags,
  description: resources.description,
  defaults: resources.defaults,
  managedBy: resources.managedBy,
};

export type ResourceRow = Resource & { managedBy: ManagedBy };
export type FlowRow = Flow & { managedBy: ManagedBy };

const toResource = (r: { type: string } & Omit<ResourceRow, 'type'>): ResourceRow => ({ ...r, type: r.type as ResourceType });

export async function listResources(db: Executor): Promise<ResourceRow[]> {
  const rows = await db.select(resourceColumns).from(resources).orderBy(asc(resources.name));
  return rows.map(toResource);
}

const flowColumns = {
  id: flows.id,
  name: flows.name,
  description: flows.description,
  resourceNames: flows.resourceNames,
  resourceTags: flows.resourceTags,
  requesterUsers: flows.requesterUsers,
  requesterGroups: flows.requesterGroups,
  approverUsers: flows.approverUsers,
  approverGroups: flows.approverGroups,
  requesterEveryone: flows.requesterEveryone,
  maxDurationMinutes: flows.maxDurationMinutes,
  durationChoices: flows.durationChoices,
  approvalsRequired: flows.approvalsRequired,
  allowSelfApproval: flows.allowSelfApproval,
  justification: flows.justification,
  notifyChannel: flows.notifyChannel,
  enabled: flows.enabled,
  managedBy: flows.managedBy,
};

export async function listFlows(db: Executor): Promise<FlowRow[]> {
  return db.select(flowColumns).from(flows).orderBy(asc(flows.name));
}

export async function findFlow(db: Executor, id: string): Promise<FlowRow | undefined> {
  const [row] = await db.select(flowColumns).from(flows).where(eq(flows.id, id));
  return row;
}

export type ResourceInput = Omit<Resource, 'id'>;
export type FlowInput = Omit<Flow, 'id'>;

export async function upsertResource(db: Executor, id: string, input: ResourceInput, managedBy: ManagedBy, now: Date) {
  await db
    .insert(resources)
    .values({ id, ...input, managedBy, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({
      target: resources.name,
      set: { type: input.type, tags: input.tags, description: input.description, defaults: input.defaults, managedBy, updatedAt: now },
    });
}

export async function upsertFlow(db: Executor, id: string, input: FlowInput, managedBy: ManagedBy, now: Date) {
  await db
    .insert(flows)
    .values({ id, ...input, managedBy, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({ target: flows.name, set: { ...input, managedBy, updatedAt: now } });
}

/** Removes file-managed rows the file no longer lists (rows made in App Home are left alone). */
export async function deleteFileManagedExcept(db: Executor, keepResources: string[], keepFlows: string[]) {
  const removedFlows = await db
    .delete(flows)
    .where(and(eq(flows.managedBy, 'file'), keepFlows.length ? notInArray(flows.name, keepFlows) : undefined))
    .returning({ name: flows.name });
  const removedResources = await db
    .delete(resources)
    .where(and(eq(resources.managedBy, 'file'), keepResources.length ? notInArray(resources.name, keepResources) : undefined))
    .returning({ name: resources.name });
  return { flows: removedFlows.map((r) => r.name), resources: removedResources.map((r) => r.name) };
}

export async function resourcesByName(db: Executor, names: string[]): Promise<ResourceRow[]> {
  if (names.length === 0) return [];
  const rows = await db.select(resourceColumns).from(resources).where(inArray(resources.name, names));
  return rows.map(toResource);
}
