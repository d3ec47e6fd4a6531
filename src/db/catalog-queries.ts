import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Flow } from '../domain/flow.js';
import type { Resource, ResourceType } from '../domain/resource.js';
import type { Executor } from './client.js';
import type { FlowRow, ManagedBy, ResourceRow } from '../domain/catalog.js';
import { accessRequests, flows, resources } from './schema/index.js';

const resourceColumns = {
  id: resources.id,
  name: resources.name,
  type: resources.type,
  tags: resources.tags,
  description: resources.description,
  defaults: resources.defaults,
  provisioner: resources.provisioner,
  managedBy: resources.managedBy,
  syncSource: resources.syncSource,
  externalId: resources.externalId,
  externalName: resources.externalName,
};

export type { FlowRow, ResourceRow } from '../domain/catalog.js';

type RawResource = {
  type: string;
  syncSource: string | null;
  externalId: string | null;
  externalName: string | null;
} & Omit<ResourceRow, 'type' | 'origin'>;

const toResource = ({ syncSource, externalId, externalName, ...r }: RawResource): ResourceRow => ({
  ...r,
  type: r.type as ResourceType,
  origin:
    syncSource && externalId
      ? { source: syncSource, groupId: externalId, groupName: externalName ?? externalId }
      : null,
});

/** The catalogue's resources: retired synced rows (kept only for the removals of their grants) are not part of it. */
export async function listResources(db: Executor): Promise<ResourceRow[]> {
  const rows = await db
    .select(resourceColumns)
    .from(resources)
    .where(isNull(resources.retiredAt))
    .orderBy(asc(resources.name));
  return rows.map(toResource);
}

export const flowColumns = {
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
  lifecycle: flows.lifecycle,
  identity: flows.identity,
  review: flows.review,
  stages: flows.stages,
  onBehalf: flows.onBehalf,
  fields: flows.fields,
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
      set: {
        type: input.type,
        tags: input.tags,
        description: input.description,
        defaults: input.defaults,
        provisioner: input.provisioner,
        managedBy,
        // The file or an admin taking over a synced row makes it theirs: the sync no longer touches it.
        syncSource: null,
        externalId: null,
        externalName: null,
        retiredAt: null,
        updatedAt: now,
      },
    });
}

export async function upsertFlow(db: Executor, id: string, input: FlowInput, managedBy: ManagedBy, now: Date) {
  await db
    .insert(flows)
    .values({ id, ...input, managedBy, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({ target: flows.name, set: { ...input, managedBy, updatedAt: now } });
}

export async function resourcesByName(db: Executor, names: string[]): Promise<ResourceRow[]> {
  if (names.length === 0) return [];
  const rows = await db.select(resourceColumns).from(resources).where(inArray(resources.name, names));
  return rows.map(toResource);
}

export async function lockFlow(tx: Executor, id: string): Promise<FlowRow | undefined> {
  const [row] = await tx.select(flowColumns).from(flows).where(eq(flows.id, id)).for('update');
  return row;
}

export async function lockResource(tx: Executor, id: string): Promise<ResourceRow | undefined> {
  const [row] = await tx.select(resourceColumns).from(resources).where(eq(resources.id, id)).for('update');
  return row ? toResource(row) : undefined;
}

export async function setFlowEnabled(tx: Executor, id: string, enabled: boolean, now: Date) {
  await tx.update(flows).set({ enabled, updatedAt: now }).where(eq(flows.id, id));
}

export async function deleteFlowRow(tx: Executor, id: string) {
  await tx.delete(flows).where(eq(flows.id, id));
}

export async function deleteResourceRow(tx: Executor, id: string) {
  await tx.delete(resources).where(eq(resources.id, id));
}

/** Requests through this flow that are still open (pending or active). */
export async function flowUsage(tx: Executor, flowId: string): Promise<number> {
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(accessRequests)
    .where(and(eq(accessRequests.flowId, flowId), inArray(accessRequests.status, ['pending', 'active'])));
  return row?.n ?? 0;
}

/** Every tag on a resource or named by a flow, sorted. */
export async function tagsInUse(db: Executor): Promise<string[]> {
  const rows = await db.execute<{ tag: string }>(
    sql`select distinct t as tag from (select jsonb_array_elements_text(tags) as t from resources where retired_at is null union select jsonb_array_elements_text(resource_tags) from flows) x order by 1`,
  );
  const list = Array.isArray(rows) ? rows : (rows as unknown as { rows: { tag: string }[] }).rows;
  return list.map((r) => r.tag);
}

/** A flow's named requesters and approvers (an access review's Remove takes one person out of both). */
export async function setFlowPeople(
  tx: Executor,
  id: string,
  people: { requesterUsers: string[]; approverUsers: string[] },
  now: Date,
) {
  await tx
    .update(flows)
    .set({ requesterUsers: people.requesterUsers, approverUsers: people.approverUsers, updatedAt: now })
    .where(eq(flows.id, id));
}
