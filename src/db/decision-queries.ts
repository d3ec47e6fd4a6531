import { and, eq, notInArray, sql } from 'drizzle-orm';
import type { FlowRow } from '../domain/catalog.js';
import type { ApprovalRow } from '../domain/request.js';
import { flowColumns } from './catalog-queries.js';
import type { Executor } from './client.js';
import { flows, slackMessages } from './schema/index.js';

/**
 * What a decision re-checks once its request row is locked (lockRequest), in one statement: the live
 * flow and the approvals recorded so far. Read after the lock, never with it: a statement that waited
 * for the lock still reads with the snapshot it started with, and would miss an approval committed by
 * the transaction it waited for. Undefined when the flow is gone.
 */
export async function flowAndApprovals(
  tx: Executor,
  flowId: string,
  requestId: string,
): Promise<{ flow: FlowRow; approvals: ApprovalRow[] } | undefined> {
  const [row] = await tx
    .select({
      ...flowColumns,
      approvals: sql<
        Array<Omit<ApprovalRow, 'createdAt'> & { createdAt: string }>
      >`(select coalesce(json_agg(json_build_object(
          'approverId', a.approver_id, 'policy', a.policy, 'createdAt', a.created_at, 'stageIndex', a.stage_index) order by a.created_at), '[]'::json)
        from approvals a where a.request_id = ${requestId})`,
    })
    .from(flows)
    .where(eq(flows.id, flowId));
  if (!row) return undefined;
  const { approvals, ...flow } = row;
  return { flow, approvals: approvals.map((a) => ({ ...a, createdAt: new Date(a.createdAt) })) };
}

/**
 * A stage passed: the approver messages of people not asked in the next stage become `earlier_stage`
 * (re-rendered without buttons by the refresh). Those asked again keep theirs, which turns into the
 * next stage's message, so nobody gets a second one.
 */
export async function retireStageMessages(tx: Executor, requestId: string, nextApprovers: readonly string[]) {
  await tx
    .update(slackMessages)
    .set({ role: 'earlier_stage', renderHash: null })
    .where(
      and(
        eq(slackMessages.requestId, requestId),
        eq(slackMessages.role, 'approver'),
        nextApprovers.length ? notInArray(slackMessages.userId, [...nextApprovers]) : undefined,
      ),
    );
}
