import type { ErrorCode } from './errors.js';
import { isApproverOf, isEscalationApproverOf, type Flow, type Identity } from './flow.js';

/**
 * A request's life: pending -> active (approved, access granted) -> expired | revoked,
 * or pending -> denied | cancelled (withdrawn by the requester). An extension request ends
 * 'approved' (its time was added to the grant it extends). A request nobody decided within the flow's
 * pending TTL ends 'timed_out'. Terminal states never change again.
 */
export const REQUEST_STATUSES = [
  'pending',
  'active',
  'denied',
  'expired',
  'revoked',
  'cancelled',
  'approved',
  'timed_out',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export interface RequestState {
  status: RequestStatus;
  requesterId: string;
  durationMinutes: number;
  expiresAt: Date | null;
}

export type LifecycleEvent =
  | {
      type: 'approve';
      grantedMinutes: number;
      /** A scheduled start still ahead: the grant runs from then. */ startsAt?: Date | null;
    }
  | { type: 'time_out' }
  | { type: 'deny' }
  /** The requester withdraws a pending request. */
  | { type: 'cancel' }
  /** An extension request is approved: its time goes to the grant it extends, and it ends 'approved'. */
  | { type: 'approve_extension' }
  | { type: 'expire' }
  | { type: 'revoke' };

export type Transition = { ok: true; next: RequestState } | { ok: false; code: ErrorCode; current: RequestStatus };

export function transition(state: RequestState, event: LifecycleEvent, now: Date): Transition {
  const refuse = (code: ErrorCode): Transition => ({ ok: false, code, current: state.status });
  switch (event.type) {
    case 'approve': {
      if (state.status !== 'pending') return refuse('already_decided');
      if (!(event.grantedMinutes > 0 && event.grantedMinutes <= state.durationMinutes)) return refuse('invalid_input');
      const expiresAt = new Date(grantStart(event.startsAt ?? null, now).getTime() + event.grantedMinutes * 60_000);
      return { ok: true, next: { ...state, status: 'active', expiresAt } };
    }
    case 'time_out':
      return state.status === 'pending'
        ? { ok: true, next: { ...state, status: 'timed_out' } }
        : refuse('already_decided');
    case 'deny':
      return state.status === 'pending'
        ? { ok: true, next: { ...state, status: 'denied' } }
        : refuse('already_decided');
    case 'cancel':
      return state.status === 'pending'
        ? { ok: true, next: { ...state, status: 'cancelled' } }
        : refuse('already_decided');
    case 'approve_extension':
      return state.status === 'pending'
        ? { ok: true, next: { ...state, status: 'approved' } }
        : refuse('already_decided');
    case 'expire':
      if (state.status !== 'active') return refuse('not_active');
      if (!state.expiresAt || state.expiresAt.getTime() > now.getTime()) return refuse('not_active');
      return { ok: true, next: { ...state, status: 'expired' } };
    case 'revoke':
      return state.status === 'active' ? { ok: true, next: { ...state, status: 'revoked' } } : refuse('not_active');
  }
}

/** When a grant starts: at its scheduled start if that is still ahead, else at approval. */
export const grantStart = (scheduled: Date | null, now: Date): Date =>
  scheduled && scheduled.getTime() > now.getTime() ? scheduled : now;

/**
 * Who may approve or deny: an approver of the request's flow (or, once the request was escalated, one
 * of the flow's escalation approvers, or someone the bot recorded on the request because they were on
 * call on the flow's on-call approver schedules, or as the requester's manager or its fallback), and not the requester unless the flow allows
 * self-approval. Returns the refusal code, or null when allowed.
 */
export function decisionRefusal(
  flow: Flow | undefined,
  requesterId: string,
  actor: Identity,
  escalated = false,
  onCallApprovers: readonly string[] = [],
  requestedBy: string | null = null,
): ErrorCode | null {
  // People the bot looked up for the current stage (on call, the requester's manager or its fallback).
  const lookedUp = Boolean(flow?.lifecycle.onCallApprovers?.length) || Boolean(flow?.lifecycle.managerApprover);
  const onCall = lookedUp && onCallApprovers.includes(actor.userId);
  if (!flow || !(isApproverOf(flow, actor) || onCall || (escalated && isEscalationApproverOf(flow, actor))))
    return 'not_approver';
  if (actor.userId === requesterId && !flow.allowSelfApproval) return 'self_approval';
  // Asked on someone's behalf (domain/on-behalf.ts): neither the beneficiary nor the asker may approve it,
  // whatever the flow says about self-approval.
  if (requestedBy && (actor.userId === requestedBy || actor.userId === requesterId)) return 'self_approval';
  return null;
}

/** Who may end an active grant early: an approver of its flow, an admin, or (releasing) the requester. */
export function revokeRefusal(
  flow: Flow | undefined,
  requesterId: string,
  actor: Identity,
  isAdmin: boolean,
): ErrorCode | null {
  if (isAdmin || actor.userId === requesterId) return null;
  return flow && isApproverOf(flow, actor) ? null : 'not_approver';
}

export const isTerminal = (s: RequestStatus): boolean => s !== 'pending' && s !== 'active';
