import { and, desc, eq, gt, isNull, lt, or } from 'drizzle-orm';
import type { Executor } from './client.js';
import { personalTokens } from './schema/index.js';
import type { TokenVia } from '../domain/personal-token.js';

export interface PersonalTokenRow {
  id: string;
  userId: string;
  name: string;
  secretHash: string;
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  revokedBy: string | null;
  createdVia: TokenVia;
}

const columns = {
  id: personalTokens.id,
  userId: personalTokens.userId,
  name: personalTokens.name,
  secretHash: personalTokens.secretHash,
  createdAt: personalTokens.createdAt,
  expiresAt: personalTokens.expiresAt,
  lastUsedAt: personalTokens.lastUsedAt,
  revokedAt: personalTokens.revokedAt,
  revokedBy: personalTokens.revokedBy,
  createdVia: personalTokens.createdVia,
};

export async function insertPersonalToken(
  tx: Executor,
  row: Omit<PersonalTokenRow, 'lastUsedAt' | 'revokedAt' | 'revokedBy'> & { creationKey: string | null },
) {
  await tx.insert(personalTokens).values(row);
}

export async function personalToken(db: Executor, id: string): Promise<PersonalTokenRow | undefined> {
  const [row] = await db.select(columns).from(personalTokens).where(eq(personalTokens.id, id));
  return row;
}

/** The token a command with this key made, if one did (a replay finds it). */
export async function tokenByCreationKey(
  db: Executor,
  userId: string,
  creationKey: string,
): Promise<PersonalTokenRow | undefined> {
  const [row] = await db
    .select(columns)
    .from(personalTokens)
    .where(and(eq(personalTokens.userId, userId), eq(personalTokens.creationKey, creationKey)));
  return row;
}

/** A person's tokens that still work at `now` (not revoked, not expired), newest first. */
export async function liveTokensOf(db: Executor, userId: string, now: Date): Promise<PersonalTokenRow[]> {
  return db
    .select(columns)
    .from(personalTokens)
    .where(and(eq(personalTokens.userId, userId), isNull(personalTokens.revokedAt), gt(personalTokens.expiresAt, now)))
    .orderBy(desc(personalTokens.createdAt), desc(personalTokens.id));
}

/** Revokes one token; false when it was revoked already. */
export async function revokePersonalToken(tx: Executor, id: string, by: string, at: Date): Promise<boolean> {
  const rows = await tx
    .update(personalTokens)
    .set({ revokedAt: at, revokedBy: by })
    .where(and(eq(personalTokens.id, id), isNull(personalTokens.revokedAt)))
    .returning({ id: personalTokens.id });
  return rows.length > 0;
}

/** Revokes every unrevoked token of a person (expired ones too: nothing of theirs is left to revive). */
export async function revokeTokensOf(
  tx: Executor,
  userId: string,
  by: string,
  at: Date,
): Promise<{ id: string; name: string }[]> {
  return tx
    .update(personalTokens)
    .set({ revokedAt: at, revokedBy: by })
    .where(and(eq(personalTokens.userId, userId), isNull(personalTokens.revokedAt)))
    .returning({ id: personalTokens.id, name: personalTokens.name });
}

/** Notes a use; skipped when the last one noted is more recent than `since` (one write a minute at most). */
export async function touchPersonalToken(db: Executor, id: string, at: Date, since: Date) {
  await db
    .update(personalTokens)
    .set({ lastUsedAt: at })
    .where(and(eq(personalTokens.id, id), or(isNull(personalTokens.lastUsedAt), lt(personalTokens.lastUsedAt, since))));
}

/** Everyone holding a token that still works: the periodic offboarding check asks Slack about them too. */
export async function liveTokenHolders(db: Executor, now: Date): Promise<string[]> {
  const rows = await db
    .selectDistinct({ userId: personalTokens.userId })
    .from(personalTokens)
    .where(and(isNull(personalTokens.revokedAt), gt(personalTokens.expiresAt, now)));
  return rows.map((r) => r.userId);
}
