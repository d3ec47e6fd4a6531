import { appendAudit } from '../db/audit-queries.js';
import type { Executor } from '../db/client.js';
import { findLink } from '../db/identity-queries.js';
import { stepUpClaims, stepUpRefusal } from '../domain/identity-link.js';
import type { Flow } from '../domain/flow.js';
import { unreviewedBreakGlass } from '../db/break-glass-queries.js';
import { findFlow } from '../db/catalog-queries.js';
import { newId } from '../db/ids.js';
import { enqueue } from '../db/outbox-queries.js';
import {
  getRequestDetails,
  lockRequest,
  requestsFromSubmission,
  updateRequest,
  type RequestDetails,
} from '../db/request-queries.js';
import { isUniqueViolation } from '../db/unique-violation.js';
import { breakGlassOptions, breakGlassPolicy, type BreakGlassOption } from '../domain/break-glass.js';
import { formatDuration, parseDuration } from '../domain/duration.js';
import { AppError } from '../domain/errors.js';
import { isApproverOf } from '../domain/flow.js';
import { writeGrant, writeNewRequest } from './grant-writer.js';
import {
  approverIdentity,
  approverIdsOf,
  breakGlassIdentity,
  deciderIdentity,
  isAdmin,
  requireMember,
  mappedEmailOf,
} from './identity.js';
import { noopMetrics } from './ports.js';
import type { ServiceDeps } from './deps.js';

export const MAX_REASON = 2000;

export interface BreakGlassInput {
  userId: string;
  resourceName: string;
  /** "1h", "30m"… as typed; or minutes from the modal. */
  duration: string | number | null;
  reason: string;
  /**
   * What makes this form or command unique (the modal's view id, the command's trigger id): the same
   * one sent again, as a replay on any replica would be, returns the grant it made instead of another.
   */
  submissionKey?: string;
}

/** Refusals are one sentence for the person, naming the field when it comes from the modal. */
export type BreakGlassResult =
  { ok: true; request: RequestDetails } | { ok: false; field: 'resource' | 'duration' | 'reason'; problem: string };
export type ReviewResult = { ok: true; request: RequestDetails } | { ok: false; problem: string };

/**
 * Break-glass: emergency access taken without waiting for an approver, by people a flow designates,
 * then reviewed by an approver afterwards. The grant, its audit event and the alerts are written in
 * one transaction; nothing is stored when it is refused.
 */
export function createBreakGlassService(deps: ServiceDeps) {
  const { db, directory, clock } = deps;
  const metrics = deps.metrics ?? noopMetrics;

  /** The resources this person may break the glass on (empty for almost everyone). */
  async function optionsFor(userId: string): Promise<BreakGlassOption[]> {
    const { flows, resources } = await deps.catalog.snapshot();
    if (!flows.some((f) => f.lifecycle?.breakGlass)) return [];
    return breakGlassOptions(flows, resources, await breakGlassIdentity(directory, userId, flows));
  }

  async function stepUpFor(tx: Executor, flow: Flow, userId: string, now: Date) {
    if (!flow.identity || flow.identity.stepUpMinutes === null) return null;
    const link = await findLink(tx, userId);
    const refusal = stepUpRefusal(flow.identity, link, now);
    if (refusal)
      throw new AppError(refusal, 'break-glass without a recent step-up sign-in', {
        requestId: null,
        minutes: flow.identity.stepUpMinutes,
      });
    return stepUpClaims(link!);
  }

  async function sentBefore(input: BreakGlassInput): Promise<BreakGlassResult | null> {
    if (!input.submissionKey) return null;
    const [request] = await requestsFromSubmission(db, input.userId, input.submissionKey);
    return request?.kind === 'break_glass' ? { ok: true, request } : null;
  }

  async function breakGlass(input: BreakGlassInput): Promise<BreakGlassResult> {
    await requireMember(directory, input.userId);
    const sent = await sentBefore(input);
    if (sent) return sent;
    const name = input.resourceName.trim().toLowerCase();
    const option = (await optionsFor(input.userId)).find((o) => o.resource.name === name);
    if (!option) {
      return {
        ok: false,
        field: 'resource',
        problem: `You are not designated for break-glass access to ${name.slice(0, 64) || 'that resource'}. Request access as usual with \`/access request\`.`,
      };
    }
    const max = option.maxDurationMinutes;
    const minutes = typeof input.duration === 'number' ? input.duration : parseDuration(input.duration ?? '');
    if (minutes === undefined || minutes === null || !Number.isInteger(minutes) || minutes <= 0) {
      return {
        ok: false,
        field: 'duration',
        problem: `Say how long you need it, like 30m or 1h (at most ${formatDuration(max)}).`,
      };
    }
    if (minutes > max)
      return {
        ok: false,
        field: 'duration',
        problem: `Break-glass access to ${name} lasts at most ${formatDuration(max)}.`,
      };
    const reason = input.reason.trim();
    if (!reason)
      return {
        ok: false,
        field: 'reason',
        problem: 'Break-glass needs a reason: say what is broken and why it cannot wait for an approval.',
      };
    if (reason.length > MAX_REASON)
      return { ok: false, field: 'reason', problem: `Keep the reason under ${MAX_REASON} characters.` };
    const policy = breakGlassPolicy(option.resource, minutes);
    if ('problem' in policy) return { ok: false, field: 'resource', problem: policy.problem };

    const { flow, resource } = option;
    const rule = flow.lifecycle.breakGlass!;
    // Read before the transaction: no network call while rows are locked.
    const approvers = (await approverIdsOf(directory, flow)).filter((id) => id !== input.userId);
    const requesterEmail = await mappedEmailOf(db, directory, input.userId);
    const id = newId('req');
    const now = clock.now();
    const stored = await db
      .transaction(async (tx) => {
        // Step-up (flow identity.step_up_minutes) applies to break-glass users as to approvers: checked here,
        // in the transaction that grants, and the claims relied on go into the audit event.
        const stepUp = await stepUpFor(tx, flow, input.userId, now);
        await writeNewRequest(tx, {
          row: {
            id,
            requesterId: input.userId,
            flowId: flow.id,
            flowName: flow.name,
            status: 'pending',
            justification: reason,
            durationMinutes: minutes,
            notifiedApprovers: approvers,
            approvalsRequired: 1,
            // The rule's channel gets the alert; approvers are DMed as well (see NotificationService).
            notifyChannel: rule.channel,
            createdAt: now,
            kind: 'break_glass',
            submissionKey: input.submissionKey ?? null,
          },
          resources: [{ resourceId: resource.id, name: resource.name, type: resource.type }],
          // Its first audit event is the grant itself (request.break_glass, below).
          created: null,
        });
        await writeGrant(tx, {
          row: { id, requesterId: input.userId, status: 'pending', durationMinutes: minutes },
          policy,
          now,
          requesterEmail,
          decidedBy: input.userId,
          approvedBy: input.userId,
          audit: {
            actor: input.userId,
            action: 'request.break_glass',
            details: {
              flow: flow.name,
              resources: [resource.name],
              durationMinutes: minutes,
              justification: reason,
              approvers,
              channel: rule.channel,
              ...(stepUp ? { step_up: stepUp } : {}),
            },
          },
          // The refresh republishes the approvers' App Home, whose list of unreviewed break-glass grants grew.
          messages: [
            { topic: 'request.created', requestId: id },
            { topic: 'messages.refresh', requestId: id },
          ],
        });
        return true;
      })
      .catch((error: unknown) => {
        // The same form or command twice at once: the other one's transaction won.
        if (isUniqueViolation(error, 'access_requests_submission_uq')) return false;
        throw error;
      });
    if (!stored) return (await sentBefore(input))!;
    deps.afterCommit();
    metrics.requestOutcome(flow.name, 'submitted');
    metrics.requestOutcome(flow.name, 'break_glass');
    return { ok: true, request: (await getRequestDetails(db, id))! };
  }

  /** An approver of the flow (never the person who broke the glass) acknowledges having reviewed it. */
  async function acknowledge(requestId: string, actorId: string): Promise<ReviewResult> {
    await requireMember(directory, actorId);
    const current = await getRequestDetails(db, requestId);
    const identity = await deciderIdentity(
      directory,
      actorId,
      current ? await findFlow(db, current.flowId) : undefined,
      false,
    );
    const outcome = await db.transaction(async (tx): Promise<ReviewResult | null> => {
      const row = await lockRequest(tx, requestId);
      if (!row || row.kind !== 'break_glass') throw new AppError('not_found', `No break-glass request ${requestId}`);
      if (row.requesterId === actorId)
        return {
          ok: false,
          problem: 'You cannot review your own break-glass access: another approver of the flow must.',
        };
      const flow = await findFlow(tx, row.flowId);
      if (!flow || !isApproverOf(flow, identity))
        return {
          ok: false,
          problem: `Only an approver of the ${flow?.name ?? row.flowName} flow can review this break-glass access.`,
        };
      if (row.reviewedBy)
        return {
          ok: false,
          problem: `<@${row.reviewedBy}> already reviewed this break-glass access. Nothing changed.`,
        };
      const now = clock.now();
      await updateRequest(tx, row.id, { reviewedBy: actorId, reviewedAt: now });
      await appendAudit(tx, {
        requestId: row.id,
        actor: actorId,
        action: 'request.reviewed',
        createdAt: now,
        details: { kind: 'break_glass' },
      });
      await enqueue(tx, [{ topic: 'messages.refresh', requestId: row.id }]);
      return null;
    });
    if (outcome) return outcome;
    deps.afterCommit();
    return { ok: true, request: (await getRequestDetails(db, requestId))! };
  }

  /** Unreviewed break-glass grants this person should see: all of them for admins, their flows' for approvers. */
  async function unreviewedFor(userId: string, limit = 10): Promise<RequestDetails[]> {
    const pending = await unreviewedBreakGlass(db, 200);
    if (pending.length === 0) return [];
    if (await isAdmin(directory, deps.admins, userId)) return pending.slice(0, limit);
    const { flows } = await deps.catalog.snapshot();
    const identity = await approverIdentity(directory, userId, flows);
    return pending
      .filter((r) => r.requesterId !== userId)
      .filter((r) => {
        const flow = flows.find((f) => f.id === r.flowId);
        return flow !== undefined && isApproverOf(flow, identity);
      })
      .slice(0, limit);
  }

  return { optionsFor, breakGlass, acknowledge, unreviewedFor };
}

export type BreakGlassService = ReturnType<typeof createBreakGlassService>;
