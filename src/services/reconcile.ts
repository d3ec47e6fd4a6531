import { grantById, targetsToReconcile } from '../db/grant-queries.js';
import { getRequestDetails } from '../db/request-queries.js';
import type { ServiceDeps } from './deps.js';
import { createReconcileMade } from './reconcile-made.js';
import type { TargetSteps } from './target-steps.js';

/** Reconcile, over the same target mechanics as provisioning (target-steps.ts); its fixes go through the outbox. */
export function createReconcile(deps: ServiceDeps, steps: Pick<TargetSteps, 'moveAudited' | 'contextFor' | 'shared'>) {
  const { db, clock } = deps;
  const { moveAudited, contextFor, shared } = steps;
  const removeUnclaimed = createReconcileMade(deps);

  /**
   * Compares the targets with the database: access that should exist but is gone is provisioned
   * again; access that should be gone but is present is removed again. Both are audited.
   */
  async function reconcile(): Promise<{ reprovisioned: number; removed: number }> {
    const since = new Date(clock.now().getTime() - 7 * 86400_000);
    let reprovisioned = 0;
    let removed = 0;
    for (const target of await targetsToReconcile(db, since, 500)) {
      const provisioner = deps.provisioners.get(target.provisioner);
      if (!provisioner?.isPresent) continue;
      const grant = await grantById(db, target.grantId);
      const request = grant && (await getRequestDetails(db, grant.requestId));
      if (!grant || !request) continue;
      try {
        const ctx = await contextFor(grant, request, target);
        const present = await provisioner.isPresent(ctx, target.state);
        const shouldBe = target.grantStatus === 'active';
        if (present === shouldBe) continue;
        // An ended grant's objects that a live grant still relies on are that grant's access, not leftovers.
        const mine = present ? (provisioner.sharedAccessKeys?.(ctx) ?? []) : [];
        if (mine.length > 0) {
          const { keep } = await shared.heldByOthers(grant, target, provisioner);
          if (mine.every((k) => keep.has(k))) continue;
        }
        const next = shouldBe ? 'pending' : 'removing';
        const fix = {
          topic: shouldBe ? ('grant.provision' as const) : ('grant.deprovision' as const),
          payload: { grantId: grant.id },
        };
        const found = {
          action: shouldBe ? ('reconcile.missing_access' as const) : ('reconcile.leftover_access' as const),
          details: { grantId: grant.id, resource: target.resourceName, provisioner: target.provisioner },
          then: fix,
        };
        if (
          !(await moveAudited(
            target.grantId,
            grant.requestId,
            target.resourceName,
            [target.status],
            { status: next },
            found,
          ))
        )
          continue;
        if (shouldBe) reprovisioned += 1;
        else removed += 1;
      } catch {
        // The target cannot be asked right now; the next reconcile tries again.
      }
    }
    if (reprovisioned + removed > 0) deps.afterCommit();
    // After the per-grant pass, whose removals are queued: what is left has no grant the bot knows of.
    removed += await removeUnclaimed();
    return { reprovisioned, removed };
  }

  return reconcile;
}
