import { appendAudit } from '../db/audit-queries.js';
import type { Executor } from '../db/client.js';
import { enqueue } from '../db/outbox-queries.js';
import {
  getRequestDetails,
  lockRequest,
  updateRequest,
  type RequestDetails,
  type RequestRow,
} from '../db/request-queries.js';
import { AppError } from '../domain/errors.js';
import { transition } from '../domain/request-lifecycle.js';
import { originDetails, SLACK_ORIGIN } from '../domain/request-origin.js';
import { requireMember } from './identity.js';
import { noopMetrics } from './ports.js';
import type { ServiceDeps } from './deps.js';

/** A requester may nudge the approvers of one request at most this often. */
export const NUDGE_INTERVAL_MINUTES = 30;

/**
 * What a requester does with their own pending requests: withdraw one, remind its approvers (asking for
 * more time is services/extension-service.ts). Each re-checks, inside the transaction with the row locked, that the clicker
 * is the requester and the request is in the right state.
 */
export function createRequestActions(deps: ServiceDeps) {
  const { db, clock, directory } = deps;
  const metrics = deps.metrics ?? noopMetrics;

  async function ownRequest(tx: Executor, requestId: string, actorId: string): Promise<RequestRow> {
    const row = await lockRequest(tx, requestId);
    if (!row) throw new AppError('not_found', `No request ${requestId}`);
    if (row.requesterId !== actorId)
      throw new AppError('not_allowed', 'Only the requester can do that', { own: false });
    return row;
  }

  async function cancel(requestId: string, actorId: string, origin = SLACK_ORIGIN): Promise<RequestDetails> {
    await requireMember(directory, actorId);
    const flow = await db.transaction(async (tx) => {
      const row = await ownRequest(tx, requestId, actorId);
      const now = clock.now();
      const step = transition({ ...row, expiresAt: null }, { type: 'cancel' }, now);
      if (!step.ok) throw new AppError(step.code, 'Already decided', { status: row.status, by: row.decidedBy });
      await updateRequest(tx, row.id, { status: step.next.status, endedAt: now, endedBy: actorId });
      await appendAudit(tx, {
        requestId: row.id,
        actor: actorId,
        action: 'request.cancelled',
        createdAt: now,
        details: originDetails(origin),
      });
      await enqueue(tx, [{ topic: 'messages.refresh', requestId: row.id }]);
      return row.flowName;
    });
    deps.afterCommit();
    metrics.requestOutcome(flow, 'cancelled');
    return (await getRequestDetails(db, requestId))!;
  }

  /** A threaded reminder under each approver message; at most once per NUDGE_INTERVAL_MINUTES. */
  async function nudge(requestId: string, actorId: string): Promise<void> {
    await requireMember(directory, actorId);
    await db.transaction(async (tx) => {
      const row = await ownRequest(tx, requestId, actorId);
      if (row.status !== 'pending')
        throw new AppError('already_decided', 'Already decided', { status: row.status, by: row.decidedBy });
      const now = clock.now();
      if (row.lastNudgedAt) {
        const waitMs = row.lastNudgedAt.getTime() + NUDGE_INTERVAL_MINUTES * 60_000 - now.getTime();
        if (waitMs > 0) throw new AppError('too_soon', 'Nudged recently', { minutes: Math.ceil(waitMs / 60_000) });
      }
      await updateRequest(tx, row.id, { lastNudgedAt: now });
      await appendAudit(tx, {
        requestId: row.id,
        actor: actorId,
        action: 'request.nudged',
        createdAt: now,
        details: {},
      });
      await enqueue(tx, [{ topic: 'approvers.nudge', requestId: row.id }]);
    });
    deps.afterCommit();
  }

  return { cancel, nudge };
}

export type RequestActions = ReturnType<typeof createRequestActions>;
