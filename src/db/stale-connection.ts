/**
 * After the database restarts (a failover, a fast shutdown), a pooled connection the driver has not yet
 * seen close answers its next statement with "terminating connection due to administrator command" or
 * CONNECTION_CLOSED, though the server is back. Such an error came before the statement ran, or (a read)
 * running it again changes nothing: a plain SELECT, or a transaction whose body never started, is tried
 * again (each dead connection fails once and is replaced, so at most the pool's size more times). A write
 * outside a transaction, or a transaction that failed mid-way, is left to the caller: it may have happened.
 */
const STALE_CODES = new Set(['57P01', '57P02', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'ECONNRESET', 'EPIPE']);

export function isStaleConnectionError(error: unknown): boolean {
  const e = error as { code?: unknown; cause?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && STALE_CODES.has(e.code)) return true;
  // drizzle wraps the driver's error in a DrizzleQueryError whose `cause` is it.
  return e.cause !== undefined && e.cause !== error && isStaleConnectionError(e.cause);
}

/** A lone SELECT (what drizzle sends for a read outside a transaction): safe to send twice. */
export const isPlainSelect = (text: unknown): boolean => typeof text === 'string' && /^\s*select\b/i.test(text);
