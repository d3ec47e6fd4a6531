import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Bundle } from '../domain/bundle.js';
import type { BundleRow, ManagedBy } from '../domain/catalog.js';
import type { Executor } from './client.js';
import { bundleRequests, bundles } from './schema/index.js';

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

export async function setBundleMessage(tx: Executor, id: string, channel: string, ts: string) {
  await tx.update(bundleRequests).set({ messageChannel: channel, messageTs: ts }).where(eq(bundleRequests.id, id));
}
