import { asc, eq } from 'drizzle-orm';
import type { Executor } from './client.js';
import { auditEvents } from './schema/index.js';

export interface AuditEvent {
  requestId: string | null;
  actor: string;
  action: string;
  details: Record<string, unknown>;
  createdAt: Date;
}

/** Called inside the transaction that makes the change, so the change and its record commit together. */
export async function appendAudit(tx: Executor, event: AuditEvent): Promise<void> {
  await tx.insert(auditEvents).values(event);
}

export async function auditTrail(db: Executor, requestId: string): Promise<(AuditEvent & { id: number })[]> {
  return db
    .select({ id: auditEvents.id, requestId: auditEvents.requestId, actor: auditEvents.actor, action: auditEvents.action, details: auditEvents.details, createdAt: auditEvents.createdAt })
    .from(auditEvents)
    .where(eq(auditEvents.requestId, requestId))
    .orderBy(asc(auditEvents.id));
}
