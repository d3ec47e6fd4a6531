import type { Logger } from 'pino';
import { advanceAuditStream, auditAfter, auditHead, auditStreamCursor } from '../db/audit-queries.js';
import type { Db } from '../db/client.js';
import { signWebhookEvent } from '../provisioners/webhook/webhook-provisioner.js';

/**
 * Streams every audit event to a SIEM webhook, in order, signed like the provisioner webhooks
 * (Standard Webhooks, `webhook-id` = `audit-<event id>` so a receiver can drop repeats). The cursor lives
 * in the database and moves only after the receiver answered 2xx: at-least-once, never a gap.
 */
export function createAuditStreamer(
  db: Db,
  target: { url: string; secret: string },
  logger: Logger,
  timeoutMs = 10_000,
) {
  const cursor = () => auditStreamCursor(db);
  const advance = (lastId: number) => advanceAuditStream(db, lastId);

  /** Sends what is new; returns how many events went out. Stops at the first failure (retried next run). */
  async function drain(): Promise<number> {
    let sent = 0;
    for (;;) {
      const events = await auditAfter(db, await cursor(), 100);
      if (events.length === 0) return sent;
      for (const e of events) {
        const body = JSON.stringify({
          type: 'audit.event',
          timestamp: e.createdAt.toISOString(),
          data: {
            id: e.id,
            request_id: e.requestId,
            actor: e.actor,
            action: e.action,
            details: e.details,
            created_at: e.createdAt.toISOString(),
            prev_hash: e.prevHash,
            hash: e.hash,
          },
        });
        const res = await fetch(target.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...signWebhookEvent(target.secret, `audit-${e.id}`, body, new Date()),
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (res.status < 200 || res.status >= 300) {
          logger.warn({ status: res.status, audit_id: e.id }, 'the audit stream receiver refused an event; will retry');
          return sent;
        }
        await advance(e.id);
        sent += 1;
      }
    }
  }

  return { drain, cursor };
}

/** Writes the chain head to the log, so a later truncation can be proven against it (`--expect-head`). */
export async function logAuditHead(db: Db, logger: Logger) {
  const head = await auditHead(db);
  if (head) logger.info({ audit_head: `${head.id}:${head.hash}` }, 'audit chain head');
}
