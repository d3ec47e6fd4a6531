import { appendAudit } from '../db/audit-queries.js';
import type { Tx } from '../db/client.js';
import { retireStageMessages } from '../db/decision-queries.js';
import { enqueue } from '../db/outbox-queries.js';
import { updateRequest, type RequestRow } from '../db/request-queries.js';
import type { RequestManager } from '../domain/manager.js';
import type { Flow } from '../domain/flow.js';
import type { Policy } from '../domain/policy.js';
import type { Resource } from '../domain/resource.js';
import { isLastStage, stageFlow, stageNamesOf } from '../domain/stages.js';
import type { ServiceDeps } from './deps.js';
import { approverIdsOf } from './identity.js';
import { managerFindings } from './manager-checks.js';
import { onCallFindings } from './on-call-checks.js';

/** Who the next stage asks: its approvers (group members from Slack) and whoever is on call on its schedules. */
export interface StageAudience {
  approvers: string[];
  onCall: string[];
  notes: string[];
  /** The stage asks the requester's manager: who was found (or why the fallback was asked). */
  manager: RequestManager | null;
}

/**
 * The audience of stage `index` of this request's flow. Asked of Slack and the on-call services before
 * the decision's transaction (never with the row locked); null when `index` is past the last stage.
 */
export async function stageAudience(
  deps: Pick<ServiceDeps, 'directory' | 'onCall' | 'managers'>,
  flow: Flow,
  index: number,
  request: {
    requesterId: string;
    requestedBy?: string | null;
    durationMinutes: number;
    resources: readonly Pick<Resource, 'name'>[];
  },
  now: Date,
): Promise<StageAudience | null> {
  if (index <= 0 || isLastStage(flow, index - 1)) return null;
  const stage = stageFlow(flow, index);
  // Only the stage's on-call approvers are asked here: auto-approval rules apply when the request arrives.
  const asked = await onCallFindings(deps, {
    flow: { ...stage, lifecycle: { ...stage.lifecycle, autoApprove: [] } },
    resources: request.resources as Resource[],
    durationMinutes: request.durationMinutes,
    requesterId: request.requesterId,
    requesterEmail: () => Promise.resolve(null),
    now,
  });
  const manager = await managerFindings(deps, stage, request.requesterId);
  const lookedUp = [...new Set([...asked.approvers, ...manager.approvers])];
  // The person who asked on the requester's behalf is never asked either (domain/request-lifecycle.ts).
  const mayDecide = (u: string) =>
    (u !== request.requesterId || (flow.allowSelfApproval && !request.requestedBy)) && u !== request.requestedBy;
  return {
    approvers: [...new Set([...(await approverIdsOf(deps.directory, stage, request.requesterId)), ...lookedUp])].filter(
      mayDecide,
    ),
    onCall: lookedUp.filter(mayDecide),
    notes: asked.notes,
    manager: manager.manager,
  };
}

/**
 * Stage `row.stageIndex` reached its N: the request moves on to the next stage, whose approvers get
 * their messages now (the notices lane's announce, which skips anyone who already has one); the
 * earlier stage's messages lose their buttons. Runs in the decision's transaction, row locked.
 */
export async function passStage(
  tx: Tx,
  input: {
    row: RequestRow;
    flow: Flow;
    audience: StageAudience;
    /** Who passed the stage (its approvals, this one included) and the last approver's tuning. */
    passedBy: string[];
    /** Everyone who approved the request so far, any stage (read with the row locked). */
    approvedBy: string[];
    actor: string;
    tuning: Policy;
    now: Date;
    stepUp: unknown;
  },
) {
  const { row, flow, now } = input;
  // A person approves a request once (ADR 0008): whoever approved an earlier stage is not asked again.
  const done = new Set(input.approvedBy);
  const audience = {
    ...input.audience,
    approvers: input.audience.approvers.filter((u) => !done.has(u)),
    onCall: input.audience.onCall.filter((u) => !done.has(u)),
  };
  const names = row.stageNames.length ? row.stageNames : stageNamesOf(flow);
  const next = row.stageIndex + 1;
  const nextStage = stageFlow(flow, next);
  await updateRequest(tx, row.id, {
    stageIndex: next,
    stageStartedAt: now,
    // Reminders and escalation count per stage: the next one starts afresh.
    remindedAt: null,
    escalatedAt: null,
    approvalsRequired: nextStage.approvalsRequired,
    notifiedApprovers: audience.approvers,
    onCallApprovers: audience.onCall,
    onCallNotes: audience.notes,
    manager: audience.manager,
  });
  await retireStageMessages(tx, row.id, audience.approvers);
  await appendAudit(tx, {
    requestId: row.id,
    actor: input.actor,
    action: 'request.stage_passed',
    createdAt: now,
    details: {
      stage: names[row.stageIndex] ?? `stage ${row.stageIndex + 1}`,
      stageNumber: row.stageIndex + 1,
      stages: names.length,
      by: input.passedBy,
      next: names[next] ?? `stage ${next + 1}`,
      nextApprovers: audience.approvers,
      ...(audience.manager ? { manager: audience.manager } : {}),
      tuning: input.tuning,
      ...(input.stepUp ? { step_up: input.stepUp } : {}),
    },
  });
  await enqueue(tx, [
    { topic: 'messages.refresh', requestId: row.id },
    { topic: 'request.created', requestId: row.id },
  ]);
}
