import { and, asc, eq, gt, inArray, isNull, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Executor } from './client.js';
import { lockActiveRequests } from './request-queries.js';
import { accessRequests, flows, grants, outbox } from './schema/index.js';

export interface DuePending {
  id: string;
  flowId: string;
  createdAt: Date;
  remindedAt: Date | null;
  escalatedAt: Date | null;
  stageIndex: number;
  stageStartedAt: Date | null;
}

/** A number from the flow's lifecycle jsonb (SQL NULL when unset, or when the flow is gone). */
const lifecycleNumber = (key: string) => sql`(${flows.lifecycle} ->> ${key})::float8`;
/**
 * Reminders and escalation belong to the request's current stage (domain/stages.ts): the stage's entry
 * of the flow's `stages`, which carries the same keys as the lifecycle, or the lifecycle without stages.
 */
const stageRules = sql`(case when jsonb_array_length(coalesce(${flows.stages}, '[]'::jsonb)) > 0
  then ${flows.stages} -> least(${accessRequests.stageIndex}, jsonb_array_length(${flows.stages}) - 1)
  else ${flows.lifecycle} end)`;
const stageNumber = (key: string) => sql`(${stageRules} ->> ${key})::float8`;
const stageList = (key: string) => sql`jsonb_array_length(coalesce(${stageRules} -> ${key}, '[]'::jsonb))`;
const olderThan = (now: Date, minutes: SQL) =>
  sql`${accessRequests.createdAt} + make_interval(secs => ${minutes} * 60) <= ${now.toISOString()}::timestamptz`;
/** Reminders and escalation count from when the current stage began (the first: with the request). */
const stageOlderThan = (now: Date, minutes: SQL) =>
  sql`coalesce(${accessRequests.stageStartedAt}, ${accessRequests.createdAt}) + make_interval(secs => ${minutes} * 60) <= ${now.toISOString()}::timestamptz`;

/**
 * Pending requests for which a reminder, an escalation or the time-out is due (the same rules as
 * domain/pending-lifecycle.ts, which decides each one exactly; this only narrows the rows). A request
 * whose flow is gone still times out after the default TTL, so nothing stays pending for ever.
 * With `lock`, the rows are locked FOR UPDATE SKIP LOCKED: replicas share the work, and a request
 * being decided right now is simply left for the next run.
 */
export async function duePendingRequests(db: Executor, now: Date, limit: number, lock: boolean): Promise<DuePending[]> {
  const query = db
    .select({
      id: accessRequests.id,
      flowId: accessRequests.flowId,
      createdAt: accessRequests.createdAt,
      remindedAt: accessRequests.remindedAt,
      escalatedAt: accessRequests.escalatedAt,
      stageIndex: accessRequests.stageIndex,
      stageStartedAt: accessRequests.stageStartedAt,
    })
    .from(accessRequests)
    .leftJoin(flows, eq(flows.id, accessRequests.flowId))
    .where(
      and(
        eq(accessRequests.status, 'pending'),
        or(
          olderThan(now, sql`coalesce(${lifecycleNumber('pendingTtlMinutes')}, 1440)`),
          and(
            isNull(accessRequests.remindedAt),
            sql`${stageNumber('remindAfterMinutes')} is not null`,
            stageOlderThan(now, stageNumber('remindAfterMinutes')),
          ),
          and(
            isNull(accessRequests.escalatedAt),
            sql`${stageNumber('escalateAfterMinutes')} is not null`,
            sql`${stageList('escalationUsers')} + ${stageList('escalationGroups')} + ${stageList('onCallApprovers')} > 0`,
            stageOlderThan(now, stageNumber('escalateAfterMinutes')),
          ),
        ),
      ),
    )
    .orderBy(asc(accessRequests.createdAt), asc(accessRequests.id))
    .limit(limit);
  return lock ? query.for('update', { of: accessRequests, skipLocked: true }) : query;
}

export interface EndWarning {
  grantId: string;
  requestId: string;
  expiresAt: Date;
}

/**
 * Marks active grants that end within `withinMinutes` as warned and returns them: each grant is warned
 * once per end (`warned_at`). A warning sent before the end was moved (an extension) counts for the old
 * end only, so the new end is warned about too, with no need for the extension to reset anything. Like expiry, the request rows are locked first (SKIP LOCKED, id order), so this
 * never waits on a revoke or an expiry in the opposite order, and replicas never warn twice.
 */
export async function claimEndWarnings(
  tx: Executor,
  now: Date,
  withinMinutes: number,
  limit: number,
): Promise<EndWarning[]> {
  const horizon = new Date(now.getTime() + withinMinutes * 60_000);
  const notWarned = or(
    isNull(grants.warnedAt),
    sql`${grants.warnedAt} < ${grants.expiresAt} - make_interval(mins => ${withinMinutes})`,
  );
  const due = await tx
    .select({ requestId: grants.requestId })
    .from(grants)
    .where(
      and(
        eq(grants.status, 'active'),
        notWarned,
        gt(grants.expiresAt, now),
        lte(grants.expiresAt, horizon),
        lte(grants.startsAt, now),
      ),
    )
    .orderBy(asc(grants.expiresAt))
    .limit(limit);
  const locked = await lockActiveRequests(
    tx,
    due.map((d) => d.requestId),
  );
  if (locked.length === 0) return [];
  return tx
    .update(grants)
    .set({ warnedAt: now })
    .where(
      and(
        inArray(grants.requestId, locked),
        eq(grants.status, 'active'),
        notWarned,
        gt(grants.expiresAt, now),
        lte(grants.expiresAt, horizon),
      ),
    )
    .returning({ grantId: grants.id, requestId: grants.requestId, expiresAt: grants.expiresAt });
}

/**
 * Makes the held `grant.provision` items of grants whose scheduled start has come (by the bot's clock)
 * due now. Only never-tried items (attempts = 0) are touched: a failing provisioning keeps its backoff.
 */
export async function releaseStartedProvisioning(db: Executor, now: Date): Promise<number> {
  const started = db
    .select({ id: grants.id })
    .from(grants)
    .where(and(eq(grants.status, 'active'), lte(grants.startsAt, now)));
  const rows = await db
    .update(outbox)
    .set({ availableAt: sql`now()` })
    .where(
      and(
        eq(outbox.topic, 'grant.provision'),
        isNull(outbox.doneAt),
        eq(outbox.attempts, 0),
        sql`${outbox.availableAt} > now()`,
        inArray(sql`${outbox.payload} ->> 'grantId'`, started),
      ),
    )
    .returning({ id: outbox.id });
  return rows.length;
}
