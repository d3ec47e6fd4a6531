import { causeChain } from '../domain/errors.js';

/**
 * True when the error (or what it wraps) is PostgreSQL's unique_violation (23505) on `constraint`.
 * postgres-js names it `constraint_name`, PGlite `constraint`.
 */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const violation = causeChain(error).find((e) => e.code === '23505');
  return violation !== undefined && (violation.constraint_name === constraint || violation.constraint === constraint);
}
