/**
 * What one approval writes, inside the transaction that locked the request (review-service.ts decide):
 * the approval row, then either "more approvals needed", the next approval stage, an extension of the
 * grant, or the grant itself. Apart from review-service.ts, which reads and checks everything this needs
 * before the lock (no network call while the row is locked), so this file is only the write.
 */
import { appendAudit } from '../db/audit-queries.js';
import type { FlowRow, ResourceRow } from '../db/catalog-queries.js';
import type { Tx } from '../db/client.js';
import { enqueue } from '../db/outbox-queries.js';
import { insertApproval, type ApprovalRow, type RequestRow } from '../db/request-queries.js';
import { AppError } from '../domain/errors.js';
import type { stepUpClaims } from '../domain/identity-link.js';
import { narrowestPolicy, type Policy } from '../domain/policy.js';
import { isLastStage, stageFlow } from '../domain/stages.js';
import { applyExtension } from './extension-service.js';
import { writeGrant } from './grant-writer.js';
import { passStage, type StageAudience } from './stage-passing.js';

/** Seconds the request waited for its decision (the decision metric). */
export const waited = (row: Pick<RequestRow, 'createdAt'>, now: Date) =>
  Math.max(0, (now.getTime() - row.createdAt.getTime()) / 1000);

export interface ApprovalWrite {
  /** The request, locked. */
  row: RequestRow;
  /** The request's flow as it is now (all stages). */
  liveFlow: FlowRow;
  now: Date;
  stepUp: ReturnType<typeof stepUpClaims> | null;
  /** The request's approvals so far, every stage's. */
  earlier: ApprovalRow[];
  approverId: string;
  /** This approver's tuning, already checked against what was asked. */
  mine: Policy;
  /** The next stage's approvers, asked before the lock; null when the current stage is the last. */
  audience: StageAudience | null;
  requesterEmail: string | null;
  /** The cached catalogue's resources (for the grant's targets). */
  catalogue: readonly ResourceRow[];
}

export async function writeApproval(
  tx: Tx,
  { row, liveFlow, now, stepUp, earlier, approverId, mine, audience, requesterEmail, catalogue }: ApprovalWrite,
) {
  // One approval per person per request: someone who passed an earlier stage does not pass a later one too.
  const stageApprovals = earlier.filter((a) => a.stageIndex === row.stageIndex);
  const flow = stageFlow(liveFlow, row.stageIndex);
  if (earlier.some((a) => a.approverId === approverId)) {
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
    approverId: approverId,
    policy: mine,
    createdAt: now,
    stageIndex: row.stageIndex,
  });
  if (count < required) {
    await appendAudit(tx, {
      requestId: row.id,
      actor: approverId,
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
    if (!audience) throw new AppError('already_decided', 'The stage was decided meanwhile', { reason: 'stage_passed' });
    await passStage(tx, {
      row,
      flow: liveFlow,
      audience,
      passedBy: [...stageApprovals.map((a) => a.approverId), approverId],
      approvedBy: [...earlier.map((a) => a.approverId), approverId],
      actor: approverId,
      tuning: mine,
      now,
      stepUp,
    });
    return { conflict: false as const, granted: false, stagePassed: true, approvals: count, required };
  }
  if (row.kind === 'extension') {
    // An extension adds time to the grant it extends instead of creating a new one.
    await applyExtension(tx, row, merged.durationMinutes, approverId, now, stepUp);
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
    catalogue,
    decidedBy: approverId,
    approvedBy: approverId,
    audit: {
      actor: approverId,
      action: 'request.approved',
      details: {
        approvers: [...earlier.map((a) => a.approverId), approverId],
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
}
