import { appendAudit } from '../db/audit-queries.js';
import type { FlowRow } from '../db/catalog-queries.js';
import type { Tx } from '../db/client.js';
import { flowAndApprovals } from '../db/decision-queries.js';
import { enqueue } from '../db/outbox-queries.js';
import type { stepUpClaims } from '../domain/identity-link.js';
import {
  getRequestDetails,
  insertApproval,
  lockRequest,
  updateRequest,
  type ApprovalRow,
  type RequestDetails,
  type RequestRow,
} from '../db/request-queries.js';
import { AppError } from '../domain/errors.js';
import type { Flow, Identity } from '../domain/flow.js';
import { narrowestPolicy, PolicySchema } from '../domain/policy.js';
import { withinRequested } from '../domain/bundle.js';
import { transition } from '../domain/request-lifecycle.js';
import type { TuningOffer } from '../domain/resource.js';
import { isLastStage, stageFlow } from '../domain/stages.js';
import { checkMayDecide, checkStepUp } from './decision-checks.js';
import { writeGrant } from './grant-writer.js';
import { passStage, stageAudience } from './stage-passing.js';
import { deciderIdentity, mappedEmail, requireMember } from './identity.js';
import { applyExtension } from './extension-service.js';
import { noopMetrics } from './ports.js';
import type { ServiceDeps } from './deps.js';
import { createTuningChecks, validateTuning, type ApproveInput, type TuningErrors } from './tuning-checks.js';
export type { ApproveInput, TuningErrors } from './tuning-checks.js';

export type ApproveResult =
  | {
      ok: true;
      /** `stage_passed`: this approval passed a stage and the request went on to the next one. */
      outcome: 'granted' | 'needs_more' | 'stage_passed';
      approvals: number;
      required: number;
    }
  | { ok: false; errors: TuningErrors };

export interface ReviewContext {
  request: RequestDetails;
  /** The tuning choices each resource offers (from the catalogue and its provisioner, by resource name). */
  defaults: Record<string, TuningOffer>;
}

const DENY_REASON_MAX = 500;

export function createReviewService(deps: ServiceDeps) {
  const { tuningOffer, validateRoles } = createTuningChecks(deps.provisioners);
  const { db, directory, clock } = deps;
  const metrics = deps.metrics ?? noopMetrics;
  const waited = (row: Pick<RequestRow, 'createdAt'>, now: Date) =>
    Math.max(0, (now.getTime() - row.createdAt.getTime()) / 1000);

  /** The request's flow and the catalogue's resources, from the cache (one version check). */
  async function catalogueOf(request: Pick<RequestRow, 'flowId'>) {
    const { flows, resources } = await deps.catalog.snapshot();
    return { flow: flows.find((f) => f.id === request.flowId), resources };
  }

  /** Only the request's flow's groups are asked about (see deciderIdentity): the check runs on every click. */
  async function actorIdentity(actorId: string, request: RequestDetails, flow: Flow | undefined): Promise<Identity> {
    return deciderIdentity(
      directory,
      actorId,
      flow && stageFlow(flow, request.stageIndex),
      request.escalatedAt !== null,
    );
  }

  /** Checks (without writing) that this person may decide the request now: used before opening a modal. */
  async function startReview(
    requestId: string,
    actorId: string,
    kind: 'approve' | 'deny' = 'approve',
  ): Promise<ReviewContext> {
    await requireMember(directory, actorId);
    const [request, catalogue] = await Promise.all([getRequestDetails(db, requestId), deps.catalog.snapshot()]);
    if (!request) throw new AppError('not_found', `No request ${requestId}`);
    const flow = catalogue.flows.find((f) => f.id === request.flowId);
    checkMayDecide(flow, request, await actorIdentity(actorId, request, flow));
    await checkStepUp(db, flow, actorId, requestId, clock.now());
    // The approval's submit reads the requester's email (for provisioners); fetched now, it is cached then.
    if (kind === 'approve') void directory.person(request.requesterId).catch(() => undefined);
    if (kind === 'approve' && request.approvals.some((a) => a.approverId === actorId)) {
      throw new AppError('already_approved', 'Already approved by this person', {
        approvals: request.approvals.length,
        required: request.approvalsRequired,
      });
    }
    const defaults = Object.fromEntries(
      request.resources.map((r) => [r.name, tuningOffer(catalogue.resources.find((x) => x.name === r.name))]),
    );
    return { request, defaults };
  }

  /**
   * The decision itself: lock the request row, re-check authority against the live flow and the state,
   * then write in one transaction. A second (even concurrent) decision finds the row no longer pending
   * and changes nothing.
   */
  async function decide<T>(
    requestId: string,
    identity: Identity,
    write: (
      tx: Tx,
      row: RequestRow,
      flow: FlowRow,
      now: Date,
      stepUp: ReturnType<typeof stepUpClaims> | null,
      approvals: ApprovalRow[],
    ) => Promise<T>,
    /** The approval stage the person saw (the request as read before the lock); undefined: any. */
    seenStage?: number,
  ): Promise<T> {
    const result = await db.transaction(async (tx) => {
      const row = await lockRequest(tx, requestId);
      if (!row) throw new AppError('not_found', `No request ${requestId}`);
      // The stage they decided passed meanwhile (another approver of it was first): nothing is written.
      if (row.status === 'pending' && seenStage !== undefined && row.stageIndex !== seenStage)
        throw new AppError('already_decided', 'The stage was decided meanwhile', { reason: 'stage_passed' });
      const live = await flowAndApprovals(tx, row.flowId, row.id);
      checkMayDecide(live?.flow, row, identity);
      const now = clock.now();
      // Re-checked here, in the transaction that writes the decision: a sign-in that went stale since the click does not count.
      const stepUp = await checkStepUp(tx, live?.flow, identity.userId, requestId, now);
      return write(tx, row, live!.flow, now, stepUp, live!.approvals);
    });
    deps.afterCommit();
    return result;
  }

  /**
   * Records this approver's approval and tuning. When the flow's N approvals are reached the grant is
   * created with the narrowest tuning of all of them; before that the request stays pending.
   */
  /**
   * `seen`: the request as the caller just read it (RequestService.get), so it is not read again; the
   * decision re-reads and locks it anyway.
   */
  async function approve(input: ApproveInput, seen?: RequestDetails): Promise<ApproveResult> {
    await requireMember(directory, input.approverId);
    const current = seen ?? (await getRequestDetails(db, input.requestId));
    if (!current) throw new AppError('not_found', `No request ${input.requestId}`);
    const { flow, resources } = await catalogueOf(current);
    const identity = await actorIdentity(input.approverId, current, flow);
    const errors = validateTuning(current, input) ?? validateRoles(input, resources);
    if (errors) return { ok: false, errors };
    // A bundle part's requested scope (domain/bundle.ts): the approver may narrow it, never widen it.
    const mine = withinRequested(
      PolicySchema.parse({ resources: input.grants, durationMinutes: input.durationMinutes }),
      current.resources.flatMap((r) => r.requested ?? []),
    );
    if (!mine)
      return { ok: false, errors: { resources: 'That keeps nothing of what was asked for; narrow within it.' } };
    // Read before the transaction: no network call while the row is locked.
    const requesterEmail = await mappedEmail(current.requesterIdentity, directory, current.requesterId);
    // When the request's current stage is not the last, this approval may pass it (here or because another
    // approver of the stage commits first): the next stage's approvers are asked of Slack (and on-call)
    // now, before the row is locked.
    const audience =
      flow && !isLastStage(flow, current.stageIndex)
        ? await stageAudience(deps, flow, current.stageIndex + 1, current, clock.now())
        : null;

    const outcome = await decide(
      input.requestId,
      identity,
      async (tx, row, liveFlow, now, stepUp, earlier) => {
        // One approval per person per request: someone who passed an earlier stage does not pass a later one too.
        const stageApprovals = earlier.filter((a) => a.stageIndex === row.stageIndex);
        const flow = stageFlow(liveFlow, row.stageIndex);
        if (earlier.some((a) => a.approverId === input.approverId)) {
          throw new AppError('already_approved', 'Already approved by this person', {
            approvals: stageApprovals.length,
            required: flow.approvalsRequired,
          });
        }
        // The narrowest of every approval, earlier stages' included (ADR 0004 across stages).
        const all = [...earlier.map((a) => a.policy), mine];
        const count = stageApprovals.length + 1;
        const required = Math.max(1, flow.approvalsRequired);
        const merged = narrowestPolicy(all);
        if (!merged) return { conflict: true as const };
        const stageName = row.stageNames[row.stageIndex];
        await insertApproval(tx, row.id, {
          approverId: input.approverId,
          policy: mine,
          createdAt: now,
          stageIndex: row.stageIndex,
        });
        if (count < required) {
          await appendAudit(tx, {
            requestId: row.id,
            actor: input.approverId,
            action: 'request.approval_added',
            createdAt: now,
            details: {
              policy: mine,
              approvals: count,
              required,
              ...(stageName ? { stage: stageName } : {}),
              ...(stepUp ? { step_up: stepUp } : {}),
            },
          });
          await enqueue(tx, [{ topic: 'messages.refresh', requestId: row.id }]);
          return { conflict: false as const, granted: false, approvals: count, required };
        }
        if (!isLastStage(liveFlow, row.stageIndex)) {
          // Asked for the stage the approver saw (decide refuses a stage that moved on since).
          if (!audience)
            throw new AppError('already_decided', 'The stage was decided meanwhile', { reason: 'stage_passed' });
          await passStage(tx, {
            row,
            flow: liveFlow,
            audience,
            passedBy: [...stageApprovals.map((a) => a.approverId), input.approverId],
            approvedBy: [...earlier.map((a) => a.approverId), input.approverId],
            actor: input.approverId,
            tuning: mine,
            now,
            stepUp,
          });
          return { conflict: false as const, granted: false, stagePassed: true, approvals: count, required };
        }
        if (row.kind === 'extension') {
          // An extension adds time to the grant it extends instead of creating a new one.
          await applyExtension(tx, row, merged.durationMinutes, input.approverId, now, stepUp);
          return {
            conflict: false as const,
            granted: true,
            approvals: count,
            required,
            decided: { flow: row.flowName, seconds: waited(row, now), extension: true },
          };
        }
        await writeGrant(tx, {
          row,
          policy: merged,
          now,
          requesterEmail,
          // The cached catalogue, checked against the version just before: as fresh as reading the rows.
          catalogue: resources,
          decidedBy: input.approverId,
          approvedBy: input.approverId,
          audit: {
            actor: input.approverId,
            action: 'request.approved',
            details: {
              approvers: [...earlier.map((a) => a.approverId), input.approverId],
              tuning: mine,
              ...(stageName ? { stage: stageName } : {}),
              ...(stepUp ? { step_up: stepUp } : {}),
            },
          },
          messages: [
            { topic: 'messages.refresh', requestId: row.id },
            { topic: 'requester.notify', requestId: row.id, payload: { event: 'approved' } },
          ],
        });
        return {
          conflict: false as const,
          granted: true,
          approvals: count,
          required,
          decided: { flow: row.flowName, seconds: waited(row, now), extension: false },
        };
      },
      input.seenStage ?? current.stageIndex,
    );
    if (!outcome.conflict && outcome.decided) {
      metrics.requestOutcome(outcome.decided.flow, outcome.decided.extension ? 'extended' : 'approved');
      metrics.observeDecision(outcome.decided.flow, 'approved', outcome.decided.seconds);
    }
    if (outcome.conflict) {
      return {
        ok: false,
        errors: {
          resources:
            'Your tuning has nothing in common with the earlier approvals of this request: keep at least one resource and setting they allowed.',
        },
      };
    }
    return {
      ok: true,
      outcome: outcome.granted ? 'granted' : 'stagePassed' in outcome ? 'stage_passed' : 'needs_more',
      approvals: outcome.approvals,
      required: outcome.required,
    };
  }

  async function deny(requestId: string, actorId: string, reason: string, seenStage?: number): Promise<RequestDetails> {
    await requireMember(directory, actorId);
    const request = await getRequestDetails(db, requestId);
    const identity = request
      ? await actorIdentity(actorId, request, (await catalogueOf(request)).flow)
      : { userId: actorId, groupIds: new Set<string>() };
    const note = reason.trim().slice(0, DENY_REASON_MAX) || null;
    const decided = await decide(
      requestId,
      identity,
      async (tx, row, _flow, now, stepUp) => {
        const step = transition({ ...row, expiresAt: null }, { type: 'deny' }, now);
        if (!step.ok) throw new AppError(step.code, 'Already decided', { status: row.status, by: row.decidedBy });
        await updateRequest(tx, row.id, {
          status: step.next.status,
          decidedAt: now,
          decidedBy: actorId,
          denyReason: note,
        });
        await appendAudit(tx, {
          requestId: row.id,
          actor: actorId,
          action: 'request.denied',
          createdAt: now,
          details: { reason: note, ...(stepUp ? { step_up: stepUp } : {}) },
        });
        await enqueue(tx, [
          { topic: 'messages.refresh', requestId: row.id },
          { topic: 'requester.notify', requestId: row.id, payload: { event: 'denied' } },
        ]);
        return { flow: row.flowName, seconds: waited(row, now) };
      },
      seenStage ?? request?.stageIndex,
    );
    metrics.requestOutcome(decided.flow, 'denied');
    metrics.observeDecision(decided.flow, 'denied', decided.seconds);
    return (await getRequestDetails(db, requestId))!;
  }

  return { startReview, approve, deny };
}

export type ReviewService = ReturnType<typeof createReviewService>;
