import type { Logger } from 'pino';
import { activeGrants, grantRows, GRANTS_CHANNEL, type ActiveGrantRow } from '../db/authz-queries.js';
import type { Database } from '../db/client.js';
import type { ResourceGrant } from '../domain/policy.js';
import type { Clock } from './ports.js';

export interface Decision {
  allowed: boolean;
  reason?: 'no_active_grant';
  grant?: { id: string; requestId: string; user: string; resource: string; expiresAt: string; policy: ResourceGrant };
}

interface Entry {
  grantId: string;
  requestId: string;
  user: string;
  startsAt: number;
  expiresAt: number;
  policy: ResourceGrant;
}

/**
 * Active grants in memory, so a gateway's "may this person use this resource now?" costs no database
 * round trip. Kept fresh by LISTEN/NOTIFY (every grant change notifies in its transaction, so every
 * replica hears it within milliseconds of the commit) plus a periodic full reload as a safety net.
 * Expiry is also checked at decision time, so a grant past its end is refused even before the expiry
 * job has run; likewise a scheduled grant (approved ahead of its start) is refused before its start,
 * with no job or notification needed at the start itself.
 */
export function createAuthorizationIndex(database: Database, clock: Clock, logger: Logger) {
  // subject (Slack id or lower-cased e-mail) -> resource name -> grant id -> entry
  let bySubject = new Map<string, Map<string, Map<string, Entry>>>();
  let subjectsOf = new Map<string, string[]>();
  /** Grants notified while a full reload runs: applied again after it, so no change is lost. */
  let notedDuringReload: Set<string> | null = null;
  let stopListening: (() => Promise<void>) | undefined;
  let timer: NodeJS.Timeout | undefined;

  function remove(grantId: string) {
    for (const subject of subjectsOf.get(grantId) ?? []) {
      for (const byGrant of bySubject.get(subject)?.values() ?? []) byGrant.delete(grantId);
    }
    subjectsOf.delete(grantId);
  }

  function add(row: ActiveGrantRow, index = bySubject, subjectIndex = subjectsOf) {
    const subjects = [row.requesterId, ...(row.requesterEmail ? [row.requesterEmail.toLowerCase()] : [])];
    subjectIndex.set(row.id, subjects);
    for (const subject of subjects) {
      const resources = index.get(subject) ?? new Map<string, Map<string, Entry>>();
      index.set(subject, resources);
      for (const policy of row.policy.resources) {
        const byGrant = resources.get(policy.resource) ?? new Map<string, Entry>();
        resources.set(policy.resource, byGrant);
        byGrant.set(row.id, {
          grantId: row.id,
          requestId: row.requestId,
          user: row.requesterId,
          startsAt: row.startsAt.getTime(),
          expiresAt: row.expiresAt.getTime(),
          policy,
        });
      }
    }
  }

  async function reloadAll() {
    notedDuringReload = new Set();
    try {
      const fresh = new Map<string, Map<string, Map<string, Entry>>>();
      const freshSubjects = new Map<string, string[]>();
      for (const row of await activeGrants(database.db)) add(row, fresh, freshSubjects);
      bySubject = fresh;
      subjectsOf = freshSubjects;
    } finally {
      const noted = notedDuringReload;
      notedDuringReload = null;
      await reload([...noted]);
    }
  }

  /** Grants notified and not yet read again; `reading` is the read under way, if any. */
  let changed = new Set<string>();
  let reading: Promise<void> | null = null;

  /**
   * A grant changed: it is read again, together with every other grant notified meanwhile, in one
   * statement (an expiry pass of 100 grants notifies 100 times at its commit: one read, not 100).
   */
  function noteChanged(grantId: string): Promise<void> {
    notedDuringReload?.add(grantId);
    changed.add(grantId);
    reading ??= (async () => {
      try {
        // The rest of the commit's notifications arrive in the same burst: let them join this read.
        await new Promise((resolve) => setImmediate(resolve));
        // A grant notified while a read is under way may have been read before its change: read it again.
        while (changed.size > 0) {
          const ids = [...changed];
          changed = new Set();
          await reload(ids);
        }
      } finally {
        reading = null;
      }
    })();
    return reading;
  }

  async function reload(ids: string[]) {
    if (ids.length === 0) return;
    const rows = new Map((await grantRows(database.db, ids)).map((row) => [row.id, row]));
    for (const id of ids) {
      remove(id);
      const row = rows.get(id);
      if (row && row.status === 'active') add(row);
    }
  }

  /** Is `user` (a Slack id or an e-mail) allowed to use `resource` right now, and under which policy? */
  function decide(user: string, resource: string): Decision {
    const now = clock.now().getTime();
    const key = user.includes('@') ? user.toLowerCase() : user;
    let best: Entry | undefined;
    for (const entry of bySubject.get(key)?.get(resource)?.values() ?? []) {
      if (entry.startsAt <= now && entry.expiresAt > now && (!best || entry.expiresAt > best.expiresAt)) best = entry;
    }
    if (!best) return { allowed: false, reason: 'no_active_grant' };
    return {
      allowed: true,
      grant: {
        id: best.grantId,
        requestId: best.requestId,
        user: best.user,
        resource,
        expiresAt: new Date(best.expiresAt).toISOString(),
        policy: best.policy,
      },
    };
  }

  function list() {
    const now = clock.now().getTime();
    const seen = new Map<
      string,
      { id: string; requestId: string; user: string; expiresAt: string; resources: ResourceGrant[] }
    >();
    for (const resources of bySubject.values()) {
      for (const byGrant of resources.values()) {
        for (const e of byGrant.values()) {
          if (e.expiresAt <= now || e.startsAt > now) continue;
          const item = seen.get(e.grantId) ?? {
            id: e.grantId,
            requestId: e.requestId,
            user: e.user,
            expiresAt: new Date(e.expiresAt).toISOString(),
            resources: [],
          };
          if (!item.resources.some((r) => r.resource === e.policy.resource)) item.resources.push(e.policy);
          seen.set(e.grantId, item);
        }
      }
    }
    return [...seen.values()].sort((a, b) => a.expiresAt.localeCompare(b.expiresAt));
  }

  async function start(fullReloadMs = 60_000) {
    stopListening = await database.listen(GRANTS_CHANNEL, (grantId) => {
      noteChanged(grantId).catch((error) =>
        logger.warn({ err: error, grant_id: grantId }, 'could not refresh a grant in the authorization index'),
      );
    });
    await reloadAll();
    timer = setInterval(
      () => reloadAll().catch((error) => logger.warn({ err: error }, 'authorization index reload failed')),
      fullReloadMs,
    );
    timer.unref();
  }

  async function stop() {
    if (timer) clearInterval(timer);
    await stopListening?.();
  }

  return { start, stop, decide, list, reloadAll, size: () => subjectsOf.size };
}

export type AuthorizationIndex = ReturnType<typeof createAuthorizationIndex>;
