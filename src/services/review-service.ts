import { appendAudit } from '../db/audit-queries.js';
import type { FlowRow } from '../db/catalog-queries.js';
import type { Tx } from '../db/client.js';
import { flowAndApprovals } from '../db/decision-queries.js';
import { enqueue } from '../db/outbox-queries.js';
import type { stepUpClaims } from '../domain/identity-link.js';
import {
  getRequestDetails,
  lockRequest,
  updateRequest,
  type ApprovalRow,
  type RequestDetails,
  type RequestRow,
} from '../db/request-queries.js';
import { AppError } from '../domain/errors.js';
import type { Flow, Identity } from '../domain/flow.js';
import { PolicySchema } from '../domain/policy.js';
import { withinRequested } from '../domain/bundle.js';
import { transition } from '../domain/request-lifecycle.js';
import type { TuningOffer } from '../domain/resource.js';
import { isLastStage, stageFlow } from '../domain/stages.js';
import { checkMayDecide, checkStepUp } from './decision-checks.js';
import { waited, writeApproval } from './approval-write.js';
import { stageAudience } from './stage-passing.js';
import { deciderIdentity, mappedEmail, requireMember } from './identity.js';
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
      (tx, row, liveFlow, now, stepUp, earlier) =>
        writeApproval(tx, {
          row,
          liveFlow,
          now,
          stepUp,
          earlier,
          approverId: input.approverId,
          mine,
          audience,
          requesterEmail,
          catalogue: resources,
        }),
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
