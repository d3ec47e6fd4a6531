import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { appendAudit } from '../db/audit-queries.js';
import {
  API_KEYS_CHANNEL,
  insertApiKey,
  liveApiKeys,
  recentLiveKeyNamed,
  revokeApiKey,
  type ApiKeyRow,
} from '../db/authz-queries.js';
import type { Database } from '../db/client.js';
import { newId } from '../db/ids.js';
import { AppError } from '../domain/errors.js';
import type { AdminService } from './admin-service.js';
import type { Clock } from './ports.js';

/**
 * Slack's replay window (five minutes) and a margin: a second create of the same name by the same admin
 * within it is taken for a replay of the first, on whichever replica it lands (the guard's memory is
 * per process), and refused.
 */
const REPEAT_WINDOW_SECONDS = 6 * 60;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** `ark_<id>_<secret>`: the id finds the key, the secret (never stored, only its SHA-256) proves it. */
const BEARER = /^(?:[Bb][Ee][Aa][Rr][Ee][Rr]) ark_(key_[0-9a-z]{10})_([A-Za-z0-9_-]{43})$/;

/**
 * API keys for gateways calling the authorization API. Admins create and revoke them in Slack; the
 * secret is shown once. Verification uses an in-memory copy of the live keys (refreshed on NOTIFY), so
 * checking a key costs no database round trip either.
 */
export function createApiKeyService(database: Database, admin: AdminService, clock: Clock, logger: Logger) {
  let keys = new Map<string, ApiKeyRow>();
  let stopListening: (() => Promise<void>) | undefined;

  /** Headers already checked against the current keys: a gateway sends the same one thousands of times. */
  let verified = new Map<string, string>();
  const reload = async () => {
    keys = new Map((await liveApiKeys(database.db)).map((k) => [k.id, k]));
    verified = new Map();
  };

  async function create(actorId: string, name: string): Promise<{ id: string; token: string }> {
    await admin.requireAdmin(actorId);
    const label = name.trim().slice(0, 80);
    if (!label) throw new AppError('invalid_input', 'an API key needs a name');
    const id = newId('key');
    const secret = randomBytes(32).toString('base64url');
    await database.db.transaction(async (tx) => {
      const recent = await recentLiveKeyNamed(tx, actorId, label, REPEAT_WINDOW_SECONDS);
      if (recent)
        throw new AppError('name_taken', 'the same API key was created moments ago', {
          reason: 'api_key_recent',
          keyId: recent,
        });
      await insertApiKey(tx, { id, name: label, secretHash: sha256(secret), createdBy: actorId });
      await appendAudit(tx, {
        requestId: null,
        actor: actorId,
        action: 'api_key.created',
        createdAt: clock.now(),
        details: { keyId: id, name: label },
      });
    });
    await reload();
    return { id, token: `ark_${id}_${secret}` };
  }

  async function revoke(actorId: string, id: string) {
    await admin.requireAdmin(actorId);
    const done = await database.db.transaction(async (tx) => {
      const ok = await revokeApiKey(tx, id, clock.now());
      if (ok)
        await appendAudit(tx, {
          requestId: null,
          actor: actorId,
          action: 'api_key.revoked',
          createdAt: clock.now(),
          details: { keyId: id },
        });
      return ok;
    });
    if (!done) throw new AppError('not_found', `No live API key ${id}`);
    await reload();
  }

  async function list(actorId: string) {
    await admin.requireAdmin(actorId);
    return (await liveApiKeys(database.db)).map(({ id, name, createdBy, createdAt }) => ({
      id,
      name,
      createdBy,
      createdAt,
    }));
  }

  /**
   * The key's id when `authorization` is exactly `Bearer <a live key>` (the scheme's case aside, RFC 7235),
   * else null: a bare key or another scheme is refused, so there is one form to log, proxy and document.
   * Constant-time compare.
   */
  function verify(authorization: string | undefined): string | null {
    if (!authorization) return null;
    const known = verified.get(authorization);
    if (known) return known;
    const match = BEARER.exec(authorization);
    if (!match) return null;
    const key = keys.get(match[1]!);
    if (!key) return null;
    const given = Buffer.from(sha256(match[2]!), 'hex');
    const stored = Buffer.from(key.secretHash, 'hex');
    if (given.length !== stored.length || !timingSafeEqual(given, stored)) return null;
    if (verified.size < 1000) verified.set(authorization, key.id);
    return key.id;
  }

  async function start() {
    stopListening = await database.listen(API_KEYS_CHANNEL, () => {
      reload().catch((error) => logger.warn({ err: error }, 'could not reload API keys'));
    });
    await reload();
  }

  return { create, revoke, list, verify, start, stop: async () => stopListening?.() };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
