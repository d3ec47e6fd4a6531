import { appendAudit } from '../db/audit-queries.js';
import { notifyGrantChanged } from '../db/authz-queries.js';
import { findFlow } from '../db/catalog-queries.js';
import type { Executor } from '../db/client.js';
import { newId } from '../db/ids.js';
import { grantOfRequest, moveGrantEnd } from '../db/grant-queries.js';
import { enqueue } from '../db/outbox-queries.js';
import {
  getRequestDetails,
  lockRequest,
  pendingExtensionOf,
  requestsFromSubmission,
  updateRequest,
  type RequestDetails,
  type RequestRow,
} from '../db/request-queries.js';
import { formatDuration } from '../domain/duration.js';
import { AppError } from '../domain/errors.js';
import { justificationProblem, offeredDurations } from '../domain/flow.js';
import { transition } from '../domain/request-lifecycle.js';
import { originDetails, SLACK_ORIGIN, type RequestOrigin } from '../domain/request-origin.js';
import { isUniqueViolation } from '../db/unique-violation.js';
import { writeNewRequest } from './grant-writer.js';
import { approverIdsOf, requireMember } from './identity.js';
import { stageFlow, stageNamesOf } from '../domain/stages.js';
import { noopMetrics } from './ports.js';
import type { ServiceDeps } from './deps.js';
import { checkTickets } from './ticket-check.js';

export type ExtensionResult =
  { ok: true; request: RequestDetails } | { ok: false; errors: Partial<Record<'duration' | 'justification', string>> };

/**
 * More time on an active grant, the whole journey but the targets' side: the form's check, the request
 * (kind 'extension', through the same flow: approvers, N-of-M, rules, ticket check), and applyExtension,
 * which the approval runs in its transaction. Moving the credential's end in each target is the outbox's
 * `grant.extend` (provisioning-service.ts extendGrant).
 */
export function createExtensionService(deps: ServiceDeps) {
  const { db, clock, directory } = deps;
  const metrics = deps.metrics ?? noopMetrics;

  /**
   * Asks for more time on an active grant: a new request of kind 'extension' that goes through the
   * same flow (approvers, N-of-M, rules). Approving it moves the grant's end without interrupting it.
   * Idempotent on `submissionKey` (the modal's view id: the same form sent again, by Slack or by a
   * replay on another replica, returns the extension it made), and one extension waits per grant at most.
   */
  async function requestExtension(
    requestId: string,
    actorId: string,
    input: { durationMinutes: number | null; justification: string; submissionKey?: string; origin?: RequestOrigin },
  ): Promise<ExtensionResult> {
    await requireMember(directory, actorId);
    const sent = await sentBefore(actorId, input.submissionKey);
    if (sent) return sent;
    const original = await getRequestDetails(db, requestId);
    if (!original) throw new AppError('not_found', `No request ${requestId}`);
    if (original.requesterId !== actorId)
      throw new AppError('not_allowed', 'Only the requester can do that', { own: false });
    if (original.status !== 'active' || !original.grant)
      throw new AppError('not_active', 'This access is not active', { status: original.status });
    const flow = await findFlow(db, original.flowId);
    if (!flow || !flow.enabled) throw new AppError('not_allowed', 'The flow of this access no longer takes requests');
    const errors: Partial<Record<'duration' | 'justification', string>> = {};
    const offered = offeredDurations(flow);
    if (input.durationMinutes === null || !offered.includes(input.durationMinutes))
      errors.duration = `Pick one of ${offered.map(formatDuration).join(', ')}.`;
    const justification = input.justification.trim();
    const problem = justificationProblem(flow.justification, justification);
    if (problem) errors.justification = problem;
    if (Object.keys(errors).length > 0) return { ok: false, errors };
    // The same ticket check as a new request: more time needs a ticket that is still open.
    const tickets = await checkTickets(deps.tickets, [flow], justification, clock.now());
    if (tickets.problem) return { ok: false, errors: { justification: tickets.problem } };
    // An extension goes through the flow's stages like the request it extends: stage 1 is asked first.
    const approvers = await approverIdsOf(directory, stageFlow(flow, 0), actorId);
    const catalogue = (await deps.catalog.snapshot()).resources;
    const id = newId('req');
    const now = clock.now();
    const ticket = tickets.snapshots[0] ?? null;
    const origin = input.origin ?? SLACK_ORIGIN;
    const stored = await db
      .transaction(async (tx) => {
        // The original's row lock serializes extensions of one grant, so two at once cannot both pass.
        await lockRequest(tx, original.id);
        const waiting = await pendingExtensionOf(tx, original.id);
        // A replay that waited for the lock behind its original finds that one's extension: no error.
        if (waiting && (await sentBefore(actorId, input.submissionKey, tx))) return false;
        if (waiting)
          throw new AppError('not_allowed', 'An extension of this grant is already waiting', {
            reason: 'extension_pending',
            requestId: waiting,
          });
        await writeNewRequest(tx, {
          row: {
            id,
            requesterId: actorId,
            flowId: flow.id,
            flowName: flow.name,
            status: 'pending',
            justification,
            durationMinutes: input.durationMinutes!,
            notifiedApprovers: approvers,
            approvalsRequired: stageFlow(flow, 0).approvalsRequired,
            stageNames: stageNamesOf(flow),
            notifyChannel: flow.notifyChannel,
            createdAt: now,
            kind: 'extension',
            extendsRequestId: original.id,
            submissionKey: input.submissionKey ?? null,
            ticket,
            channel: origin.channel,
            agent: origin.agent,
          },
          resources: original.resources.map((r) => ({
            ...r,
            resourceId: catalogue.find((c) => c.name === r.name)?.id ?? r.resourceId,
          })),
          created: {
            flow: flow.name,
            resources: original.resources.map((r) => r.name),
            durationMinutes: input.durationMinutes,
            justification,
            approvers,
            extends: original.id,
            ...(ticket ? { ticket } : {}),
            ...originDetails(origin),
          },
        });
        await enqueue(tx, [{ topic: 'request.created', requestId: id }]);
        return true;
      })
      .catch((error: unknown) => {
        // The same form sent twice at once: the other submission's transaction won.
        if (isUniqueViolation(error, 'access_requests_submission_uq')) return false;
        throw error;
      });
    if (!stored) return (await sentBefore(actorId, input.submissionKey))!;
    deps.afterCommit();
    metrics.requestOutcome(flow.name, 'extension_requested');
    return { ok: true, request: (await getRequestDetails(db, id))! };
  }

  async function sentBefore(
    actorId: string,
    submissionKey: string | undefined,
    executor: Executor = db,
  ): Promise<ExtensionResult | null> {
    if (!submissionKey) return null;
    const [request] = await requestsFromSubmission(executor, actorId, submissionKey);
    return request?.kind === 'extension' ? { ok: true, request } : null;
  }

  /** Checks an extension may be asked for now, and what durations the flow offers for it. */
  async function extensionForm(
    requestId: string,
    actorId: string,
  ): Promise<{ request: RequestDetails; durations: number[] }> {
    await requireMember(directory, actorId);
    const request = await getRequestDetails(db, requestId);
    if (!request) throw new AppError('not_found', `No request ${requestId}`);
    if (request.requesterId !== actorId)
      throw new AppError('not_allowed', 'Only the requester can do that', { own: false });
    if (request.status !== 'active' || !request.grant)
      throw new AppError('not_active', 'This access is not active', { status: request.status });
    const flow = await findFlow(db, request.flowId);
    if (!flow || !flow.enabled) throw new AppError('not_allowed', 'The flow of this access no longer takes requests');
    return { request, durations: offeredDurations(flow) };
  }

  return { requestExtension, extensionForm };
}

/**
 * Applies an approved extension inside the approving transaction: the original grant's end moves by
 * the granted minutes (from its current end, or from now if that has just passed), the extension
 * request ends 'approved', and the provisioners are asked to move the credential's end too.
 */
export async function applyExtension(
  tx: Executor,
  extension: RequestRow,
  grantedMinutes: number,
  approverId: string,
  now: Date,
  stepUp: Record<string, unknown> | null = null,
): Promise<{ expiresAt: Date }> {
  const original = extension.extendsRequestId ? await lockRequest(tx, extension.extendsRequestId) : undefined;
  const grant = original ? await grantOfRequest(tx, original.id) : undefined;
  if (!original || original.status !== 'active' || !grant || grant.status !== 'active') {
    throw new AppError('not_active', 'The access this extends has already ended', {
      status: original?.status ?? 'gone',
    });
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
    details: {
      grantId: grant.id,
      extension: extension.id,
      previousEnd: grant.expiresAt.toISOString(),
      expiresAt: expiresAt.toISOString(),
      addedMinutes: grantedMinutes,
    },
  });
  await appendAudit(tx, {
    requestId: extension.id,
    actor: approverId,
    action: 'request.approved',
    createdAt: now,
    details: {
      extends: original.id,
      addedMinutes: grantedMinutes,
      expiresAt: expiresAt.toISOString(),
      ...(stepUp ? { step_up: stepUp } : {}),
    },
  });
  await notifyGrantChanged(tx, grant.id);
  await enqueue(tx, [
    { topic: 'grant.extend', requestId: original.id, payload: { grantId: grant.id } },
    { topic: 'messages.refresh', requestId: original.id },
    { topic: 'messages.refresh', requestId: extension.id },
    { topic: 'requester.notify', requestId: extension.id, payload: { event: 'extended' } },
  ]);
  return { expiresAt };
}

export type ExtensionService = ReturnType<typeof createExtensionService>;
