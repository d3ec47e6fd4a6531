import { and, desc, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import type { Executor } from './client.js';
import { preparedOn } from './prepared.js';
import { grantHolderColumns, type GrantHolderRow } from './grant-queries.js';
import { apiKeys, grants } from './schema/index.js';

export const GRANTS_CHANNEL = 'access_grants';
export const API_KEYS_CHANNEL = 'access_api_keys';

/** Tells every replica (LISTEN) that a grant changed; delivered when the transaction commits. */
export async function notifyGrantChanged(tx: Executor, grantId: string) {
  await tx.execute(sql`select pg_notify(${GRANTS_CHANNEL}, ${grantId})`);
}

export type ActiveGrantRow = GrantHolderRow & { status: string };

const columns = { ...grantHolderColumns, status: grants.status };

export async function activeGrants(db: Executor): Promise<ActiveGrantRow[]> {
  return db.select(columns).from(grants).where(eq(grants.status, 'active'));
}

const grantById = (db: Executor) =>
  db
    .select(columns)
    .from(grants)
    .where(eq(grants.id, sql.placeholder('id')))
    .prepare('authz_grant');

export async function grantRow(db: Executor, id: string): Promise<ActiveGrantRow | undefined> {
  const [row] = await preparedOn(db, 'authz_grant', grantById).execute({ id });
  return row;
}

export async function grantRows(db: Executor, ids: string[]): Promise<ActiveGrantRow[]> {
  if (ids.length === 0) return [];
  return db.select(columns).from(grants).where(inArray(grants.id, ids));
}

export interface ApiKeyRow {
  id: string;
  name: string;
  secretHash: string;
  createdBy: string;
  createdAt: Date;
}

export async function liveApiKeys(db: Executor): Promise<ApiKeyRow[]> {
  return db
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      secretHash: apiKeys.secretHash,
      createdBy: apiKeys.createdBy,
      createdAt: apiKeys.createdAt,
    })
    .from(apiKeys)
    .where(isNull(apiKeys.revokedAt));
}

/** Serializes key creation across replicas (any fixed number; the audit chain's is 7_130_551). */
const API_KEY_CREATE_LOCK = 7_130_553;

/**
 * Within a transaction holding the creation lock: the id of a live key this person created under this
 * name in the last `seconds` (by the database's clock), if any. How a replayed `/access apikey create`
 * is told apart from a new one on every replica (api-key-service.ts).
 */
export async function recentLiveKeyNamed(
  tx: Executor,
  createdBy: string,
  name: string,
  seconds: number,
): Promise<string | undefined> {
  await tx.execute(sql`select pg_advisory_xact_lock(${API_KEY_CREATE_LOCK})`);
  const [row] = await tx
    .select({ id: apiKeys.id })
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.createdBy, createdBy),
        eq(apiKeys.name, name),
        isNull(apiKeys.revokedAt),
        gt(apiKeys.createdAt, sql`now() - make_interval(secs => ${seconds})`),
      ),
    )
    .orderBy(desc(apiKeys.createdAt))
    .limit(1);
  return row?.id;
}

export async function insertApiKey(tx: Executor, row: Omit<ApiKeyRow, 'createdAt'>) {
  await tx.insert(apiKeys).values(row);
  await tx.execute(sql`select pg_notify(${API_KEYS_CHANNEL}, ${row.id})`);
}

export async function revokeApiKey(tx: Executor, id: string, at: Date): Promise<boolean> {
  const rows = await tx
    .update(apiKeys)
    .set({ revokedAt: at })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  await tx.execute(sql`select pg_notify(${API_KEYS_CHANNEL}, ${id})`);
  return rows.length > 0;
}
