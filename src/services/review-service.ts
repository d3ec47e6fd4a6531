import { appendAudit } from '../db/audit-queries.js';
import { findFlow, listFlows } from '../db/catalog-queries.js';
import type { Tx } from '../db/client.js';
import { newId } from '../db/ids.js';
import { enqueue } from '../db/outbox-queries.js';
import { getRequestDetails, insertGrant, lockRequest, updateRequest, type RequestDetails, type RequestRow } from '../db/request-queries.js';
import { AppError } from '../domain/errors.js';
import type { Identity } from '../domain/flow.js';
import { PolicySchema, type Policy, type ResourceGrant } from '../domain/policy.js';
import { decisionRefusal, transition } from '../domain/request-lifecycle.js';
import { requireMember, resolveIdentity } from './identity.js';
import type { ServiceDeps } from './ports.js';

export interface ApproveInput {
  requestId: string;
  approverId: string;
  durationMinutes: number | null;
  /** The resources kept, each with its tuning; resources left out are dropped from the grant. */
  grants: ResourceGrant[];
}

export type TuningErrors = Partial<Record<'duration' | 'resources', string>>;
export type ApproveResult = { ok: true; request: RequestDetails } | { ok: false; errors: TuningErrors };

const DENY_REASON_MAX = 500;

function refusalMessage(code: string): string {
  return code === 'self_approval' ? 'You cannot decide your own request' : 'You are not an approver of this request';
}

export function createReviewService(deps: ServiceDeps) {
  const { db, directory, clock } = deps;

  async function actorIdentity(actorId: string): Promise<Identity> {
    await requireMember(directory, actorId);
    return resolveIdentity(directory, actorId, await listFlows(db));
  }

  /** Checks (without writing) that this person may decide the request now: used before opening a modal. */
  async function startReview(requestId: string, actorId: string): Promise<RequestDetails> {
    const identity = await actorIdentity(actorId);
    const request = await getRequestDetails(db, requestId);
    if (!request) throw new AppError('not_found', `No request ${requestId}`);
    const refusal = decisionRefusal(await findFlow(db, request.flowId), request.requesterId, identity);
    if (refusal) throw new AppError(refusal, refusalMessage(refusal));
    if (request.status !== 'pending') throw new AppError('already_decided', 'Already decided', { status: request.status, by: request.decidedBy });
    return request;
  }

  /**
   * The decision itself: lock the request row, re-check authority against the live flow and the state,
   * then write state, grant, audit and outbox in one transaction. A second (even concurrent) decision
   * finds the row no longer pending and changes nothing.
   */
  async function decide<T>(requestId: string, identity: Identity, write: (tx: Tx, row: RequestRow, now: Date) => Promise<T>): Promise<T> {
    const result = await db.transaction(async (tx) => {
      const row = await lockRequest(tx, requestId);
      if (!row) throw new AppError('not_found', `No request ${requestId}`);
      const refusal = decisionRefusal(await findFlow(tx, row.flowId), row.requesterId, identity);
      if (refusal) throw new AppError(refusal, refusalMessage(refusal));
      if (row.status !== 'pending') throw new AppError('already_decided', 'Already decided', { status: row.status, by: row.decidedBy });
      return write(tx, row, clock.now());
    });
    deps.afterCommit();
    return result;
  }

  async function approve(input: ApproveInput): Promise<ApproveResult> {
    const identity = await actorIdentity(input.approverId);
    const current = await getRequestDetails(db, input.requestId);
    if (!current) throw new AppError('not_found', `No request ${input.requestId}`);
    const errors = validateTuning(current, input);
    if (errors) return { ok: false, errors };
    const policy: Policy = PolicySchema.parse({ resources: input.grants, durationMinutes: input.durationMinutes });

    await decide(input.requestId, identity, async (tx, row, now) => {
      const step = transition({ ...row, expiresAt: null }, { type: 'approve', grantedMinutes: policy.durationMinutes }, now);
      if (!step.ok) throw new AppError(step.code, 'Cannot approve');
      const expiresAt = step.next.expiresAt!;
      const grantId = newId('grt');
      await updateRequest(tx, row.id, { status: 'active', decidedAt: now, decidedBy: input.approverId });
      await insertGrant(tx, { id: grantId, requestId: row.id, policy, approvedBy: input.approverId, status: 'active', startsAt: now, expiresAt });
      await appendAudit(tx, {
        requestId: row.id,
        actor: input.approverId,
        action: 'request.approved',
        createdAt: now,
        details: { grantId, policy, expiresAt: expiresAt.toISOString() },
      });
      await enqueue(tx, [
        { topic: 'messages.refresh', requestId: row.id },
        { topic: 'requester.notify', requestId: row.id, payload: { event: 'approved' } },
      ]);
    });
    return { ok: true, request: (await getRequestDetails(db, input.requestId))! };
  }

  async function deny(requestId: string, actorId: string, reason: string): Promise<RequestDetails> {
    const identity = await actorIdentity(actorId);
    const note = reason.trim().slice(0, DENY_REASON_MAX) || null;
    await decide(requestId, identity, async (tx, row, now) => {
      await updateRequest(tx, row.id, { status: 'denied', decidedAt: now, decidedBy: actorId, denyReason: note });
      await appendAudit(tx, { requestId: row.id, actor: actorId, action: 'request.denied', createdAt: now, details: { reason: note } });
      await enqueue(tx, [
        { topic: 'messages.refresh', requestId: row.id },
        { topic: 'requester.notify', requestId: row.id, payload: { event: 'denied' } },
      ]);
    });
    return (await getRequestDetails(db, requestId))!;
  }

  return { startReview, approve, deny };
}

/** The approver may narrow what was asked for, never widen it. */
function validateTuning(request: RequestDetails, input: ApproveInput): TuningErrors | null {
  const errors: TuningErrors = {};
  const d = input.durationMinutes;
  if (d === null || !Number.isInteger(d) || d <= 0) errors.duration = 'Pick how long to grant.';
  else if (d > request.durationMinutes) errors.duration = 'You can shorten the access, not lengthen it.';
  if (input.grants.length === 0) errors.resources = 'Keep at least one resource, or deny the request instead.';
  const seen = new Set<string>();
  for (const g of input.grants) {
    const asked = request.resources.find((r) => r.name === g.resource);
    if (!asked || asked.type !== g.type || seen.has(g.resource)) errors.resources = `“${g.resource}” is not part of this request.`;
    seen.add(g.resource);
  }
  return Object.keys(errors).length > 0 ? errors : null;
}

export type ReviewService = ReturnType<typeof createReviewService>;
