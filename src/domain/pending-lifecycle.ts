import { DEFAULT_LIFECYCLE, type FlowLifecycle } from './flow.js';

/** Requesters are warned this long before their access ends. */
export const END_WARNING_MINUTES = 10;
/** How far ahead a request may be scheduled to start. */
export const MAX_START_AHEAD_DAYS = 30;

export interface PendingTimes {
  createdAt: Date;
  /** When the current approval stage began (null or absent: with the request); reminders count from it. */
  stageStartedAt?: Date | null;
  remindedAt: Date | null;
  escalatedAt: Date | null;
}

export interface PendingSteps {
  /** Nobody decided within the pending TTL: the request ends without a decision. */
  timeOut: boolean;
  remind: boolean;
  escalate: boolean;
}

/**
 * A flow's lifecycle with every field present. Rows written before a field existed (or by hand) may
 * lack some; the defaults fill them so one missing key never stops the job for every request.
 */
export function lifecycleOf(lifecycle: Partial<FlowLifecycle> | null | undefined): FlowLifecycle {
  return { ...DEFAULT_LIFECYCLE, ...(lifecycle ?? {}) };
}

const minutesSince = (from: Date, now: Date) => (now.getTime() - from.getTime()) / 60_000;

/**
 * What is due for a pending request now, each step at most once (its timestamp records it). A request
 * past its TTL only times out: reminding or escalating it as it ends would only be noise. Times count
 * from the request's creation, so a bot that was down catches up on its first run.
 */
export function duePendingSteps(
  r: PendingTimes,
  lifecycle: Partial<FlowLifecycle> | null | undefined,
  now: Date,
): PendingSteps {
  const lc = lifecycleOf(lifecycle);
  const age = minutesSince(r.createdAt, now);
  if (age >= lc.pendingTtlMinutes) return { timeOut: true, remind: false, escalate: false };
  const stageAge = minutesSince(r.stageStartedAt ?? r.createdAt, now);
  // A flow with on-call approvers escalates to the next on-call layer even without escalation users.
  const hasEscalation = lc.escalationUsers.length + lc.escalationGroups.length + (lc.onCallApprovers?.length ?? 0) > 0;
  return {
    timeOut: false,
    remind: lc.remindAfterMinutes !== null && r.remindedAt === null && stageAge >= lc.remindAfterMinutes,
    escalate:
      hasEscalation &&
      lc.escalateAfterMinutes !== null &&
      r.escalatedAt === null &&
      stageAge >= lc.escalateAfterMinutes,
  };
}

/**
 * The server's check of a requested start (the date picker is never trusted): in the future and at
 * most MAX_START_AHEAD_DAYS ahead. Null when fine, else the sentence shown under the field.
 */
export function startProblem(startsAt: Date, now: Date): string | null {
  if (Number.isNaN(startsAt.getTime())) return 'Pick a date and time, or leave it empty to start at approval.';
  if (startsAt.getTime() <= now.getTime()) return 'Pick a start in the future, or leave it empty to start at approval.';
  if (startsAt.getTime() > now.getTime() + MAX_START_AHEAD_DAYS * 86400_000)
    return `Pick a start at most ${MAX_START_AHEAD_DAYS} days ahead.`;
  return null;
}
