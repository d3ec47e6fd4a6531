import { getRequestDetails, type RequestDetails } from '../db/request-queries.js';
import { grantById, liveSiblingTargets, type GrantForProvisioning, type TargetRow } from '../db/grant-queries.js';
import type { GrantContext, Provisioner } from '../provisioners/port.js';
import type { ServiceDeps } from './deps.js';

type ContextFor = (grant: GrantForProvisioning, request: RequestDetails, target: TargetRow) => Promise<GrantContext>;

export interface SharedAccess {
  /** Keys of objects other live grants of the same person rely on: a removal leaves these. */
  keep: Set<string>;
  /** Those grants' ids, for the audit trail. */
  holders: string[];
}

/**
 * Ending one grant never removes access another live grant still gives (AWS TEAM's issue #279: two
 * overlapping grants of one account assignment, the first ends and the second loses access early).
 * Per-person targets name their objects with `sharedAccessKeys`; this counts the references.
 */
export function createSharedAccess(deps: Pick<ServiceDeps, 'db'>, contextFor: ContextFor) {
  const { db } = deps;

  async function siblings(
    grant: GrantForProvisioning,
    target: TargetRow,
    provisioner: Provisioner,
    statuses: ReadonlySet<string>,
  ) {
    const out: { grantId: string; requestId: string; resourceName: string; status: string; keys: string[] }[] = [];
    if (!provisioner.sharedAccessKeys) return out;
    for (const s of await liveSiblingTargets(db, {
      grantId: grant.id,
      requesterId: grant.requesterId,
      resourceName: target.resourceName,
      provisioner: target.provisioner,
    })) {
      if (!statuses.has(s.status)) continue;
      const other = await grantById(db, s.grantId);
      const request = other && (await getRequestDetails(db, other.requestId));
      if (!other || !request) continue;
      const keys = await contextFor(other, request, s).then(
        (ctx) => provisioner.sharedAccessKeys!(ctx),
        () => [] as string[],
      );
      if (keys.length > 0)
        out.push({
          grantId: other.id,
          requestId: other.requestId,
          resourceName: s.resourceName,
          status: s.status,
          keys,
        });
    }
    return out;
  }

  /** What the removal of `target` must leave in place (pending siblings count: they are about to rely on it). */
  async function heldByOthers(
    grant: GrantForProvisioning,
    target: TargetRow,
    provisioner: Provisioner,
  ): Promise<SharedAccess> {
    const found = await siblings(grant, target, provisioner, new Set(['pending', 'active']));
    return { keep: new Set(found.flatMap((s) => s.keys)), holders: found.map((s) => s.grantId) };
  }

  /**
   * After a removal: an active sibling that shares a removed object was approved while the removal was
   * under way (it found the object still there, so its provisioning changed nothing). It must be
   * provisioned again; the caller moves it back to pending.
   */
  async function cutShort(
    grant: GrantForProvisioning,
    target: TargetRow,
    provisioner: Provisioner,
    removed: readonly string[],
  ) {
    if (removed.length === 0) return [];
    const gone = new Set(removed);
    return (await siblings(grant, target, provisioner, new Set(['active']))).filter((s) =>
      s.keys.some((k) => gone.has(k)),
    );
  }

  /**
   * Takes a target's access away, leaving what another live grant of the same person still relies on.
   * `afterwards` names the siblings a racing removal cut short (the caller provisions them again).
   */
  async function remove(
    grant: GrantForProvisioning,
    ctx: GrantContext,
    target: TargetRow,
    provisioner: Provisioner,
    state: Record<string, unknown>,
  ) {
    const mine = provisioner.sharedAccessKeys?.(ctx) ?? [];
    // Nothing this grant relies on is per person (no keys): no other grant can share it, nothing to ask.
    const { keep, holders } =
      mine.length > 0 ? await heldByOthers(grant, target, provisioner) : { keep: new Set<string>(), holders: [] };
    // Everything this grant relies on is still another grant's access: nothing to remove at all.
    if (!(mine.length > 0 && mine.every((k) => keep.has(k)))) await provisioner.deprovision(ctx, state, keep);
    const kept = mine.filter((k) => keep.has(k)).length;
    return {
      kept,
      holders,
      afterwards: () =>
        cutShort(
          grant,
          target,
          provisioner,
          mine.filter((k) => !keep.has(k)),
        ),
    };
  }

  return { heldByOthers, cutShort, remove };
}
