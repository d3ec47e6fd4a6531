import { appendAudit } from '../db/audit-queries.js';
import { findFlow } from '../db/catalog-queries.js';
import { activeHolders, hasAuditEvent, openRequestsOf, pendingNotifying } from '../db/offboarding-queries.js';
import { enqueue } from '../db/outbox-queries.js';
import { liveTokenHolders } from '../db/personal-token-queries.js';
import { lockRequest, updateRequest } from '../db/request-queries.js';
import { isAppError } from '../domain/errors.js';
import type { Flow } from '../domain/flow.js';
import { DEACTIVATED_BY, DEACTIVATION_REASON, remainingDeciders } from '../domain/offboarding.js';
import { transition } from '../domain/request-lifecycle.js';
import { endGrantWrite } from './grant-writer.js';
import { approverIdsOf } from './identity.js';
import { revokeTokensOfDeparted } from './personal-token-service.js';
import { noopMetrics, type Person } from './ports.js';
import type { ServiceDeps } from './deps.js';

export interface OffboardingResult {
  /** Slack says the account is deactivated (else nothing was done). */
  deactivated: boolean;
  /** Active grants ended. */
  ended: number;
  /** Pending requests of theirs cancelled. */
  cancelled: number;
  /** Pending requests of others that nobody can decide now (their requesters were told). */
  stranded: number;
  /** Personal tokens revoked. */
  tokens: number;
}

const NOTHING: OffboardingResult = { deactivated: false, ended: 0, cancelled: 0, stranded: 0, tokens: 0 };
const audit = { actor: 'system', details: { reason: DEACTIVATION_REASON } } as const;

/**
 * When Slack says a person is gone (a `user_change` event with `deleted: true`, or the periodic check).
 * The event is only a hint: Slack (users.info, through the directory) is asked again, and only a
 * deactivated account is offboarded, so a forged or stale event changes nothing. Each request is
 * handled in its own transaction with its row locked, through the state machine, so a redelivered
 * event (Slack retries) or two replicas find nothing left to do and write nothing twice.
 */
export function createOffboardingService(deps: ServiceDeps) {
  const { db, directory, clock } = deps;
  const metrics = deps.metrics ?? noopMetrics;

  async function lookUp(userId: string, fresh = false): Promise<Person | null> {
    try {
      return await directory.person(userId, { fresh });
    } catch (e) {
      if (isAppError(e) && e.code === 'not_allowed') return null; // Slack does not know them: not a deactivation
      throw e;
    }
  }

  /** Ends their grants, cancels their pending requests, tells requesters whose only approver they were. */
  async function personLeft(userId: string): Promise<OffboardingResult> {
    const person = await lookUp(userId);
    if (!person?.deleted) return NOTHING;
    const result: OffboardingResult = { ...NOTHING, deactivated: true };
    // First: their tokens for the request API, the CLI and MCP stop speaking for them.
    result.tokens = await revokeTokensOfDeparted(db, userId, clock.now());
    for (const open of await openRequestsOf(db, userId)) {
      const outcome = await db.transaction(async (tx) => {
        const row = await lockRequest(tx, open.id);
        if (!row) return null;
        const now = clock.now();
        if (row.status === 'active') {
          const ended = await endGrantWrite(tx, {
            row,
            expiresAt: null,
            how: 'revoke',
            now,
            endedBy: DEACTIVATED_BY,
            audit: { ...audit, action: 'grant.ended' },
            notifyRequester: false,
          });
          return ended.ok ? ({ flow: row.flowName, outcome: 'revoked' } as const) : null;
        }
        const step = transition({ ...row, expiresAt: null }, { type: 'cancel' }, now);
        if (!step.ok) return null; // decided meanwhile
        await updateRequest(tx, row.id, { status: step.next.status, endedAt: now, endedBy: DEACTIVATED_BY });
        await appendAudit(tx, { requestId: row.id, ...audit, action: 'request.cancelled', createdAt: now });
        await enqueue(tx, [{ topic: 'messages.refresh', requestId: row.id }]);
        return { flow: row.flowName, outcome: 'cancelled' } as const;
      });
      if (!outcome) continue;
      deps.afterCommit();
      metrics.requestOutcome(outcome.flow, outcome.outcome);
      if (outcome.outcome === 'revoked') result.ended++;
      else result.cancelled++;
    }
    result.stranded = await tellStranded(userId);
    return result;
  }

  /**
   * Pending requests they were asked to decide stay pending (someone may still be added to the flow).
   * Where nobody else can decide now (the flow's approvers and escalation approvers, less them and,
   * without self-approval, the requester), the requester hears it once. Kept simple on purpose: the
   * other approvers are not each asked whether they are deactivated too.
   */
  async function tellStranded(userId: string): Promise<number> {
    let told = 0;
    for (const pending of await pendingNotifying(db, userId)) {
      if (pending.requesterId === userId) continue;
      const flow = await findFlow(db, pending.flowId);
      if (flow && (await decidersLeft(flow, userId, pending.requesterId)).length > 0) continue;
      const wrote = await db.transaction(async (tx) => {
        const row = await lockRequest(tx, pending.id);
        if (row?.status !== 'pending') return false;
        if (await hasAuditEvent(tx, row.id, 'request.no_approver', 'approver', userId)) return false;
        await appendAudit(tx, {
          requestId: row.id,
          actor: 'system',
          action: 'request.no_approver',
          createdAt: clock.now(),
          details: { approver: userId, reason: DEACTIVATION_REASON },
        });
        await enqueue(tx, [{ topic: 'requester.notify', requestId: row.id, payload: { event: 'no_approver' } }]);
        return true;
      });
      if (wrote) {
        told++;
        deps.afterCommit();
      }
    }
    return told;
  }

  async function decidersLeft(flow: Flow, gone: string, requesterId: string): Promise<string[]> {
    const escalationGroups = await Promise.all(
      (flow.lifecycle?.escalationGroups ?? []).map((g) => directory.groupMembers(g)),
    );
    const all = [
      ...(await approverIdsOf(directory, flow)),
      ...(flow.lifecycle?.escalationUsers ?? []),
      ...escalationGroups.flat(),
    ];
    return remainingDeciders([...new Set(all)], gone, requesterId, flow.allowSelfApproval);
  }

  /**
   * Catches what an event missed (the bot was down, the event was lost): asks Slack about everyone
   * holding an active grant or a live personal token (fresh, not from the directory's cache) and
   * offboards those it says are deactivated: one users.info (Tier 4, 100+ a minute) per holder per
   * RECONCILE_INTERVAL_SECONDS.
   */
  async function reconcile(): Promise<number> {
    let offboarded = 0;
    const holders = new Set([...(await activeHolders(db)), ...(await liveTokenHolders(db, clock.now()))]);
    for (const holder of holders) {
      const person = await lookUp(holder, true);
      if (person?.deleted && (await personLeft(holder)).deactivated) offboarded++;
    }
    return offboarded;
  }

  return { personLeft, reconcile };
}

export type OffboardingService = ReturnType<typeof createOffboardingService>;
