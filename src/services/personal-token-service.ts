import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { appendAudit, appendAudits } from '../db/audit-queries.js';
import type { Db, Executor } from '../db/client.js';
import { newId } from '../db/ids.js';
import {
  insertPersonalToken,
  liveTokensOf,
  personalToken,
  revokePersonalToken,
  revokeTokensOf,
  tokenByCreationKey,
  touchPersonalToken,
  type PersonalTokenRow,
} from '../db/personal-token-queries.js';
import { isUniqueViolation } from '../db/unique-violation.js';
import { AppError, isAppError } from '../domain/errors.js';
import { DEACTIVATED_BY, DEACTIVATION_REASON } from '../domain/offboarding.js';
import {
  DEFAULT_TOKEN_MINUTES,
  MAX_TOKEN_MINUTES,
  MIN_TOKEN_MINUTES,
  PERSONAL_TOKEN,
  type TokenVia,
} from '../domain/personal-token.js';
import type { ServiceDeps } from './deps.js';
import { isAdmin, requireMember } from './identity.js';

export type { TokenVia };
export { DEFAULT_TOKEN_MINUTES, MAX_TOKEN_MINUTES };

const MAX_NAME = 80;
/** `last_used_at` is written at most once a minute per token (a CLI polling would write on every call). */
const TOUCH_EVERY_MS = 60_000;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const BEARER = /^[Bb][Ee][Aa][Rr][Ee][Rr] (\S+)$/;

/** What a verified token says: whose it is, and which token (never its secret). */
export interface TokenHolder {
  userId: string;
  tokenId: string;
  name: string;
  expiresAt: Date;
}

export interface TokenSummary {
  id: string;
  name: string;
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
  createdVia: TokenVia;
}

export interface IssuedToken {
  id: string;
  name: string;
  /** Shown once, to the person; stored only as a hash. */
  secret: string;
  expiresAt: Date;
}

const summary = (t: PersonalTokenRow): TokenSummary => ({
  id: t.id,
  name: t.name,
  createdAt: t.createdAt,
  expiresAt: t.expiresAt,
  lastUsedAt: t.lastUsedAt,
  createdVia: t.createdVia,
});

/**
 * Revokes every token of a person Slack says is deactivated (offboarding.ts), one audit event per token.
 * Within the caller's transaction or on its own; a second run finds nothing left and writes nothing.
 */
export async function revokeTokensOfDeparted(db: Executor, userId: string, now: Date): Promise<number> {
  const write = async (tx: Executor) => {
    const revoked = await revokeTokensOf(tx, userId, DEACTIVATED_BY, now);
    await appendAudits(
      tx,
      revoked.map((t) => ({
        requestId: null,
        actor: 'system',
        action: 'token.revoked' as const,
        createdAt: now,
        details: { tokenId: t.id, name: t.name, owner: userId, reason: DEACTIVATION_REASON },
      })),
    );
    return revoked.length;
  };
  return 'rollback' in db ? write(db) : (db as Db).transaction(write);
}

/**
 * Personal tokens: a person's own credential for the request API, the CLI and MCP. Made in Slack
 * (`/access token create`) or by a device sign-in; the secret is shown once and only its hash is kept;
 * every token expires (at most MAX_TOKEN_MINUTES) and can be revoked by its owner or an admin. A token
 * of someone Slack says is deactivated, a guest or a bot is refused even before offboarding revokes it.
 */
export function createPersonalTokenService(deps: ServiceDeps) {
  const { db, directory, clock } = deps;
  const touched = new Map<string, number>();

  /**
   * Makes a token for `userId` that lives `ttlMinutes` (default a month). `creationKey` is what made the ask unique (the slash command's trigger
   * id): asked again with it, as a replayed command would, nothing new is made and the answer says so
   * (`name_taken`, reason `token_replayed`), since the first token's secret cannot be shown again.
   */
  async function issue(
    userId: string,
    label: string,
    ttlMinutes: number | undefined,
    via: TokenVia,
    creationKey: string | null = null,
    /** More for the audit event (a device sign-in names the company identity it was issued for). */
    auditDetails: Record<string, unknown> = {},
  ): Promise<IssuedToken> {
    await requireMember(directory, userId);
    // Control characters never reach a list or the audit trail.
    const name =
      label
        .replace(/\p{Cc}/gu, ' ')
        .trim()
        .replace(/\s+/g, ' ')
        .slice(0, MAX_NAME) || 'token';
    const ttl = ttlMinutes ?? DEFAULT_TOKEN_MINUTES;
    if (!Number.isInteger(ttl) || ttl < MIN_TOKEN_MINUTES || ttl > MAX_TOKEN_MINUTES)
      throw new AppError('invalid_input', 'A token lives between 5 minutes and 90 days', { reason: 'token_ttl' });
    const replayed = async () => {
      const earlier = creationKey ? await tokenByCreationKey(db, userId, creationKey) : undefined;
      if (earlier)
        throw new AppError('name_taken', 'This command made a token already', {
          reason: 'token_replayed',
          tokenId: earlier.id,
        });
    };
    await replayed();
    const id = newId('pat');
    const secret = randomBytes(32).toString('base64url');
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + ttl * 60_000);
    await db
      .transaction(async (tx) => {
        await insertPersonalToken(tx, {
          id,
          userId,
          name,
          secretHash: sha256(secret),
          createdAt: now,
          expiresAt,
          createdVia: via,
          creationKey,
        });
        await appendAudit(tx, {
          requestId: null,
          actor: userId,
          action: 'token.created',
          createdAt: now,
          details: { ...auditDetails, tokenId: id, name, expiresAt: expiresAt.toISOString(), via },
        });
      })
      .catch(async (error: unknown) => {
        // The same command on two replicas at once: the other one's transaction won.
        if (isUniqueViolation(error, 'personal_tokens_creation_uq')) await replayed();
        throw error;
      });
    return { id, name, secret: `ark_${id}_${secret}`, expiresAt };
  }

  /**
   * The holder of `authorization` when it is exactly `Bearer <a live personal token>` of a member in
   * good standing, else null. Constant-time compare of the secret's hash.
   */
  async function verify(authorization: string | undefined): Promise<TokenHolder | null> {
    const match = PERSONAL_TOKEN.exec(BEARER.exec(authorization ?? '')?.[1] ?? '');
    if (!match) return null;
    const token = await personalToken(db, match[1]!);
    if (!token) return null;
    const given = Buffer.from(sha256(match[2]!), 'hex');
    const stored = Buffer.from(token.secretHash, 'hex');
    if (given.length !== stored.length || !timingSafeEqual(given, stored)) return null;
    const now = clock.now();
    if (token.revokedAt || token.expiresAt.getTime() <= now.getTime()) return null;
    try {
      await requireMember(directory, token.userId);
    } catch (error) {
      // Deactivated, a guest now, a bot, or unknown to Slack: the token speaks for nobody who may act.
      if (isAppError(error)) return null;
      throw error;
    }
    const last = touched.get(token.id) ?? token.lastUsedAt?.getTime() ?? 0;
    if (now.getTime() - last >= TOUCH_EVERY_MS) {
      touched.set(token.id, now.getTime());
      if (touched.size > 10_000) touched.delete(touched.keys().next().value!);
      await touchPersonalToken(db, token.id, now, new Date(now.getTime() - TOUCH_EVERY_MS));
    }
    return { userId: token.userId, tokenId: token.id, name: token.name, expiresAt: token.expiresAt };
  }

  /**
   * Revokes a token: its owner, or an admin. Someone else's token reads as unknown (its id tells a
   * non-admin nothing). Revoking a revoked token again changes nothing and is no error.
   */
  async function revoke(actorId: string, tokenId: string): Promise<{ token: TokenSummary; already: boolean }> {
    await requireMember(directory, actorId);
    const found = await personalToken(db, tokenId);
    const admin = found && found.userId !== actorId ? await isAdmin(directory, deps.admins, actorId) : false;
    if (!found || (found.userId !== actorId && !admin))
      throw new AppError('not_found', `No token ${tokenId}`, { reason: 'token' });
    const now = clock.now();
    const done = await db.transaction(async (tx) => {
      if (!(await revokePersonalToken(tx, found.id, actorId, now))) return false;
      await appendAudit(tx, {
        requestId: null,
        actor: actorId,
        action: 'token.revoked',
        createdAt: now,
        details: { tokenId: found.id, name: found.name, owner: found.userId },
      });
      return true;
    });
    return { token: summary(found), already: !done };
  }

  async function listFor(userId: string): Promise<TokenSummary[]> {
    return (await liveTokensOf(db, userId, clock.now())).map(summary);
  }

  return { issue, verify, revoke, listFor };
}

export type PersonalTokenService = ReturnType<typeof createPersonalTokenService>;
