import type { Flow, FlowLifecycle } from './flow.js';
import type { ManagerApprover } from './manager.js';
import type { OnCallRef } from './on-call.js';

/**
 * Sequential approval stages (docs/adr/0008-approval-stages.md). A flow may list stages, each with its
 * own approvers, N of M, reminders and escalation; a request moves through them in order and is granted
 * when the last one passes. A flow without stages is one implicit stage made of the flow's own approvers
 * and lifecycle, so everything that asks "who decides this request now" asks `stageFlow`.
 *
 * The approver fields are a shape of their own (users, groups, on call) so another kind of approver
 * (the requester's manager, issue 26 part 2) is one more field here, resolved where the others are.
 */
export interface FlowStage {
  name: string;
  approverUsers: string[];
  approverGroups: string[];
  /** On-call schedules whose first level is asked when the stage begins (like the flow's on_call). */
  onCallApprovers?: OnCallRef[];
  /** The requester's manager is asked when the stage begins (domain/manager.ts). */
  managerApprover?: ManagerApprover;
  approvalsRequired: number;
  remindAfterMinutes: number | null;
  escalateAfterMinutes: number | null;
  escalationUsers: string[];
  escalationGroups: string[];
}

export const MAX_STAGES = 5;

/** The stages a flow declares (older rows: none). */
export const declaredStages = (flow: Pick<Flow, 'stages'>): FlowStage[] => flow.stages ?? [];

/** How many stages a request of this flow goes through (1 for a flow without stages). */
export const stageCount = (flow: Pick<Flow, 'stages'>): number => Math.max(1, declaredStages(flow).length);

/**
 * The flow as stage `index` sees it: its approvers, N, reminders and escalation replaced by the
 * stage's. Everything else (requesters, self-approval, step-up, TTL) stays the flow's. A flow without
 * stages is returned as it is; an index past the last stage (the flow lost stages since) means the last.
 */
export function stageFlow(flow: Flow, index: number): Flow {
  const stages = declaredStages(flow);
  if (stages.length === 0) return flow;
  const stage = stages[Math.min(Math.max(0, index), stages.length - 1)]!;
  // The flow's own manager approver never applies to a staged flow: each stage says whether it asks the manager.
  const { managerApprover: _flowLevel, ...flowLifecycle } = flow.lifecycle;
  const lifecycle: FlowLifecycle = {
    ...flowLifecycle,
    remindAfterMinutes: stage.remindAfterMinutes,
    escalateAfterMinutes: stage.escalateAfterMinutes,
    escalationUsers: stage.escalationUsers,
    escalationGroups: stage.escalationGroups,
    onCallApprovers: stage.onCallApprovers ?? [],
    ...(stage.managerApprover ? { managerApprover: stage.managerApprover } : {}),
  };
  return {
    ...flow,
    approverUsers: stage.approverUsers,
    approverGroups: stage.approverGroups,
    approvalsRequired: stage.approvalsRequired,
    lifecycle,
  };
}

/** Whether passing stage `index` ends the approval (the request is granted) rather than starting the next. */
export const isLastStage = (flow: Pick<Flow, 'stages'>, index: number): boolean => index >= stageCount(flow) - 1;

/** The stage names a request copies at creation, for display (empty: a flow without stages). */
export const stageNamesOf = (flow: Pick<Flow, 'stages'>): string[] => declaredStages(flow).map((s) => s.name);

/**
 * A staged flow's approvers over all its stages: what the flow-wide questions (who may revoke, whose
 * Home lists the flow, `/access explain`) see. Deciding always asks the current stage (stageFlow).
 */
export function allStageApprovers(stages: readonly FlowStage[]): { users: string[]; groups: string[] } {
  return {
    users: [...new Set(stages.flatMap((s) => s.approverUsers))],
    groups: [...new Set(stages.flatMap((s) => s.approverGroups))],
  };
}

/** Where a request stands, for every surface: "Stage 2 of 2: owner approval", with who passed the earlier ones. */
export interface StageProgress {
  index: number;
  count: number;
  name: string;
  passed: { name: string; by: string[] }[];
}

/** Null for a request of a flow without stages (nothing to say). */
export function stageProgress(r: {
  stageNames: readonly string[];
  stageIndex: number;
  approvals: readonly { approverId: string; stageIndex?: number }[];
}): StageProgress | null {
  if (r.stageNames.length === 0) return null;
  const index = Math.min(r.stageIndex, r.stageNames.length - 1);
  return {
    index,
    count: r.stageNames.length,
    name: r.stageNames[index]!,
    passed: r.stageNames.slice(0, index).map((name, i) => ({
      name,
      by: r.approvals.filter((a) => (a.stageIndex ?? 0) === i).map((a) => a.approverId),
    })),
  };
}
