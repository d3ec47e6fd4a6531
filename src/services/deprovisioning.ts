import { appendAudits } from '../db/audit-queries.js';
import { grantsToRemove, markRemoved, removingTargets, type GrantToRemove } from '../db/removal-queries.js';
import type { TargetRow } from '../db/grant-queries.js';
import { createGrantContextBatch } from './grant-context.js';
import type { ServiceDeps } from './deps.js';
import { RetryLater } from './retry-later.js';
import type { SharedAccess } from './shared-access.js';
import type { TargetSteps } from './target-steps.js';

/** How many people's removals run side by side (each person's in turn). */
const PEOPLE_AT_ONCE = 8;

const DONE: PromiseSettledResult<void> = { status: 'fulfilled', value: undefined };
const failed = (reason: unknown): PromiseSettledResult<void> => ({ status: 'rejected', reason });

interface Removed {
  grant: GrantToRemove;
  target: TargetRow;
  kept: Pick<SharedAccess, 'holders'> & { kept: number };
  afterwards: () => Promise<Awaited<ReturnType<TargetSteps['shared']['cutShort']>>>;
}

/** Runs `work` on each of `items`, at most `limit` at a time. */
async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/**
 * Takes grants away from their targets, many at a time (a burst of expiries, the outbox's
 * `grant.deprovision` items): one read of the grants, their targets, resources and SSH keys for the
 * lot; the targets' removals side by side, one person's in turn (per-person objects may be shared
 * between their grants: shared-access.ts); then one transaction recording every removal with its
 * audit row. A crash before that transaction leaves the targets `removing`: the retry removes again,
 * which a target answers as done. Each grant's outcome is its own: one failing target retries only its
 * grant's item, and removal is never given up.
 */
export function createDeprovisioning(deps: ServiceDeps, steps: TargetSteps) {
  const { db, clock } = deps;
  const { eachTarget, shared, restoreSiblings, metrics } = steps;
  const contextsFor = createGrantContextBatch(db, deps.secrets, deps.directory);
  const seconds = (from: Date) => Math.max(0, (clock.now().getTime() - from.getTime()) / 1000);

  async function deprovisionGrants(grantIds: string[]): Promise<PromiseSettledResult<void>[]> {
    const grants = await grantsToRemove(db, [...new Set(grantIds)]);
    const grantOf = new Map(grants.map((g) => [g.id, g]));
    const targets = await removingTargets(db, [...grantOf.keys()]);
    const wanted = targets.map((target) => {
      const grant = grantOf.get(target.grantId)!;
      return { grant, policy: grant.policy, target };
    });
    const contexts = await contextsFor(wanted);
    const contextOf = new Map(targets.map((t, i) => [t, contexts[i]!]));
    const outcome = new Map<string, PromiseSettledResult<void>>();
    const removed: Removed[] = [];
    const byPerson = new Map<string, GrantToRemove[]>();
    for (const g of grants) byPerson.set(g.requesterId, [...(byPerson.get(g.requesterId) ?? []), g]);
    await eachLimited([...byPerson.values()], PEOPLE_AT_ONCE, async (theirs) => {
      for (const grant of theirs) {
        try {
          const { retry, wait } = await eachTarget(
            grant,
            targets.filter((t) => t.grantId === grant.id),
            {
              operation: 'deprovision',
              failedAction: 'grant.deprovision_attempt_failed',
              // Removing access is never given up: a provisioner missing now (a config change) may be back.
              missingProvisioner: (name) => new Error(`no ${name} provisioner is configured`),
              retryPermanent: true,
              run: async (target, provisioner, answered) => {
                const ctx = contextOf.get(target)!;
                if (ctx instanceof Error) throw ctx;
                const removal = await shared.remove(grant, ctx, target, provisioner, target.state);
                answered();
                removed.push({ grant, target, kept: removal, afterwards: removal.afterwards });
                return false;
              },
            },
          );
          outcome.set(grant.id, retry ? failed(new RetryLater(`removal of ${grant.id} will be retried`, wait)) : DONE);
        } catch (error) {
          outcome.set(grant.id, failed(error));
        }
      }
    });
    await record(removed);
    // After the record, as one at a time did: siblings a racing removal cut short are provisioned again.
    for (const r of removed) {
      try {
        await restoreSiblings(await r.afterwards(), r.grant.id);
      } catch (error) {
        outcome.set(r.grant.id, failed(error));
      }
    }
    // A grant that is gone has nothing left to remove.
    return grantIds.map((id) => outcome.get(id) ?? DONE);
  }

  /** Every removal made, with its `grant.deprovisioned` audit row, in one transaction. */
  async function record(removed: Removed[]) {
    if (removed.length === 0) return;
    const moved = await db.transaction(async (tx) => {
      const rows = await markRemoved(
        tx,
        removed.map((r) => ({ grantId: r.grant.id, resourceName: r.target.resourceName })),
      );
      const key = (grantId: string, resource: string) => `${grantId}\u0000${resource}`;
      const movedHere = new Set(rows.map((row) => key(row.grantId, row.resourceName)));
      const recorded = removed.filter((r) => movedHere.has(key(r.grant.id, r.target.resourceName)));
      await appendAudits(
        tx,
        recorded.map(({ grant, target, kept }) => ({
          requestId: grant.requestId,
          actor: 'system',
          action: 'grant.deprovisioned' as const,
          createdAt: clock.now(),
          // Kept objects are named by count and holder, not by key: keys carry people's identities.
          details: {
            grantId: grant.id,
            resource: target.resourceName,
            provisioner: target.provisioner,
            ...(kept.kept > 0 ? { kept: kept.kept, keptFor: kept.holders } : {}),
          },
        })),
      );
      return recorded;
    });
    // From the end the grant was given (revoked early: when; expired: its expires_at) to gone in the target.
    for (const { grant, target } of moved)
      metrics.observeRevocationLag(
        target.provisioner,
        seconds(grant.endedAt && grant.endedAt < grant.expiresAt ? grant.endedAt : grant.expiresAt),
      );
  }

  return { deprovisionGrants };
}
