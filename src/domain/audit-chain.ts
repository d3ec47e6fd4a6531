import { createHash } from 'node:crypto';

/**
 * The audit trail is a hash chain: each event's hash covers the previous event's hash and the event's
 * canonical content, so changing, deleting or reordering any event breaks every hash after it.
 */
export interface ChainedContent {
  requestId: string | null;
  actor: string;
  action: string;
  details: Record<string, unknown>;
  createdAt: Date;
}

/** JSON with object keys sorted at every level: the same content always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export const GENESIS = '';

export function chainHash(prevHash: string, event: ChainedContent): string {
  const content = canonicalJson({
    requestId: event.requestId,
    actor: event.actor,
    action: event.action,
    details: event.details,
    createdAt: event.createdAt.toISOString(),
  });
  return createHash('sha256').update(prevHash).update('\n').update(content).digest('hex');
}

export interface StoredEvent extends ChainedContent {
  id: number;
  prevHash: string;
  hash: string;
}

export type ChainProblem = { id: number; problem: 'changed' | 'missing_or_reordered_before' };

/** Checks a run of events in id order, starting from `prevHash`; returns the first problem, if any. */
export function verifyRun(
  events: readonly StoredEvent[],
  prevHash: string,
): { problem: ChainProblem | null; lastHash: string } {
  let last = prevHash;
  for (const e of events) {
    if (e.prevHash !== last) return { problem: { id: e.id, problem: 'missing_or_reordered_before' }, lastHash: last };
    if (chainHash(e.prevHash, e) !== e.hash) return { problem: { id: e.id, problem: 'changed' }, lastHash: last };
    last = e.hash;
  }
  return { problem: null, lastHash: last };
}
