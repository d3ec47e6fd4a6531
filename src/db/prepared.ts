import type { Executor } from './client.js';

/**
 * drizzle builds a query's SQL text anew on every run; a prepared one (`.prepare(name)`) is built once
 * and then run with its placeholders filled in. Kept per database handle, because a prepared query runs
 * where it was made: made on the pool it never joins a transaction, made on a transaction it ends with it.
 * For the hot statements of an approval (an outbox item's context, claims and completions).
 */
const made = new WeakMap<Executor, Map<string, unknown>>();

export function preparedOn<T>(db: Executor, name: string, make: (db: Executor) => T): T {
  let byName = made.get(db);
  if (!byName) made.set(db, (byName = new Map()));
  let query = byName.get(name) as T | undefined;
  if (!query) byName.set(name, (query = make(db)));
  return query;
}
