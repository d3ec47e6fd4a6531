import { findFlow } from '../db/catalog-queries.js';
import { getRequestDetails, lockRequest, type RequestDetails } from '../db/request-queries.js';
import { AppError } from '../domain/errors.js';
import { revokeRefusal } from '../domain/request-lifecycle.js';
import { originDetails, SLACK_ORIGIN } from '../domain/request-origin.js';
import { endGrantWrite, expireDueWrite } from './grant-writer.js';
import { deciderIdentity, isAdmin, requireMember } from './identity.js';
import { noopMetrics } from './ports.js';
import type { ServiceDeps } from './deps.js';

export function createGrantService(deps: ServiceDeps) {
  const { db, directory, clock } = deps;
  const metrics = deps.metrics ?? noopMetrics;

  /** Ends an active grant early: an approver of its flow, an admin, or the requester themself. */
  async function revoke(requestId: string, actorId: string, origin = SLACK_ORIGIN): Promise<RequestDetails> {
    await requireMember(directory, actorId);
    // Only the request's flow's approver groups are asked about (none when it names the actor).
    const current = await getRequestDetails(db, requestId);
    const ownFlow = current && current.requesterId !== actorId ? await findFlow(db, current.flowId) : undefined;
    const [identity, admin] = await Promise.all([
      deciderIdentity(directory, actorId, ownFlow, false),
      isAdmin(directory, deps.admins, actorId),
    ]);
    const flow = await db.transaction(async (tx) => {
      const row = await lockRequest(tx, requestId);
      if (!row) throw new AppError('not_found', `No request ${requestId}`);
      const refusal = revokeRefusal(await findFlow(tx, row.flowId), row.requesterId, identity, admin);
      if (refusal) throw new AppError(refusal, 'Only an approver of this request or an admin can revoke it');
      const ended = await endGrantWrite(tx, {
        row,
        expiresAt: null,
        how: 'revoke',
        now: clock.now(),
        endedBy: actorId,
        audit: { actor: actorId, details: originDetails(origin) },
      });
      if (!ended.ok) throw new AppError('not_active', 'This access is not active', { status: row.status });
      return row.flowName;
    });
    deps.afterCommit();
    metrics.requestOutcome(flow, 'revoked');
    return (await getRequestDetails(db, requestId))!;
  }

  /**
   * Ends every grant whose time is up, in batches of `batch`, each batch set-based in one short
   * transaction (expireDueWrite). Driven from the database, so grants that ran out while the bot was
   * down end on the first run after start-up.
   */
  async function expireDue(batch = 100): Promise<number> {
    let total = 0;
    for (;;) {
      const now = clock.now();
      const { locked, ended } = await db.transaction((tx) => expireDueWrite(tx, now, batch));
      total += ended.length;
      if (ended.length > 0) deps.afterCommit();
      for (const { flowName } of ended) metrics.requestOutcome(flowName, 'expired');
      if (locked < batch) return total;
    }
  }

  return { revoke, expireDue };
}

export type GrantService = ReturnType<typeof createGrantService>;
