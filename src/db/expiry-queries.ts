import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import type { RequestRow } from '../domain/request.js';
import type { Executor } from './client.js';
import { GRANTS_CHANNEL } from './authz-queries.js';
import { accessRequests, grants, grantTargets } from './schema/index.js';

/** What the expiry needs of a request whose grant's time is up: the state machine's input, and the flow for metrics. */
export type ExpiringRequest = Pick<RequestRow, 'id' | 'requesterId' | 'status' | 'durationMinutes' | 'flowName'>;

/**
 * Locks up to `limit` active requests whose grant's time is up, earliest end first, in one statement.
 * SKIP LOCKED: a row another replica's pass (or a revoke, an extension) holds is passed over, and the
 * limit counts only the rows locked here, so each replica takes the next ones rather than none.
 * The grants' columns read here may be older than the lock: read them again (grantsOf) before acting.
 */
export async function lockExpiringRequests(tx: Executor, now: Date, limit: number): Promise<ExpiringRequest[]> {
  return tx
    .select({
      id: accessRequests.id,
      requesterId: accessRequests.requesterId,
      status: accessRequests.status,
      durationMinutes: accessRequests.durationMinutes,
      flowName: accessRequests.flowName,
    })
    .from(accessRequests)
    .innerJoin(grants, eq(grants.requestId, accessRequests.id))
    .where(and(eq(grants.status, 'active'), lte(grants.expiresAt, now), eq(accessRequests.status, 'active')))
    .orderBy(asc(grants.expiresAt), asc(accessRequests.id))
    .limit(limit)
    .for('update', { of: accessRequests, skipLocked: true });
}

export interface RequestGrant {
  id: string;
  requestId: string;
  status: 'active' | 'expired' | 'revoked';
  expiresAt: Date;
}

/**
 * The grants of requests this transaction has locked, read after the lock: every writer of a grant
 * locks its request first, so what this returns stays true until commit (an extension that committed
 * just before the lock is seen here, with its new end).
 */
export async function grantsOf(tx: Executor, requestIds: string[]): Promise<RequestGrant[]> {
  if (requestIds.length === 0) return [];
  return tx
    .select({ id: grants.id, requestId: grants.requestId, status: grants.status, expiresAt: grants.expiresAt })
    .from(grants)
    .where(inArray(grants.requestId, requestIds));
}

/**
 * Expires many grants at once (their requests locked by the caller): requests and grants become
 * `expired`, ended by no one, and every target not yet removed is marked for removal. Three statements
 * whatever the number.
 */
export async function expireGrants(tx: Executor, ends: { requestId: string; grantId: string }[], at: Date) {
  if (ends.length === 0) return;
  const grantIds = ends.map((e) => e.grantId);
  const status = 'expired';
  await tx
    .update(accessRequests)
    .set({ status, endedAt: at, endedBy: null })
    .where(
      inArray(
        accessRequests.id,
        ends.map((e) => e.requestId),
      ),
    );
  await tx
    .update(grants)
    .set({ status, endedAt: at })
    .where(and(inArray(grants.id, grantIds), eq(grants.status, 'active')));
  await tx
    .update(grantTargets)
    .set({ status: 'removing', updatedAt: sql`now()` })
    .where(and(inArray(grantTargets.grantId, grantIds), inArray(grantTargets.status, ['pending', 'active', 'failed'])));
}

/** Tells every replica (LISTEN) that these grants changed, in one statement; delivered at commit. */
export async function notifyGrantsChanged(tx: Executor, grantIds: string[]): Promise<void> {
  if (grantIds.length === 0) return;
  const values = sql.join(
    grantIds.map((id) => sql`(${id})`),
    sql`, `,
  );
  await tx.execute(sql`select pg_notify(${GRANTS_CHANNEL}, g.id) from (values ${values}) as g(id)`);
}
