import { auditAfter, auditBetween, auditEventById, auditHead } from '../db/audit-queries.js';
import type { Db } from '../db/client.js';
import { GENESIS, verifyRun, type StoredEvent } from '../domain/audit-chain.js';

export interface VerifyReport {
  ok: boolean;
  checked: number;
  head: { id: number; hash: string } | null;
  /** The first broken event, in words an auditor can act on. */
  problem?: string;
}

/**
 * Walks the whole chain in id order. `expectHead` (an `id:hash` an earlier log line recorded) must
 * still be in the chain: that detects truncation of the newest events, which the chain alone cannot.
 */
export async function verifyAuditChain(db: Db, expectHead?: { id: number; hash: string }): Promise<VerifyReport> {
  let prev = GENESIS;
  let afterId = 0;
  let checked = 0;
  for (;;) {
    const batch = await auditAfter(db, afterId, 1000);
    if (batch.length === 0) break;
    const run = verifyRun(batch, prev);
    if (run.problem) {
      const event = batch.find((e) => e.id === run.problem!.id)!;
      const what = `audit event ${event.id} (${event.action}${event.requestId ? ` on ${event.requestId}` : ''}, ${event.createdAt.toISOString()})`;
      return {
        ok: false,
        checked: checked + batch.indexOf(event),
        head: await auditHead(db),
        problem:
          run.problem.problem === 'changed'
            ? `${what} was modified after it was written.`
            : `${what} does not follow the event before it: an event was deleted, inserted or reordered just before it.`,
      };
    }
    prev = run.lastHash;
    checked += batch.length;
    afterId = batch.at(-1)!.id;
  }
  const head = await auditHead(db);
  if (expectHead) {
    const found = await auditEventById(db, expectHead.id);
    if (!found || found.hash !== expectHead.hash) {
      return {
        ok: false,
        checked,
        head,
        problem: `audit event ${expectHead.id} recorded earlier as the chain head is ${found ? 'different now' : 'gone'}: the trail was truncated or rewritten.`,
      };
    }
  }
  return { ok: true, checked, head };
}

const CSV_COLUMNS = ['id', 'created_at', 'request_id', 'actor', 'action', 'details', 'prev_hash', 'hash'] as const;
const csvCell = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export function formatEvent(e: StoredEvent, format: 'jsonl' | 'csv'): string {
  const record = {
    id: e.id,
    created_at: e.createdAt.toISOString(),
    request_id: e.requestId,
    actor: e.actor,
    action: e.action,
    details: e.details,
    prev_hash: e.prevHash,
    hash: e.hash,
  };
  if (format === 'jsonl') return `${JSON.stringify(record)}\n`;
  return `${CSV_COLUMNS.map((c) => csvCell(c === 'details' ? JSON.stringify(record.details) : String(record[c] ?? ''))).join(',')}\n`;
}

/** Streams events created in [from, to) to `write`, in id order, for a SIEM. */
export async function exportAudit(
  db: Db,
  from: Date,
  to: Date,
  format: 'jsonl' | 'csv',
  write: (text: string) => void | Promise<void>,
): Promise<number> {
  if (format === 'csv') await write(`${CSV_COLUMNS.join(',')}\n`);
  let afterId = 0;
  let count = 0;
  for (;;) {
    const batch = await auditBetween(db, from, to, afterId, 1000);
    if (batch.length === 0) return count;
    for (const e of batch) await write(formatEvent(e, format));
    count += batch.length;
    afterId = batch.at(-1)!.id;
  }
}

/** Parses an exported file back (the round trip an auditor relies on). */
export function parseExport(text: string, format: 'jsonl' | 'csv'): Record<string, unknown>[] {
  if (format === 'jsonl')
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  const [header, ...body] = rows;
  return body.map((r) =>
    Object.fromEntries(
      header!.map((h, i) => [
        h,
        h === 'details'
          ? JSON.parse(r[i]!)
          : h === 'id'
            ? Number(r[i])
            : r[i] === '' && h === 'request_id'
              ? null
              : r[i],
      ]),
    ),
  );
}
