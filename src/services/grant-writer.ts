import { appendAudit, appendAudits } from '../db/audit-queries.js';
import { notifyGrantChanged } from '../db/authz-queries.js';
import { resourcesByName, type ResourceRow } from '../db/catalog-queries.js';
import type { Executor } from '../db/client.js';
import { expireGrants, grantsOf, lockExpiringRequests, notifyGrantsChanged } from '../db/expiry-queries.js';
import { insertTargets, markTargetsForRemoval } from '../db/grant-queries.js';
import { newId } from '../db/ids.js';
import { enqueue } from '../db/outbox-queries.js';
import {
  endGrant,
  insertGrant,
  insertRequest,
  updateRequest,
  type RequestedResource,
  type RequestRow,
} from '../db/request-queries.js';
import type { AuditAction } from '../domain/audit-action.js';
import { AppError, type ErrorCode } from '../domain/errors.js';
import type { OutboxEntry } from '../domain/outbox.js';
import type { Policy } from '../domain/policy.js';
import { grantStart, transition, type RequestState } from '../domain/request-lifecycle.js';

export interface NewRequest {
  row: Parameters<typeof insertRequest>[1];
  resources: RequestedResource[];
  /**
   * The `request.created` audit event's details, written by the requester; null when the first event is
   * the grant itself (break-glass writes `request.break_glass` through writeGrant).
   */
  created: Record<string, unknown> | null;
}

/**
 * Stores a new request (always pending; a rule or break-glass may grant it in the same transaction) and
 * its `request.created` audit event. One place for it, so a request from the form, an extension and
 * break-glass are stored the same way.
 */
export async function writeNewRequest(tx: Executor, r: NewRequest): Promise<void> {
  await insertRequest(tx, r.row, r.resources);
  if (r.created)
    await appendAudit(tx, {
      requestId: r.row.id,
      // On behalf of someone, the person who asked acted (the details name both).
      actor: r.row.requestedBy ?? r.row.requesterId,
      action: 'request.created',
      createdAt: r.row.createdAt,
      details: r.created,
    });
}

export interface GrantWrite {
  /** The request row, locked by the caller (or inserted in this transaction), still pending. */
  row: Pick<RequestRow, 'id' | 'requesterId' | 'status' | 'durationMinutes'> & Partial<Pick<RequestRow, 'startsAt'>>;
  policy: Policy;
  now: Date;
  requesterEmail: string | null;
  /** The catalogue's resources when the caller holds them already (read from the database otherwise). */
  catalogue?: readonly ResourceRow[];
  /** The approver who decided; null when no human did (an auto-approval rule, break-glass). */
  decidedBy: string | null;
  /** `grants.approved_by`: the approver, `rule:<name>` for auto-approval, the user for break-glass. */
  approvedBy: string;
  /** The auto-approval rule's name, stored on the request for display and audit. */
  autoApprovedBy?: string;
  audit: { actor: string; action: AuditAction; details: Record<string, unknown> };
  /** Messages to queue (before the provisioning work): refreshes, announcements, notices. */
  messages: OutboxEntry[];
}

/**
 * Turns a pending request into an active grant inside the caller's transaction: status, grant row,
 * provisioning targets, the authorization index's NOTIFY, the audit event and the outbox. One place
 * for it, so a human approval, an auto-approval and break-glass grant exactly the same way.
 */
export async function writeGrant(tx: Executor, w: GrantWrite): Promise<{ grantId: string; expiresAt: Date }> {
  const step = transition(
    { ...w.row, expiresAt: null },
    { type: 'approve', grantedMinutes: w.policy.durationMinutes, startsAt: w.row.startsAt ?? null },
    w.now,
  );
  if (!step.ok) throw new AppError(step.code, 'Cannot approve');
  const expiresAt = step.next.expiresAt!;
  // A scheduled start still ahead: the grant runs from then (and ends that much later); one that has
  // passed while the request waited starts now, so nobody gets less time than was approved.
  const startsAt = grantStart(w.row.startsAt ?? null, w.now);
  const scheduled = startsAt.getTime() > w.now.getTime();
  const grantId = newId('grt');
  await updateRequest(tx, w.row.id, {
    status: step.next.status,
    decidedAt: w.now,
    decidedBy: w.decidedBy,
    ...(w.autoApprovedBy ? { autoApprovedBy: w.autoApprovedBy } : {}),
  });
  await insertGrant(tx, {
    id: grantId,
    requestId: w.row.id,
    requesterId: w.row.requesterId,
    requesterEmail: w.requesterEmail,
    policy: w.policy,
    approvedBy: w.approvedBy,
    status: 'active',
    startsAt,
    expiresAt,
  });
  // Resources with a provisioner get a target row; the outbox worker makes each one real after commit.
  const granted = w.policy.resources.map((g) => g.resource);
  const catalogue = w.catalogue
    ? w.catalogue.filter((r) => granted.includes(r.name))
    : await resourcesByName(tx, granted);
  const targets = catalogue
    .filter((r) => r.provisioner)
    .map((r) => ({ grantId, resourceName: r.name, provisioner: r.provisioner!.type }));
  await insertTargets(tx, targets);
  await notifyGrantChanged(tx, grantId);
  await appendAudit(tx, {
    requestId: w.row.id,
    actor: w.audit.actor,
    action: w.audit.action,
    createdAt: w.now,
    details: {
      grantId,
      policy: w.policy,
      ...(scheduled ? { startsAt: startsAt.toISOString() } : {}),
      expiresAt: expiresAt.toISOString(),
      ...w.audit.details,
    },
  });
  // Provisioning of a scheduled grant is held back until its start (the lifecycle job also releases it
  // by the bot's clock, see services/lifecycle-jobs.ts); the authorization index refuses it until then.
  const provision: OutboxEntry = {
    topic: 'grant.provision',
    requestId: w.row.id,
    payload: { grantId },
    ...(scheduled ? { availableAt: startsAt } : {}),
  };
  await enqueue(tx, [...w.messages, ...(targets.length > 0 ? [provision] : [])]);
  return { grantId, expiresAt };
}

export interface GrantEnd {
  /** The request row, locked by the caller. */
  row: Pick<RequestRow, 'id' | 'requesterId' | 'durationMinutes'> & { status: RequestState['status'] };
  /** The grant's end (the expiry checks it is past); null when unknown. */
  expiresAt: Date | null;
  how: 'revoke' | 'expire';
  now: Date;
  /** Who ended it; null: the system (an expiry). */
  endedBy: string | null;
  /** `action` defaults to `grant.<status>`; an offboarding writes `grant.ended` (its reason in the details). */
  audit: { actor: string; action?: AuditAction; details: Record<string, unknown> };
  /** False: no notice to the requester (their Slack account is gone: nobody would read it). */
  notifyRequester?: boolean;
}

/** What ending a grant queues: removal first, then the refresh and (unless told not to) the requester's notice. */
function endItems(requestId: string, grantId: string | null, status: 'revoked' | 'expired', notify: boolean) {
  return [
    ...(grantId ? [{ topic: 'grant.deprovision' as const, requestId, payload: { grantId } }] : []),
    { topic: 'messages.refresh' as const, requestId },
    ...(notify ? [{ topic: 'requester.notify' as const, requestId, payload: { event: status } }] : []),
  ] satisfies OutboxEntry[];
}

/**
 * Ends an active grant inside the caller's transaction: the state machine's step, status, grant row,
 * targets marked for removal, the authorization index's NOTIFY, the outbox (removal first, then the
 * refresh and the requester's notice) and, last, the audit event (the chain's lock is held from the
 * append to commit). One place for it, so a revocation and an expiry end a grant the same way (expiry
 * many at a time: expireDueWrite). Returns false (nothing written) when the state machine refuses.
 */
export async function endGrantWrite(tx: Executor, e: GrantEnd): Promise<{ ok: true } | { ok: false; code: ErrorCode }> {
  const step = transition({ ...e.row, expiresAt: e.expiresAt }, { type: e.how }, e.now);
  if (!step.ok) return { ok: false, code: step.code };
  const status = step.next.status as 'revoked' | 'expired';
  await updateRequest(tx, e.row.id, { status, endedAt: e.now, endedBy: e.endedBy });
  const grantId = await endGrant(tx, e.row.id, status, e.now);
  if (grantId) await markTargetsForRemoval(tx, grantId);
  if (grantId) await notifyGrantChanged(tx, grantId);
  await enqueue(tx, endItems(e.row.id, grantId, status, e.notifyRequester !== false));
  await appendAudit(tx, {
    requestId: e.row.id,
    actor: e.audit.actor,
    action: e.audit.action ?? `grant.${status}`,
    createdAt: e.now,
    details: e.audit.details,
  });
  return { ok: true };
}

/**
 * Ends up to `limit` grants whose time is up, set-based, inside the caller's transaction: the due
 * requests locked in one statement (SKIP LOCKED: replicas take different ones), their grants read
 * again after the lock (an extension that just committed moved the end), the state machine's step for
 * each, then requests, grants and targets in three statements, one NOTIFY, one outbox insert and, last,
 * one multi-row audit insert, so the chain's lock is held only from that insert to commit. What each
 * ended grant gets is what endGrantWrite gives one. Returns how many requests were locked and which ended.
 */
export async function expireDueWrite(
  tx: Executor,
  now: Date,
  limit: number,
): Promise<{ locked: number; ended: { requestId: string; flowName: string }[] }> {
  const locked = await lockExpiringRequests(tx, now, limit);
  if (locked.length === 0) return { locked: 0, ended: [] };
  const requestIds = locked.map((r) => r.id);
  const grantOf = new Map((await grantsOf(tx, requestIds)).map((g) => [g.requestId, g]));
  const ends = locked.flatMap((row) => {
    const grant = grantOf.get(row.id);
    if (!grant || grant.status !== 'active') return [];
    return transition({ ...row, expiresAt: grant.expiresAt }, { type: 'expire' }, now).ok ? [{ row, grant }] : [];
  });
  const pairs = ends.map(({ row, grant }) => ({ requestId: row.id, grantId: grant.id }));
  const grantIds = pairs.map((p) => p.grantId);
  await expireGrants(tx, pairs, now);
  await notifyGrantsChanged(tx, grantIds);
  await enqueue(
    tx,
    pairs.flatMap((p) => endItems(p.requestId, p.grantId, 'expired', true)),
  );
  await appendAudits(
    tx,
    ends.map(({ row, grant }) => ({
      requestId: row.id,
      actor: 'system',
      action: 'grant.expired' as const,
      createdAt: now,
      details: { expiresAt: grant.expiresAt.toISOString() },
    })),
  );
  return { locked: locked.length, ended: ends.map(({ row }) => ({ requestId: row.id, flowName: row.flowName })) };
}
