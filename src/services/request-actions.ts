import { appendAudit } from '../db/audit-queries.js';
import { notifyGrantChanged } from '../db/authz-queries.js';
import { findFlow } from '../db/catalog-queries.js';
import type { Executor } from '../db/client.js';
import { newId } from '../db/ids.js';
import { grantOfRequest, moveGrantEnd } from '../db/grant-queries.js';
import { enqueue } from '../db/outbox-queries.js';
import { getRequestDetails, insertRequest, lockRequest, updateRequest, type RequestDetails, type RequestRow } from '../db/request-queries.js';
import { formatDuration } from '../domain/duration.js';
import { AppError } from '../domain/errors.js';
import { transition } from '../domain/request-lifecycle.js';
import { justificationProblem, offeredDurations } from '../domain/flow.js';
import { approverIdsOf, requireMember } from './identity.js';
import { noopMetrics, type ServiceDeps } from './ports.js';

/** A requester may nudge the approvers of one request at most this often. */
export const NUDGE_INTERVAL_MINUTES = 30;

export type ExtensionResult = { ok: true; request: RequestDetails } | { ok: false; errors: Partial<Record<'duration' | 'justification', string>> };

/**
 * What a requester does with their own requests: withdraw a pending one, remind its approvers, ask to
 * extend an active grant. Each re-checks, inside the transaction with the row locked, that the clicker
 * is the requester and the request is in the right state.
 */
export function createRequestActions(deps: ServiceDeps) {
  const { db, clock, directory } = deps;
  const metrics = deps.metrics ?? noopMetrics;

  async function ownRequest(tx: Executor, requestId: string, actorId: string): Promise<RequestRow> {
    const row = await lockRequest(tx, requestId);
    if (!row) throw new AppError('not_found', `No request ${requestId}`);
    if (row.requesterId !== actorId) throw new AppError('not_allowed', 'Only the requester can do that', { own: false });
    return row;
  }

  async function cancel(requestId: string, actorId: string): Promise<RequestDetails> {
    await requireMember(directory, actorId);
    const flow = await db.transaction(async (tx) => {
      const row = await ownRequest(tx, requestId, actorId);
      const now = clock.now();
      const step = transition({ ...row, expiresAt: null }, { type: 'cancel' }, now);
      if (!step.ok) throw new AppError(step.code, 'Already decided', { status: row.status, by: row.decidedBy });
      await updateRequest(tx, row.id, { status: step.next.status, endedAt: now, endedBy: actorId });
      await appendAudit(tx, { requestId: row.id, actor: actorId, action: 'request.cancelled', createdAt: now, details: {} });
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
      if (row.status !== 'pending') throw new AppError('already_decided', 'Already decided', { status: row.status, by: row.decidedBy });
      const now = clock.now();
      if (row.lastNudgedAt) {
        const waitMs = row.lastNudgedAt.getTime() + NUDGE_INTERVAL_MINUTES * 60_000 - now.getTime();
        if (waitMs > 0) throw new AppError('too_soon', 'Nudged recently', { minutes: Math.ceil(waitMs / 60_000) });
      }
      await updateRequest(tx, row.id, { lastNudgedAt: now });
      await appendAudit(tx, { requestId: row.id, actor: actorId, action: 'request.nudged', createdAt: now, details: {} });
      await enqueue(tx, [{ topic: 'approvers.nudge', requestId: row.id }]);
    });
    deps.afterCommit();
  }

  /**
   * Asks for more time on an active grant: a new request of kind 'extension' that goes through the
   * same flow (approvers, N-of-M, rules). Approving it moves the grant's end without interrupting it.
   */
  async function requestExtension(requestId: string, actorId: string, input: { durationMinutes: number | null; justification: string }): Promise<ExtensionResult> {
    await requireMember(directory, actorId);
    const original = await getRequestDetails(db, requestId);
    if (!original) throw new AppError('not_found', `No request ${requestId}`);
    if (original.requesterId !== actorId) throw new AppError('not_allowed', 'Only the requester can do that', { own: false });
    if (original.status !== 'active' || !original.grant) throw new AppError('not_active', 'This access is not active', { status: original.status });
    const flow = await findFlow(db, original.flowId);
    if (!flow || !flow.enabled) throw new AppError('not_allowed', 'The flow of this access no longer takes requests');
    const errors: Partial<Record<'duration' | 'justification', string>> = {};
    const offered = offeredDurations(flow);
    if (input.durationMinutes === null || !offered.includes(input.durationMinutes)) errors.duration = `Pick one of ${offered.map(formatDuration).join(', ')}.`;
    const problem = justificationProblem(flow.justification, input.justification);
    if (problem) errors.justification = problem;
    if (Object.keys(errors).length > 0) return { ok: false, errors };
    const approvers = (await approverIdsOf(directory, flow)).filter((id) => id !== actorId || flow.allowSelfApproval);
    const catalogue = (await deps.catalog.snapshot()).resources;
    const id = newId('req');
    const now = clock.now();
    await db.transaction(async (tx) => {
      await insertRequest(
        tx,
        {
          id,
          requesterId: actorId,
          flowId: flow.id,
          flowName: flow.name,
          status: 'pending',
          justification: input.justification.trim(),
          durationMinutes: input.durationMinutes!,
          notifiedApprovers: approvers,
          approvalsRequired: flow.approvalsRequired,
          notifyChannel: flow.notifyChannel,
          createdAt: now,
          kind: 'extension',
          extendsRequestId: original.id,
        },
        original.resources.map((r) => ({ ...r, resourceId: catalogue.find((c) => c.name === r.name)?.id ?? r.resourceId })),
      );
      await appendAudit(tx, {
        requestId: id,
        actor: actorId,
        action: 'request.created',
        createdAt: now,
        details: { flow: flow.name, resources: original.resources.map((r) => r.name), durationMinutes: input.durationMinutes, justification: input.justification.trim(), approvers, extends: original.id },
      });
      await enqueue(tx, [{ topic: 'request.created', requestId: id }]);
    });
    deps.afterCommit();
    metrics.requestOutcome(flow.name, 'extension_requested');
    return { ok: true, request: (await getRequestDetails(db, id))! };
  }

  /** Checks an extension may be asked for now, and what durations the flow offers for it. */
  async function extensionForm(requestId: string, actorId: string): Promise<{ request: RequestDetails; durations: number[] }> {
    await requireMember(directory, actorId);
    const request = await getRequestDetails(db, requestId);
    if (!request) throw new AppError('not_found', `No request ${requestId}`);
    if (request.requesterId !== actorId) throw new AppError('not_allowed', 'Only the requester can do that', { own: false });
    if (request.status !== 'active' || !request.grant) throw new AppError('not_active', 'This access is not active', { status: request.status });
    const flow = await findFlow(db, request.flowId);
    if (!flow || !flow.enabled) throw new AppError('not_allowed', 'The flow of this access no longer takes requests');
    return { request, durations: offeredDurations(flow) };
  }

  return { cancel, nudge, requestExtension, extensionForm };
}

/**
 * Applies an approved extension inside the approving transaction: the original grant's end moves by
 * the granted minutes (from its current end, or from now if that has just passed), the extension
 * request ends 'approved', and the provisioners are asked to move the credential's end too.
 */
export async function applyExtension(tx: Executor, extension: RequestRow, grantedMinutes: number, approverId: string, now: Date): Promise<{ expiresAt: Date }> {
  const original = extension.extendsRequestId ? await lockRequest(tx, extension.extendsRequestId) : undefined;
  const grant = original ? await grantOfRequest(tx, original.id) : undefined;
  if (!original || original.status !== 'active' || !grant || grant.status !== 'active') {
    throw new AppError('not_active', 'The access this extends has already ended', { status: original?.status ?? 'gone' });
  }
  const from = Math.max(grant.expiresAt.getTime(), now.getTime());
  const expiresAt = new Date(from + grantedMinutes * 60_000);
  await moveGrantEnd(tx, grant.id, expiresAt);
  const step = transition({ ...extension, expiresAt: null }, { type: 'approve_extension' }, now);
  if (!step.ok) throw new AppError(step.code, 'Already decided', { status: extension.status, by: extension.decidedBy });
  await updateRequest(tx, extension.id, { status: step.next.status, decidedAt: now, decidedBy: approverId });
  await appendAudit(tx, {
    requestId: original.id,
    actor: approverId,
    action: 'grant.extended',
    createdAt: now,
    details: { grantId: grant.id, extension: extension.id, previousEnd: grant.expiresAt.toISOString(), expiresAt: expiresAt.toISOString(), addedMinutes: grantedMinutes },
  });
  await appendAudit(tx, { requestId: extension.id, actor: approverId, action: 'request.approved', createdAt: now, details: { extends: original.id, addedMinutes: grantedMinutes, expiresAt: expiresAt.toISOString() } });
  await notifyGrantChanged(tx, grant.id);
  await enqueue(tx, [
    { topic: 'grant.extend', requestId: original.id, payload: { grantId: grant.id } },
    { topic: 'messages.refresh', requestId: original.id },
    { topic: 'messages.refresh', requestId: extension.id },
    { topic: 'requester.notify', requestId: extension.id, payload: { event: 'extended' } },
  ]);
  return { expiresAt };
}

export type RequestActions = ReturnType<typeof createRequestActions>;
