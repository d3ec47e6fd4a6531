import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { BundlePickView } from '../domain/bundle-view.js';
import type { Bundle } from '../domain/bundle.js';
import type { BundleRow, ManagedBy } from '../domain/catalog.js';
import type { TargetProgress } from '../domain/request.js';
import type { Executor } from './client.js';
import { accessRequests, bundleRequests, bundles } from './schema/index.js';

const bundleColumns = {
  id: bundles.id,
  name: bundles.name,
  description: bundles.description,
  parts: bundles.parts,
  durationMinutes: bundles.durationMinutes,
  requesterUsers: bundles.requesterUsers,
  requesterGroups: bundles.requesterGroups,
  managedBy: bundles.managedBy,
};

export async function listBundles(db: Executor): Promise<BundleRow[]> {
  return db.select(bundleColumns).from(bundles).orderBy(asc(bundles.name));
}

export async function upsertBundle(
  db: Executor,
  id: string,
  input: Omit<Bundle, 'id'>,
  managedBy: ManagedBy,
  now: Date,
) {
  await db
    .insert(bundles)
    .values({ id, ...input, managedBy, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({ target: bundles.name, set: { ...input, managedBy, updatedAt: now } });
}

export async function lockBundle(tx: Executor, id: string): Promise<BundleRow | undefined> {
  const [row] = await tx.select(bundleColumns).from(bundles).where(eq(bundles.id, id)).for('update');
  return row;
}

export async function deleteBundleRow(tx: Executor, id: string) {
  await tx.delete(bundles).where(eq(bundles.id, id));
}

/** Removes the file-managed bundles a plan names (never one App Home owns). */
export async function deleteFileManagedBundles(tx: Executor, names: string[]) {
  if (names.length === 0) return;
  await tx.delete(bundles).where(and(eq(bundles.managedBy, 'file'), inArray(bundles.name, names)));
}

export async function insertBundleRequest(
  tx: Executor,
  row: { id: string; bundleName: string; requesterId: string; leftOut: string[]; createdAt: Date },
) {
  await tx.insert(bundleRequests).values(row);
}

/** Records the DM once posted; false when another delivery recorded one first. */
export async function setBundleMessage(tx: Executor, id: string, channel: string, ts: string): Promise<boolean> {
  const rows = await tx
    .update(bundleRequests)
    .set({ messageChannel: channel, messageTs: ts })
    .where(and(eq(bundleRequests.id, id), isNull(bundleRequests.messageTs)))
    .returning({ id: bundleRequests.id });
  return rows.length > 0;
}

/** A bundle pick with its parts (one statement each), for its requester's DM. */
export async function bundlePickView(db: Executor, id: string): Promise<BundlePickView | undefined> {
  const [pick] = await db.select().from(bundleRequests).where(eq(bundleRequests.id, id));
  if (!pick) return undefined;
  const parts = await db
    .select({
      requestId: accessRequests.id,
      flowName: accessRequests.flowName,
      status: accessRequests.status,
      approvers: accessRequests.notifiedApprovers,
      resources: sql<string[]>`(select coalesce(json_agg(rr.name order by rr.position), '[]'::json)
        from request_resources rr where rr.request_id = ${accessRequests.id})`,
      targets: sql<TargetProgress[]>`(select coalesce(json_agg(json_build_object(
          'resource', t.resource_name, 'status', t.status) order by t.resource_name), '[]'::json)
        from grant_targets t join grants g on g.id = t.grant_id where g.request_id = "access_requests"."id")`,
    })
    .from(accessRequests)
    .where(eq(accessRequests.bundleRequestId, id))
    .orderBy(asc(accessRequests.flowName));
  return {
    id: pick.id,
    bundleName: pick.bundleName,
    requesterId: pick.requesterId,
    leftOut: pick.leftOut,
    message: pick.messageChannel && pick.messageTs ? { channel: pick.messageChannel, ts: pick.messageTs } : null,
    parts,
  };
}
