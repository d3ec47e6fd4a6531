import type { Executor } from '../db/client.js';
import { findLink } from '../db/identity-queries.js';
import type { RequestRow } from '../db/request-queries.js';
import { AppError } from '../domain/errors.js';
import type { Flow, Identity } from '../domain/flow.js';
import { stepUpClaims, stepUpRefusal } from '../domain/identity-link.js';
import { decisionRefusal } from '../domain/request-lifecycle.js';
import { stageFlow } from '../domain/stages.js';

/** What a decision checks before it writes (services/review-service.ts), each in the transaction that writes. */

function refusalMessage(code: string): string {
  return code === 'self_approval' ? 'You cannot decide your own request' : 'You are not an approver of this request';
}

/**
 * May this person decide the request now: an approver of its current stage (the flow itself without
 * stages; domain/stages.ts), an escalation approver once it was escalated, or on call for it; never the
 * requester unless the flow allows self-approval; and the request is still pending.
 */
export function checkMayDecide(
  flow: Flow | undefined,
  row: Pick<RequestRow, 'requesterId' | 'status' | 'decidedBy' | 'escalatedAt' | 'onCallApprovers' | 'stageIndex'> &
    Partial<Pick<RequestRow, 'requestedBy'>>,
  identity: Identity,
) {
  const stage = flow && stageFlow(flow, row.stageIndex);
  const refusal = decisionRefusal(
    stage,
    row.requesterId,
    identity,
    row.escalatedAt !== null,
    row.onCallApprovers,
    row.requestedBy ?? null,
  );
  if (refusal) throw new AppError(refusal, refusalMessage(refusal));
  if (row.status !== 'pending')
    throw new AppError('already_decided', 'Already decided', { status: row.status, by: row.decidedBy });
}

/**
 * A flow with step-up (identity.step_up_minutes) needs a recent enough sign-in of the approver with the
 * identity provider (and MFA when asked): returns the claims the decision relies on, for its audit event.
 */
export async function checkStepUp(tx: Executor, flow: Flow | undefined, actorId: string, requestId: string, now: Date) {
  if (!flow?.identity || flow.identity.stepUpMinutes === null) return null;
  const link = await findLink(tx, actorId);
  const refusal = stepUpRefusal(flow.identity, link, now);
  if (refusal)
    throw new AppError(
      refusal,
      refusal === 'mfa_required' ? 'step-up sign-in without MFA' : 'no recent step-up sign-in',
      { requestId, minutes: flow.identity.stepUpMinutes },
    );
  return stepUpClaims(link!);
}
