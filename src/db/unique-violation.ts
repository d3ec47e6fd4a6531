/**
 * True when the error (or what it wraps: drizzle puts the driver's error in `cause`) is PostgreSQL's
 * unique_violation (23505) on `constraint`. postgres-js names it `constraint_name`, PGlite `constraint`.
 */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++) {
    const { code, constraint_name: name, constraint: alt } = e as { code?: unknown; constraint_name?: unknown; constraint?: unknown };
    if (code === '23505') return name === constraint || alt === constraint;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
