import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Executor } from './client.js';
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

export async function grantRow(db: Executor, id: string): Promise<ActiveGrantRow | undefined> {
  const [row] = await db.select(columns).from(grants).where(eq(grants.id, id));
  return row;
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
