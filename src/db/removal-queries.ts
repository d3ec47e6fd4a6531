import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Policy } from '../domain/policy.js';
import type { Executor } from './client.js';
import { grantColumns, targetColumns, type GrantForProvisioning, type TargetRow } from './grant-queries.js';
import { grants, grantTargets } from './schema/index.js';

export type GrantToRemove = GrantForProvisioning & { policy: Policy };

/** Grants whose access is being taken away, with what they granted (what each target is told). */
export async function grantsToRemove(db: Executor, ids: string[]): Promise<GrantToRemove[]> {
  if (ids.length === 0) return [];
  return db
    .select({ ...grantColumns, policy: grants.policy })
    .from(grants)
    .where(inArray(grants.id, ids));
}

/** The targets of these grants still marked for removal, by grant and resource. */
export async function removingTargets(db: Executor, grantIds: string[]): Promise<TargetRow[]> {
  if (grantIds.length === 0) return [];
  return db
    .select(targetColumns)
    .from(grantTargets)
    .where(and(inArray(grantTargets.grantId, grantIds), eq(grantTargets.status, 'removing')))
    .orderBy(asc(grantTargets.grantId), asc(grantTargets.resourceName));
}

/**
 * Marks these targets removed, in one statement, where they are still `removing` (another replica may
 * have recorded one first: its lease ran out while a target was slow). Returns the ones moved here.
 */
export async function markRemoved(
  tx: Executor,
  targets: { grantId: string; resourceName: string }[],
): Promise<{ grantId: string; resourceName: string }[]> {
  if (targets.length === 0) return [];
  const keys = sql.join(
    targets.map((t) => sql`(${t.grantId}, ${t.resourceName})`),
    sql`, `,
  );
  return tx
    .update(grantTargets)
    .set({ status: 'removed', lastError: null, updatedAt: sql`now()` })
    .where(
      and(
        eq(grantTargets.status, 'removing'),
        sql`(${grantTargets.grantId}, ${grantTargets.resourceName}) in (${keys})`,
      ),
    )
    .returning({ grantId: grantTargets.grantId, resourceName: grantTargets.resourceName });
}
