import { and, asc, eq, inArray, isNotNull, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { SyncOrigin } from '../domain/catalog.js';
import type { Resource, ResourceType } from '../domain/resource.js';
import type { Executor } from './client.js';
import { accessRequests, groupSyncState, requestResources, resources } from './schema/index.js';

/**
 * The group sync's reads and writes: the per-source lease that lets replicas take turns, the rows a source
 * made, and the changes to them. Rows the source did not make are never written here.
 */

/**
 * Takes the source's lease for `leaseSeconds` when nobody holds a live one and (unless `dueBefore` is null:
 * a sync on demand) the last run is older than `dueBefore`. One statement: of several replicas asking at
 * once, one gets it. Returns whether this owner holds it now.
 */
export async function claimSyncLease(
  db: Executor,
  source: string,
  owner: string,
  now: Date,
  leaseSeconds: number,
  dueBefore: Date | null,
): Promise<boolean> {
  const leasedUntil = new Date(now.getTime() + leaseSeconds * 1000);
  const free = or(isNull(groupSyncState.leasedUntil), lt(groupSyncState.leasedUntil, now));
  const due = dueBefore ? or(isNull(groupSyncState.lastRunAt), lte(groupSyncState.lastRunAt, dueBefore)) : undefined;
  const rows = await db
    .insert(groupSyncState)
    .values({ source, leaseOwner: owner, leasedUntil })
    .onConflictDoUpdate({
      target: groupSyncState.source,
      set: { leaseOwner: owner, leasedUntil },
      setWhere: and(free, due),
    })
    .returning({ owner: groupSyncState.leaseOwner });
  return rows[0]?.owner === owner;
}

/** Inside the writing transaction: the lease row locked, and whether this owner still holds it. */
export async function holdsSyncLease(tx: Executor, source: string, owner: string, now: Date): Promise<boolean> {
  const [row] = await tx
    .select({ owner: groupSyncState.leaseOwner, until: groupSyncState.leasedUntil })
    .from(groupSyncState)
    .where(eq(groupSyncState.source, source))
    .for('update');
  return row?.owner === owner && row.until !== null && row.until >= now;
}

/** Records how the run went and gives the lease back (only this owner's). */
export async function finishSync(
  db: Executor,
  source: string,
  owner: string,
  now: Date,
  outcome: { ok: true; summary: Record<string, unknown> } | { ok: false; error: string },
) {
  await db
    .update(groupSyncState)
    .set({
      leaseOwner: null,
      leasedUntil: null,
      lastRunAt: now,
      ...(outcome.ok ? { lastOkAt: now, lastError: null, lastSummary: outcome.summary } : { lastError: outcome.error }),
    })
    .where(and(eq(groupSyncState.source, source), eq(groupSyncState.leaseOwner, owner)));
}

export interface SyncedResourceRow {
  id: string;
  resource: Omit<Resource, 'id'>;
  origin: SyncOrigin;
  retired: boolean;
  busy: boolean;
}

/**
 * A resource is busy while a pending or active request names it, a grant target of it is not finished
 * (its removal still needs the provisioner settings), or a flow names it by name (a rename would break it).
 */
const busy = sql<boolean>`(
  exists (select 1 from request_resources rr join access_requests ar on ar.id = rr.request_id
          where rr.resource_id = ${resources.id} and ar.status in ('pending', 'active'))
  or exists (select 1 from grant_targets gt where gt.resource_name = ${resources.name}
             and gt.status in ('pending', 'active', 'removing'))
  or exists (select 1 from flows f where f.resource_names ? ${resources.name}
             or strpos(f.lifecycle::text, '"' || ${resources.name} || '"') > 0)
)`;

/** Every row this source made, retired ones too. */
export async function syncedResources(db: Executor, source: string): Promise<SyncedResourceRow[]> {
  const rows = await db
    .select({
      id: resources.id,
      name: resources.name,
      type: resources.type,
      tags: resources.tags,
      description: resources.description,
      defaults: resources.defaults,
      provisioner: resources.provisioner,
      externalId: resources.externalId,
      externalName: resources.externalName,
      retiredAt: resources.retiredAt,
      busy,
    })
    .from(resources)
    .where(and(eq(resources.syncSource, source), eq(resources.managedBy, 'sync')))
    .orderBy(asc(resources.name));
  return rows.map((r) => ({
    id: r.id,
    resource: {
      name: r.name,
      type: r.type as ResourceType,
      tags: r.tags,
      description: r.description,
      defaults: r.defaults,
      provisioner: r.provisioner,
    },
    origin: { source, groupId: r.externalId ?? '', groupName: r.externalName ?? '' },
    retired: r.retiredAt !== null,
    busy: Boolean(r.busy),
  }));
}

/** Names of every resource this source did not make (the file's, App Home's, other sources'). */
export async function namesNotFrom(db: Executor, source: string): Promise<Set<string>> {
  const rows = await db
    .select({ name: resources.name })
    .from(resources)
    .where(sql`${resources.syncSource} is distinct from ${source} or ${resources.managedBy} <> 'sync'`);
  return new Set(rows.map((r) => r.name));
}

export async function insertSyncedResource(
  tx: Executor,
  id: string,
  input: Omit<Resource, 'id'>,
  origin: SyncOrigin,
  now: Date,
) {
  await tx.insert(resources).values({
    id,
    ...input,
    managedBy: 'sync',
    syncSource: origin.source,
    externalId: origin.groupId,
    externalName: origin.groupName,
    createdAt: now,
    updatedAt: now,
  });
}

/** Updates a row of this source (and brings a retired one back); never a row someone took over. */
export async function updateSyncedResource(
  tx: Executor,
  id: string,
  input: Omit<Resource, 'id'>,
  origin: SyncOrigin,
  now: Date,
) {
  await tx
    .update(resources)
    .set({ ...input, externalName: origin.groupName, retiredAt: null, updatedAt: now })
    .where(and(eq(resources.id, id), eq(resources.managedBy, 'sync'), eq(resources.syncSource, origin.source)));
}

export async function retireSyncedResource(tx: Executor, id: string, source: string, now: Date) {
  await tx
    .update(resources)
    .set({ retiredAt: now, updatedAt: now })
    .where(and(eq(resources.id, id), eq(resources.managedBy, 'sync'), eq(resources.syncSource, source)));
}

/** Retired rows of this source nothing needs any more (no open request, no removal under way): deleted. */
export async function deleteSpentRetired(tx: Executor, source: string): Promise<string[]> {
  const rows = await tx
    .delete(resources)
    .where(
      and(
        eq(resources.syncSource, source),
        eq(resources.managedBy, 'sync'),
        isNotNull(resources.retiredAt),
        sql`not ${busy}`,
      ),
    )
    .returning({ name: resources.name });
  return rows.map((r) => r.name);
}

/** Requests naming this resource that are still open (pending) or hold access (active). */
export async function openRequestsNaming(
  tx: Executor,
  resourceId: string,
): Promise<Array<{ id: string; status: string }>> {
  return tx
    .selectDistinct({ id: accessRequests.id, status: accessRequests.status })
    .from(requestResources)
    .innerJoin(accessRequests, eq(accessRequests.id, requestResources.requestId))
    .where(and(eq(requestResources.resourceId, resourceId), inArray(accessRequests.status, ['pending', 'active'])))
    .orderBy(asc(accessRequests.id));
}

export interface SyncStateRow {
  source: string;
  lastRunAt: Date | null;
  lastOkAt: Date | null;
  lastError: string | null;
  lastSummary: Record<string, unknown> | null;
}

/** How each source's last run went (a source that never ran has no row). */
export async function syncStates(db: Executor): Promise<SyncStateRow[]> {
  return db
    .select({
      source: groupSyncState.source,
      lastRunAt: groupSyncState.lastRunAt,
      lastOkAt: groupSyncState.lastOkAt,
      lastError: groupSyncState.lastError,
      lastSummary: groupSyncState.lastSummary,
    })
    .from(groupSyncState)
    .orderBy(asc(groupSyncState.source));
}
