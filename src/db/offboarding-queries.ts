import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from './client.js';
import { accessRequests, auditEvents } from './schema/index.js';

/** A person's requests that are still open (pending) or hold access (active): what a deactivation ends. */
export async function openRequestsOf(
  db: Executor,
  requesterId: string,
): Promise<Array<{ id: string; status: string }>> {
  return db
    .select({ id: accessRequests.id, status: accessRequests.status })
    .from(accessRequests)
    .where(and(eq(accessRequests.requesterId, requesterId), inArray(accessRequests.status, ['pending', 'active'])))
    .orderBy(asc(accessRequests.id));
}

/** Pending requests (of other people) this person was asked to decide. */
export async function pendingNotifying(
  db: Executor,
  approverId: string,
): Promise<Array<{ id: string; flowId: string; requesterId: string }>> {
  return db
    .select({ id: accessRequests.id, flowId: accessRequests.flowId, requesterId: accessRequests.requesterId })
    .from(accessRequests)
    .where(
      and(
        eq(accessRequests.status, 'pending'),
        sql`${accessRequests.notifiedApprovers} @> ${JSON.stringify([approverId])}::jsonb`,
      ),
    )
    .orderBy(asc(accessRequests.id));
}

/** Everyone holding an active grant now: the people the periodic check asks Slack about. */
export async function activeHolders(db: Executor): Promise<string[]> {
  const rows = await db
    .selectDistinct({ id: accessRequests.requesterId })
    .from(accessRequests)
    .where(eq(accessRequests.status, 'active'))
    .orderBy(asc(accessRequests.requesterId));
  return rows.map((r) => r.id);
}

/** Whether this request's trail already has `action` with `details[key] = value` (so it is written once). */
export async function hasAuditEvent(
  db: Executor,
  requestId: string,
  action: string,
  key: string,
  value: string,
): Promise<boolean> {
  const rows = await db
    .select({ id: auditEvents.id })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.requestId, requestId),
        eq(auditEvents.action, action),
        sql`${auditEvents.details} ->> ${key} = ${value}`,
      ),
    )
    .limit(1);
  return rows.length > 0;
}
