import { and, asc, eq, inArray, isNull, lte, notInArray, or, sql } from 'drizzle-orm';
import {
  GRANT_LANE_TOPICS,
  NOTICE_LANE_TOPICS,
  URGENT_TOPIC,
  type OutboxEntry,
  type OutboxItem,
  type OutboxLane,
} from '../domain/outbox.js';
import type { Executor } from './client.js';
import { preparedOn } from './prepared.js';
import { outbox } from './schema/index.js';

export type { OutboxItem } from '../domain/outbox.js';

/**
 * Queues side effects in the caller's transaction. `availableAt` holds an item back until then
 * (a scheduled start's provisioning); without it the item is due at once.
 */
export async function enqueue(tx: Executor, items: OutboxEntry[]) {
  if (items.length === 0) return;
  await tx.insert(outbox).values(
    items.map((i) => ({
      topic: i.topic,
      requestId: i.requestId,
      payload: i.payload ?? {},
      ...(i.availableAt ? { availableAt: i.availableAt } : {}),
    })),
  );
}

/** One lane's claim, built once (db/prepared.ts): the limit and lease are its placeholders. */
const claim = (lane: OutboxLane) => (db: Executor) => {
  const due = db
    .select({ id: outbox.id })
    .from(outbox)
    .where(
      and(
        isNull(outbox.doneAt),
        lte(outbox.availableAt, sql`now()`),
        or(isNull(outbox.lockedUntil), lte(outbox.lockedUntil, sql`now()`)),
        lane === 'notices'
          ? inArray(outbox.topic, [...NOTICE_LANE_TOPICS])
          : lane === 'grants'
            ? and(
                inArray(outbox.topic, [...GRANT_LANE_TOPICS]),
                // Removals due: take only those, so a burst of expiries' removals is not held up by the
                // notices claimed with them (the rest are claimed once no removal is due).
                or(
                  eq(outbox.topic, URGENT_TOPIC),
                  sql`not exists (select 1 from ${outbox} u where u.topic = ${URGENT_TOPIC} and u.done_at is null
                  and u.available_at <= now() and (u.locked_until is null or u.locked_until <= now()))`,
                ),
              )
            : notInArray(outbox.topic, [...GRANT_LANE_TOPICS, ...NOTICE_LANE_TOPICS]),
      ),
    )
    // Removing access goes before telling people about it (domain/outbox.ts, URGENT_TOPIC).
    .orderBy(sql`${outbox.topic} = ${URGENT_TOPIC} desc`, asc(outbox.id))
    .limit(sql.placeholder('limit'))
    .for('update', { skipLocked: true });
  return db
    .update(outbox)
    .set({
      lockedUntil: sql`now() + make_interval(secs => ${sql.placeholder('lease')})`,
      attempts: sql`${outbox.attempts} + 1`,
    })
    .where(inArray(outbox.id, due))
    .returning({
      id: outbox.id,
      topic: outbox.topic,
      requestId: outbox.requestId,
      payload: outbox.payload,
      attempts: outbox.attempts,
    })
    .prepare(`claim_outbox_${lane}`);
};

/**
 * Takes up to `limit` due items of one lane (domain/outbox.ts, OutboxLane) and leases them for
 * `leaseSeconds`: a worker that dies mid-send releases its items when the lease runs out. SKIP LOCKED
 * keeps replicas, and the lanes, off each other's items. One statement (the rows are locked by the
 * subquery until the update that leases them commits with it): the workers poll, so an empty pass
 * costs one round trip, not a transaction.
 */
export async function claimOutbox(
  db: Executor,
  limit: number,
  leaseSeconds: number,
  lane: OutboxLane,
): Promise<OutboxItem[]> {
  const claimed = await preparedOn(db, `claim_outbox_${lane}`, claim(lane)).execute({ limit, lease: leaseSeconds });
  // RETURNING comes in no particular order: hand the items over in the order they were chosen. The
  // topic column holds what enqueue wrote (an OutboxEntry); routeOutbox refuses one it does not know.
  const urgent = (i: { topic: string }) => (i.topic === URGENT_TOPIC ? 0 : 1);
  return (claimed as OutboxItem[]).sort((a, b) => urgent(a) - urgent(b) || a.id - b.id);
}

/** Keeps items this worker still holds its own for another `leaseSeconds` (a long fan-out ahead of them). */
export async function extendOutboxLease(db: Executor, ids: number[], leaseSeconds: number) {
  if (ids.length === 0) return;
  await db
    .update(outbox)
    .set({ lockedUntil: sql`now() + make_interval(secs => ${leaseSeconds})` })
    .where(and(inArray(outbox.id, ids), isNull(outbox.doneAt)));
}

const completion = (db: Executor) =>
  db
    .update(outbox)
    .set({ doneAt: sql`now()`, lockedUntil: null, lastError: null })
    .where(eq(outbox.id, sql.placeholder('id')))
    .prepare('complete_outbox');

export async function completeOutbox(db: Executor, id: number) {
  await preparedOn(db, 'complete_outbox', completion).execute({ id });
}

/** Many items done at once (a batch handler's): one statement. */
export async function completeOutboxMany(db: Executor, ids: number[]) {
  if (ids.length === 0) return;
  await db
    .update(outbox)
    .set({ doneAt: sql`now()`, lockedUntil: null, lastError: null })
    .where(inArray(outbox.id, ids));
}

export async function retryOutboxLater(db: Executor, id: number, delaySeconds: number, error: string) {
  await db
    .update(outbox)
    .set({
      availableAt: sql`now() + make_interval(secs => ${delaySeconds})`,
      lockedUntil: null,
      lastError: error.slice(0, 1000),
    })
    .where(eq(outbox.id, id));
}

export async function pendingOutboxCount(db: Executor): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(outbox)
    .where(isNull(outbox.doneAt));
  return row?.n ?? 0;
}

export interface OutboxBacklog {
  /** Due now (some of them being delivered). */
  due: number;
  /** Due later: backing off after a failure, or held for a scheduled start. */
  waiting: number;
  /** Given up after too many attempts (kept with their error for a person to look at). */
  parked: number;
  /** Seconds the oldest item still owed has waited (0 when none): see outboxBacklog. */
  oldestAgeSeconds: number;
}

/** The worker parks an item by pushing it a year out with this prefix on its error (jobs/outbox-worker.ts). */
const parked = sql`coalesce(${outbox.lastError}, '') like 'gave up:%'`;

/**
 * The backlog for the metrics endpoint, in one statement over the not-done rows (the pending index).
 * An item is owed once due, or once tried (a failing item backs off, but it is still owed): it has
 * waited since it became due if never tried (a held scheduled start counts from its release), else
 * since it was queued. A parked item is counted apart and not owed: it waits for a person.
 */
export async function outboxBacklog(db: Executor): Promise<OutboxBacklog> {
  const [row] = await db
    .select({
      due: sql<number>`count(*) filter (where not ${parked} and ${outbox.availableAt} <= now())::int`,
      waiting: sql<number>`count(*) filter (where not ${parked} and ${outbox.availableAt} > now())::int`,
      parked: sql<number>`count(*) filter (where ${parked})::int`,
      oldest: sql<
        number | null
      >`extract(epoch from now() - min(case when ${outbox.attempts} = 0 then ${outbox.availableAt} else ${outbox.createdAt} end) filter (where not ${parked} and (${outbox.attempts} > 0 or ${outbox.availableAt} <= now())))::float8`,
    })
    .from(outbox)
    .where(isNull(outbox.doneAt));
  return {
    due: row?.due ?? 0,
    waiting: row?.waiting ?? 0,
    parked: row?.parked ?? 0,
    oldestAgeSeconds: Math.max(0, row?.oldest ?? 0),
  };
}
