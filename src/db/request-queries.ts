import { and, asc, desc, eq, inArray, isNotNull, ne, or, sql } from 'drizzle-orm';
import type { DecidableFlows } from '../domain/flow.js';
import type { RequestStatus } from '../domain/request-lifecycle.js';
import type { ApprovalRow, GrantRow, RequestDetails, RequestedResource, RequestRow } from '../domain/request.js';
import type { Executor } from './client.js';
import { requestColumns } from './request-columns.js';
import { preparedOn } from './prepared.js';
import { detailColumns, toDetails } from './request-details.js';
export { requestColumns } from './request-columns.js';
export type {
  ApprovalRow,
  GrantRow,
  MessageRef,
  RequestDetails,
  RequestedResource,
  RequestRow,
  RequestKind,
} from '../domain/request.js';
import { accessRequests, approvals, grants, requestResources } from './schema/index.js';

/**
 * NOTIFYed with a request's id by triggers (migration 0018) whenever its status or one of its grant's
 * targets' status changes: the request API's long poll waits on it (services/request-watch.ts).
 */
export const REQUEST_CHANGED_CHANNEL = 'access_request_changed';

/** Lifecycle fields a new request may leave out (they default to "none yet"). */
type LifecycleFields =
  | 'requestedBy'
  | 'kind'
  | 'extendsRequestId'
  | 'startsAt'
  | 'lastNudgedAt'
  | 'remindedAt'
  | 'escalatedAt'
  | 'autoApprovedBy'
  | 'autoApprovedOnCall'
  | 'onCallApprovers'
  | 'onCallNotes'
  | 'manager'
  | 'fields'
  | 'stageNames'
  | 'stageIndex'
  | 'stageStartedAt'
  | 'reviewedBy'
  | 'reviewedAt'
  | 'submissionKey'
  | 'ticket'
  | 'channel'
  | 'agent';

export async function insertRequest(
  db: Executor,
  row: Omit<RequestRow, 'decidedAt' | 'decidedBy' | 'denyReason' | 'endedAt' | 'endedBy' | LifecycleFields> &
    Partial<Pick<RequestRow, LifecycleFields>>,
  resources: RequestedResource[],
) {
  await db.insert(accessRequests).values(row);
  await db.insert(requestResources).values(resources.map((r, position) => ({ requestId: row.id, position, ...r })));
}

/** Reads the request and locks its row until the transaction ends: decisions are serialized per request. */
export async function lockRequest(tx: Executor, id: string): Promise<RequestRow | undefined> {
  const [row] = await tx.select(requestColumns).from(accessRequests).where(eq(accessRequests.id, id)).for('update');
  return row;
}

export async function updateRequest(tx: Executor, id: string, patch: Partial<Omit<RequestRow, 'id'>>) {
  await tx.update(accessRequests).set(patch).where(eq(accessRequests.id, id));
}

export async function insertApproval(
  tx: Executor,
  requestId: string,
  approval: Omit<ApprovalRow, 'stageIndex'> & { stageIndex?: number },
) {
  await tx.insert(approvals).values({ requestId, ...approval });
}

export async function approvalsOf(tx: Executor, requestId: string): Promise<ApprovalRow[]> {
  return tx
    .select({
      approverId: approvals.approverId,
      policy: approvals.policy,
      createdAt: approvals.createdAt,
      stageIndex: approvals.stageIndex,
    })
    .from(approvals)
    .where(eq(approvals.requestId, requestId))
    .orderBy(asc(approvals.createdAt));
}

export async function insertGrant(
  tx: Executor,
  grant: Omit<GrantRow, 'endedAt' | 'warnedAt'> & { requesterId: string; requesterEmail: string | null },
) {
  await tx.insert(grants).values(grant);
}

/** Ends the request's grant; returns its id (null when the request had none). */
export async function endGrant(
  tx: Executor,
  requestId: string,
  status: 'expired' | 'revoked',
  at: Date,
): Promise<string | null> {
  const [row] = await tx
    .update(grants)
    .set({ status, endedAt: at })
    .where(eq(grants.requestId, requestId))
    .returning({ id: grants.id });
  return row?.id ?? null;
}

/** Adds resources, approvals, grant, targets and the requester's identity to each row, in one statement. */
export async function withDetails(db: Executor, rows: Pick<RequestRow, 'id'>[]): Promise<RequestDetails[]> {
  if (rows.length === 0) return [];
  const found = await db
    .select(detailColumns)
    .from(accessRequests)
    .where(
      inArray(
        accessRequests.id,
        rows.map((r) => r.id),
      ),
    );
  const byId = new Map(found.map((r) => [r.id, toDetails(r)]));
  return rows.flatMap((r) => byId.get(r.id) ?? []);
}

const detailsById = (db: Executor) =>
  db
    .select(detailColumns)
    .from(accessRequests)
    .where(eq(accessRequests.id, sql.placeholder('id')))
    .prepare('request_details');

export async function getRequestDetails(db: Executor, id: string): Promise<RequestDetails | undefined> {
  const [row] = await preparedOn(db, 'request_details', detailsById).execute({ id });
  return row && toDetails(row);
}

/** The requests one Slack form made (one per flow), oldest first. */
export async function requestsFromSubmission(
  db: Executor,
  requesterId: string,
  submissionKey: string,
): Promise<RequestDetails[]> {
  const rows = await db
    .select(detailColumns)
    .from(accessRequests)
    .where(and(eq(accessRequests.requesterId, requesterId), eq(accessRequests.submissionKey, submissionKey)))
    .orderBy(asc(accessRequests.createdAt), asc(accessRequests.id));
  return rows.map(toDetails);
}

/** The pending extension of a request's grant, if one is waiting (at most one: extension-service.ts). */
export async function pendingExtensionOf(db: Executor, requestId: string): Promise<string | undefined> {
  const [row] = await db
    .select({ id: accessRequests.id })
    .from(accessRequests)
    .where(
      and(
        eq(accessRequests.extendsRequestId, requestId),
        eq(accessRequests.kind, 'extension'),
        eq(accessRequests.status, 'pending'),
      ),
    )
    .limit(1);
  return row?.id;
}

export async function requestsOf(
  db: Executor,
  requesterId: string,
  limit: number,
  status?: RequestStatus,
  /** Also those this person asked for on someone else's behalf (requested_by). */
  includeAsked = false,
): Promise<RequestDetails[]> {
  const whose = includeAsked
    ? or(eq(accessRequests.requesterId, requesterId), eq(accessRequests.requestedBy, requesterId))!
    : eq(accessRequests.requesterId, requesterId);
  const rows = await db
    .select(detailColumns)
    .from(accessRequests)
    .where(status ? and(whose, eq(accessRequests.status, status)) : whose)
    .orderBy(desc(accessRequests.createdAt), desc(accessRequests.id))
    .limit(limit);
  return rows.map(toDetails);
}

/**
 * Pending requests in those flows that this person has not approved yet, oldest first: the filter the
 * domain's decisionRefusal applies, done by PostgreSQL so App Home never loads every pending request.
 */
export async function pendingDecidableBy(
  db: Executor,
  userId: string,
  flowsOf: DecidableFlows,
  limit: number,
): Promise<RequestDetails[]> {
  const inFlows = (ids: string[]) => (ids.length > 0 ? inArray(accessRequests.flowId, ids) : sql`false`);
  const rows = await db
    .select(detailColumns)
    .from(accessRequests)
    .where(
      and(
        eq(accessRequests.status, 'pending'),
        or(
          inFlows(flowsOf.asApprover),
          and(inFlows(flowsOf.onEscalation), isNotNull(accessRequests.escalatedAt)),
          // People asked because they were on call (recorded by the bot on the request).
          sql`${accessRequests.onCallApprovers} @> ${JSON.stringify([userId])}::jsonb`,
        ),
        or(ne(accessRequests.requesterId, userId), inFlows(flowsOf.selfApproval)),
        // With approval stages, only the current stage's people (the flow lists every stage's approvers).
        sql`(jsonb_array_length(${accessRequests.stageNames}) = 0 or ${accessRequests.notifiedApprovers} @> ${JSON.stringify([userId])}::jsonb)`,
        sql`not exists (select 1 from ${approvals} where ${approvals.requestId} = ${accessRequests.id} and ${approvals.approverId} = ${userId})`,
      ),
    )
    .orderBy(asc(accessRequests.createdAt), asc(accessRequests.id))
    .limit(limit);
  return rows.map(toDetails);
}

/**
 * Locks the still-active request rows among `ids` (not their grant rows), in id order, skipping rows
 * another replica holds. Every writer locks a request before its grant, so jobs and a concurrent
 * revoke can never wait on each other in opposite orders. Returns the ids locked.
 */
export async function lockActiveRequests(tx: Executor, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const locked = await tx
    .select({ id: accessRequests.id })
    .from(accessRequests)
    .where(and(inArray(accessRequests.id, ids), eq(accessRequests.status, 'active')))
    .orderBy(asc(accessRequests.id))
    .for('update', { skipLocked: true });
  return locked.map((r) => r.id);
}

export async function countByStatus(db: Executor): Promise<Record<string, number>> {
  const rows = await db
    .select({ status: accessRequests.status, n: sql<number>`count(*)::int` })
    .from(accessRequests)
    .groupBy(accessRequests.status);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}
