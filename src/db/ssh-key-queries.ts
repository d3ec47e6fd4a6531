import { eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from './client.js';
import { sshKeys } from './schema/index.js';

/** The SSH public key each person saved (`/access ssh-key`, or pasted in the request form): certificates are signed for it. */
export async function sshKeyOf(db: Executor, userId: string): Promise<string | null> {
  const [row] = await db.select({ key: sshKeys.publicKey }).from(sshKeys).where(eq(sshKeys.userId, userId));
  return row?.key ?? null;
}

/** The SSH public keys of these people (those who saved none are absent). */
export async function sshKeysOf(db: Executor, userIds: string[]): Promise<Map<string, string>> {
  if (userIds.length === 0) return new Map();
  const rows = await db
    .select({ userId: sshKeys.userId, key: sshKeys.publicKey })
    .from(sshKeys)
    .where(inArray(sshKeys.userId, userIds));
  return new Map(rows.map((r) => [r.userId, r.key]));
}

export async function saveSshKey(db: Executor, userId: string, publicKey: string) {
  await db
    .insert(sshKeys)
    .values({ userId, publicKey })
    .onConflictDoUpdate({ target: sshKeys.userId, set: { publicKey, updatedAt: sql`now()` } });
}
