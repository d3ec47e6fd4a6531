import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { sql, type ExtractTablesWithRelations } from 'drizzle-orm';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { EmbeddedDatabaseError } from './embedded-postgres-host.js';
import { clusterUnder, LEAN_SETTINGS, startEmbeddedPostgres } from './embedded-postgres.js';
import * as schema from './schema/index.js';
import { isPlainSelect, isStaleConnectionError } from './stale-connection.js';

export type Schema = typeof schema;
/** One type for both drivers: query functions accept either, or a transaction of either. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
export type Executor = Db | Tx;

export interface Database {
  db: Db;
  /** DATABASE_URL's server, or the embedded one the bot started under DATA_DIR. */
  kind: 'postgres' | 'embedded';
  /** Applies the committed drizzle migrations (idempotent; on PostgreSQL, one process at a time). */
  migrate(): Promise<void>;
  /** LISTEN on a channel; returns a function that stops listening. */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
  /** How busy the connection pool is now (for the metrics endpoint). */
  pool(): PoolStats;
}

/**
 * Neither driver reports its pool, so the work handed to it is counted here: each statement outside a
 * transaction holds a connection while it runs, each transaction holds one from BEGIN to COMMIT (its
 * statements run on that connection and are not counted again). Work beyond `max` waits for a connection.
 */
export interface PoolStats {
  inUse: number;
  max: number;
  waiting: number;
  /** Statements sent to the database since start, BEGIN and COMMIT included (a counter, for `rate()`). */
  statements: number;
}

/**
 * How long a closed pooled connection waits before it connects again. postgres-js counts failures across
 * the whole pool and waits up to 20 s (3^n / 100 s): after a restart killed all ten connections, the last
 * ones waited 10-20 s while requests queued behind them, and a form's answer missed Slack's 3 s. A
 * connection is only re-opened when a query needs it (a refused connect is cheap, a hanging one ends at
 * connect_timeout), so a cap of 0.2 s does not hammer a database that is down.
 */
export const reconnectDelaySeconds = (failures: number) =>
  (0.5 + Math.random() / 2) * Math.min(0.02 * 2 ** failures, 0.2);

/** `sql.begin`, tried again while a stale connection refuses it before the transaction's body started. */
async function beginOnce(
  target: postgres.Sql,
  args: Parameters<postgres.Sql['begin']>,
  counter: PoolCounter,
): Promise<unknown> {
  const { max } = counter;
  const fn = args.at(-1) as (tx: postgres.TransactionSql) => unknown;
  let started = false;
  const body = (tx: postgres.TransactionSql) => {
    started = true;
    return fn(countStatements(tx, counter));
  };
  const options = args.length > 1 ? [args[0] as string] : [];
  // Each dead connection fails once and is replaced, so a pool of `max` dead ones is through after as many tries.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await (target.begin as (...a: unknown[]) => Promise<unknown>)(...options, body);
    } catch (error) {
      if (started || attempt > max || !isStaleConnectionError(error)) throw error;
    }
  }
}

/**
 * drizzle names (prepares) a statement only for a query built with `.prepare()`, and postgres-js sends an
 * unnamed statement with parameters in two round trips (Parse and Describe, then Bind and Execute) that
 * PostgreSQL parses and plans every time. Named, a statement is parsed once per connection (postgres-js
 * keys them by their text and types, and a connection lives at most an hour) and then takes one round
 * trip. A statement without parameters still goes as a simple query. Needs a direct connection or a
 * pooler in session mode, which LISTEN needs already (deploy/README.md).
 */
function prepared(args: Parameters<postgres.Sql['unsafe']>): Parameters<postgres.Sql['unsafe']> {
  return [args[0], args[1] ?? [], { ...args[2], prepare: true }];
}

/**
 * A pooled statement (outside a transaction) keeps its connection to itself until it is answered. A
 * named statement's Bind/Execute goes in one write, and postgres-js then lets the pool hand the
 * connection more statements at once (pipelining); a connection doing so loses those it was handed
 * between its socket's error and its close, and they never settle (after a database restart, reads hung:
 * test/faults/stale-connections.test.ts). `onexecute` answering false is what an unnamed statement's
 * describe step did: the connection counts as full until its answer. postgres-js 3.4.9, pinned.
 */
function pooled(args: Parameters<postgres.Sql['unsafe']>): Parameters<postgres.Sql['unsafe']> {
  const [text, parameters, options] = prepared(args);
  return [text, parameters, { ...options, onexecute: () => false } as postgres.UnsafeQueryOptions];
}

/**
 * Counts the statements drizzle sends inside a transaction: each `unsafe` is one, a savepoint (a nested
 * transaction) adds its SAVEPOINT and RELEASE. postgres-js's own `debug` hook would count them too, but it
 * captures a stack per query and makes parameters enumerable on errors, which then reach the logs.
 */
function countStatements(tx: postgres.TransactionSql, counter: PoolCounter): postgres.TransactionSql {
  return new Proxy(tx, {
    get(target, prop, receiver) {
      if (prop === 'unsafe') {
        counter.statements += 1;
        return (...args: Parameters<postgres.Sql['unsafe']>) => target.unsafe(...prepared(args));
      }
      if (prop !== 'savepoint') return Reflect.get(target, prop, receiver) as unknown;
      return (...args: unknown[]) => {
        counter.statements += 2;
        const fn = args.at(-1) as (sp: postgres.TransactionSql) => unknown;
        const wrapped = (sp: postgres.TransactionSql) => fn(countStatements(sp, counter));
        return Reflect.apply(target.savepoint, target, [...args.slice(0, -1), wrapped]) as Promise<unknown>;
      };
    },
  });
}

class PoolCounter {
  private inFlight = 0;
  statements = 0;
  constructor(readonly max: number) {}
  /** Counts `work` from now until it settles. */
  track<T>(work: PromiseLike<T>): Promise<T> {
    this.inFlight += 1;
    return Promise.resolve(work).finally(() => {
      this.inFlight -= 1;
    });
  }
  stats(): PoolStats {
    const { max, inFlight, statements } = this;
    return { inUse: Math.min(inFlight, max), max, waiting: Math.max(0, inFlight - max), statements };
  }
}

const POOL_MAX = 10;
/**
 * The embedded server's pool: one bot of a small team (PGlite, before, ran one statement at a time). Each
 * connection is a server process holding 10-20 MiB resident, so two, beside the one LISTEN keeps.
 */
const EMBEDDED_POOL_MAX = 2;

// Resolved from this file so it works from src/ (tsx) and from dist/ (built) alike.
const MIGRATIONS = fileURLToPath(new URL('../../drizzle', import.meta.url));

/** Session-level advisory lock key taken around migrations (any fixed number; the audit chain's is 7_130_551). */
export const MIGRATION_LOCK = 7_130_552;

/**
 * drizzle's migrator reads the last applied migration, then applies the newer ones: two replicas (or a
 * replica and the migration Job) starting together would both apply them, and the second fails on "already
 * exists". Holding an advisory lock on one reserved connection makes them take turns; the later one finds
 * nothing left to do. The lock goes with the connection if the process dies mid-way.
 */
async function migrateLocked(sql: postgres.Sql): Promise<void> {
  const lock = await sql.reserve();
  try {
    await lock`select pg_advisory_lock(${MIGRATION_LOCK}::bigint)`;
    try {
      await migratePostgres(drizzlePostgres(sql, { schema }), { migrationsFolder: MIGRATIONS });
    } finally {
      await lock`select pg_advisory_unlock(${MIGRATION_LOCK}::bigint)`;
    }
  } finally {
    lock.release();
  }
}

export type DatabaseTarget = { url: string } | { dataDir: string };

export interface OpenOptions {
  /** The embedded server stopped on its own (not at close()); `lastLines` is what it logged last. */
  onEmbeddedExit?: (lastLines: string) => void;
}

/** DATABASE_URL's server, or the embedded one under DATA_DIR (`<DATA_DIR>/postgres`), started here. */
export async function openDatabase(target: DatabaseTarget, options: OpenOptions = {}): Promise<Database> {
  if ('url' in target) return connect(target.url, POOL_MAX, 'postgres');
  // Before, the embedded database was PGlite, its cluster directly in DATA_DIR: a server cannot open it.
  if (existsSync(join(target.dataDir, 'PG_VERSION')))
    throw new EmbeddedDatabaseError(
      `DATA_DIR ${target.dataDir} holds a PGlite database from an earlier version, which this version does not ` +
        'open (the embedded database is now a PostgreSQL server under DATA_DIR/postgres): set DATA_DIR to ' +
        'another directory to start afresh, or DATABASE_URL',
    );
  const server = await startEmbeddedPostgres({
    dir: clusterUnder(target.dataDir),
    settings: LEAN_SETTINGS,
    ...(options.onEmbeddedExit ? { onUnexpectedExit: options.onEmbeddedExit } : {}),
  });
  const database = connect(server.connection, EMBEDDED_POOL_MAX, 'embedded');
  return {
    ...database,
    close: async () => {
      try {
        await database.close();
      } finally {
        await server.stop();
      }
    },
  };
}

function connect(
  where: string | { path: string; user: string; database: string },
  max: number,
  kind: Database['kind'],
): Database {
  const options = {
    onnotice: () => {},
    max,
    connect_timeout: 10,
    backoff: reconnectDelaySeconds,
  };
  const sql = typeof where === 'string' ? postgres(where, options) : postgres({ ...where, ...options });
  const counter = new PoolCounter(max);
  // drizzle runs every statement through `unsafe` and every transaction through `begin`. A postgres-js
  // query runs when first awaited; `.values()` (which drizzle may chain) only sets a flag, so the
  // wrapper hands back the same query object, with its `then` counting the run.
  const counted = new Proxy(sql, {
    get(target, prop, receiver) {
      if (prop === 'begin')
        return (...args: Parameters<typeof sql.begin>) => {
          counter.statements += 2; // BEGIN and COMMIT (or ROLLBACK)
          return counter.track(beginOnce(target, args, counter));
        };
      if (prop === 'unsafe') {
        return (...given: Parameters<typeof sql.unsafe>) => {
          counter.statements += 1;
          const args = pooled(given);
          const query = target.unsafe(...args);
          const then = query.then.bind(query);
          let run: Promise<Awaited<typeof query>> | undefined;
          // A read that met a connection left over from before a database restart runs again (db/stale-connection.ts).
          const once = async () => {
            for (let attempt = 1; ; attempt += 1) {
              try {
                if (attempt === 1) return await then();
                const again = target.unsafe(...args);
                (again as { isRaw?: unknown }).isRaw = (query as { isRaw?: unknown }).isRaw;
                return await again;
              } catch (error) {
                if (attempt > max || !isStaleConnectionError(error) || !isPlainSelect(args[0])) throw error;
              }
            }
          };
          query.then = ((onFulfilled, onRejected) =>
            (run ??= counter.track(once())).then(onFulfilled, onRejected)) as typeof query.then;
          return query;
        };
      }
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  const db = drizzlePostgres(counted, { schema }) as unknown as Db;
  return {
    db,
    kind,
    migrate: () => migrateLocked(sql),
    listen: async (channel, onMessage) => {
      // postgres-js keeps a dedicated connection for LISTEN and re-subscribes after reconnecting.
      const sub = await sql.listen(channel, onMessage);
      return () => sub.unlisten();
    },
    close: () => sql.end({ timeout: 5 }),
    pool: () => counter.stats(),
  };
}

/** `select 1`, for the health check. */
export async function ping(db: Db): Promise<void> {
  await db.execute(sql`select 1`);
}
