import { and, asc, desc, eq, gt, gte, lt, sql } from 'drizzle-orm';
import type { AuditAction } from '../domain/audit-action.js';
import { chainHash, GENESIS, type StoredEvent } from '../domain/audit-chain.js';
import type { Executor, Tx } from './client.js';
import { auditEvents, auditStream } from './schema/index.js';

export interface AuditEvent {
  requestId: string | null;
  actor: string;
  action: AuditAction;
  details: Record<string, unknown>;
  createdAt: Date;
}

/** One fixed advisory lock serializes appends, so the chain never forks between concurrent transactions. */
const AUDIT_CHAIN_LOCK = 7_130_551;

const isTransaction = (db: Executor): db is Tx => 'rollback' in db;

/**
 * Appends an event to the hash chain. Called inside the transaction that makes the change, so the
 * change and its record commit together; the lock is held until that commit, so the next append reads
 * this event's hash. Called outside a transaction, it opens one of its own.
 */
export async function appendAudit(db: Executor, event: AuditEvent): Promise<void> {
  await appendAudits(db, [event]);
}

/**
 * Appends events to the hash chain in the order given, in one insert: each hash covers the one before
 * it, computed here under the lock (the ids follow the rows' order, as nothing else appends meanwhile).
 * The lock is held from here until the transaction commits, so a transaction that writes much should
 * append last: every other audited change waits for it.
 */
export async function appendAudits(db: Executor, events: readonly AuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  const write = async (tx: Executor) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`);
    const [last] = await tx.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.id)).limit(1);
    let prevHash = last?.hash ?? GENESIS;
    const rows = events.map((event) => {
      // Round-trip the details through JSON: what is hashed is exactly what jsonb will give back.
      const details = JSON.parse(JSON.stringify(event.details)) as Record<string, unknown>;
      const row = { ...event, details, prevHash, hash: chainHash(prevHash, { ...event, details }) };
      prevHash = row.hash;
      return row;
    });
    await tx.insert(auditEvents).values(rows);
  };
  if (isTransaction(db)) await write(db);
  else await db.transaction(write);
}

const storedColumns = {
  id: auditEvents.id,
  requestId: auditEvents.requestId,
  actor: auditEvents.actor,
  action: auditEvents.action,
  details: auditEvents.details,
  createdAt: auditEvents.createdAt,
  prevHash: auditEvents.prevHash,
  hash: auditEvents.hash,
};

export async function auditTrail(db: Executor, requestId: string): Promise<StoredEvent[]> {
  return db
    .select(storedColumns)
    .from(auditEvents)
    .where(eq(auditEvents.requestId, requestId))
    .orderBy(asc(auditEvents.id));
}

/** Events after `afterId` in id order (for verifying and streaming in batches). */
export async function auditAfter(db: Executor, afterId: number, limit: number): Promise<StoredEvent[]> {
  return db
    .select(storedColumns)
    .from(auditEvents)
    .where(gt(auditEvents.id, afterId))
    .orderBy(asc(auditEvents.id))
    .limit(limit);
}

export async function auditBetween(
  db: Executor,
  from: Date,
  to: Date,
  afterId: number,
  limit: number,
): Promise<StoredEvent[]> {
  return db
    .select(storedColumns)
    .from(auditEvents)
    .where(and(gte(auditEvents.createdAt, from), lt(auditEvents.createdAt, to), gt(auditEvents.id, afterId)))
    .orderBy(asc(auditEvents.id))
    .limit(limit);
}

export async function auditHead(db: Executor): Promise<{ id: number; hash: string } | null> {
  const [row] = await db
    .select({ id: auditEvents.id, hash: auditEvents.hash })
    .from(auditEvents)
    .orderBy(desc(auditEvents.id))
    .limit(1);
  return row ?? null;
}

export async function auditEventById(db: Executor, id: number): Promise<StoredEvent | undefined> {
  const [row] = await db.select(storedColumns).from(auditEvents).where(eq(auditEvents.id, id));
  return row;
}

/** The audit stream's cursor: the last event the SIEM receiver acknowledged (0: none yet). */
export async function auditStreamCursor(db: Executor): Promise<number> {
  const [row] = await db.select({ lastId: auditStream.lastId }).from(auditStream).where(eq(auditStream.id, 1));
  return row?.lastId ?? 0;
}

/** Moves the audit stream's cursor forward (never back: two replicas may race). */
export async function advanceAuditStream(db: Executor, lastId: number): Promise<void> {
  await db
    .insert(auditStream)
    .values({ id: 1, lastId })
    .onConflictDoUpdate({ target: auditStream.id, set: { lastId: sql`greatest(${auditStream.lastId}, ${lastId})` } });
}
