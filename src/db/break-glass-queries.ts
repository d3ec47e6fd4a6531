import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Executor } from './client.js';
import { detailColumns, toDetails } from './request-details.js';
import type { RequestDetails } from './request-queries.js';
import { accessRequests } from './schema/index.js';

/**
 * Break-glass requests nobody has reviewed yet, oldest first (they stay on the list after the access
 * ended: the review is about what was done, not about access still running).
 */
export async function unreviewedBreakGlass(db: Executor, limit: number): Promise<RequestDetails[]> {
  const rows = await db
    .select(detailColumns)
    .from(accessRequests)
    .where(and(eq(accessRequests.kind, 'break_glass'), isNull(accessRequests.reviewedAt)))
    .orderBy(asc(accessRequests.createdAt), asc(accessRequests.id))
    .limit(limit);
  return rows.map(toDetails);
}
