import { causeChain } from '../domain/errors.js';

/**
 * Connection-level failures: the database is down or unreachable (Node socket errors, postgres-js's
 * own connection codes, and PostgreSQL's shutdown / connection-exception SQLSTATEs 57P0x and 08xxx).
 */
const UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  '57P01',
  '57P02',
  '57P03',
]);

/**
 * True when the error (or what it wraps: drizzle puts the driver's error in `cause`) says the database
 * cannot be reached. Slack Web API failures carry `slack_…` codes and are not mistaken for it.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (const e of causeChain(error)) {
    const code = String(e.code ?? '');
    if (code.startsWith('slack_')) return false;
    if (UNAVAILABLE.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  return false;
}
