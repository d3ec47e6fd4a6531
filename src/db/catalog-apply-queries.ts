import { and, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Executor } from './client.js';
import { flows, outbox, resources } from './schema/index.js';

/**
 * One fixed advisory lock (transaction-scoped) serializes applies of ACCESS_CONFIG: at start and on each
 * reload, from every replica. The second of two concurrent applies reads the catalogue after the first
 * committed, so applying the same file twice writes nothing the second time. (The audit chain's is 7_130_551,
 * the migrations' 7_130_552.)
 */
const CATALOG_APPLY_LOCK = 7_130_553;

export async function lockCatalogApply(tx: Executor): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${CATALOG_APPLY_LOCK})`);
}

/** Removes the file-managed rows a plan names (never a row App Home or a group source owns). */
export async function deleteFileManagedRows(tx: Executor, names: { resources: string[]; flows: string[] }) {
  const removedFlows = names.flows.length
    ? await tx
        .delete(flows)
        .where(and(eq(flows.managedBy, 'file'), inArray(flows.name, names.flows)))
        .returning({ name: flows.name })
    : [];
  const removedResources = names.resources.length
    ? await tx
        .delete(resources)
        .where(and(eq(resources.managedBy, 'file'), inArray(resources.name, names.resources)))
        .returning({ name: resources.name })
    : [];
  return { flows: removedFlows.map((r) => r.name), resources: removedResources.map((r) => r.name) };
}

/**
 * Whether admins were already told (an outbox item of `topic` with this `digest` queued since `since`): each
 * replica refuses the same broken file, but the admins hear of it once.
 */
export async function noticeQueuedSince(tx: Executor, topic: string, digest: string, since: Date): Promise<boolean> {
  const [row] = await tx
    .select({ id: outbox.id })
    .from(outbox)
    .where(and(eq(outbox.topic, topic), sql`${outbox.payload}->>'digest' = ${digest}`, gt(outbox.createdAt, since)))
    .limit(1);
  return row !== undefined;
}
