import type { Logger } from 'pino';
import { resourcesByName } from '../db/catalog-queries.js';
import type { Db } from '../db/client.js';
import { captureTargets, openCapturedSessions } from '../db/session-queries.js';
import type { DatabaseActivity, DatabaseBackend } from './ports.js';
import type { SessionService } from './session-service.js';

/**
 * Built-in session capture for roles made by the postgres provisioner. Every sample reads
 * pg_stat_activity on each resource's server (one short-lived admin connection per server) for the roles
 * of grants whose postgres target is active, or being removed (the role may still have sessions until
 * it is dropped). Each backend becomes a session linked to its grant; each new (query_start, query) seen
 * becomes a `query` event; a backend that is gone gets ended_at = when it was last seen.
 *
 * Sampling is not auditing every statement: pg_stat_activity only shows a backend's latest statement, so
 * several statements between two samples appear as the last one only, and a connection that opens and
 * closes between samples is not seen at all. Texts are cut at track_activity_query_size (1 kB by
 * default), and the admin role needs pg_read_all_stats (or superuser) to see other roles' query texts.
 */
export interface CaptureCounts {
  /** Servers sampled successfully. */
  servers: number;
  backends: number;
  sessionsStarted: number;
  queriesAdded: number;
  sessionsEnded: number;
  /** Servers or backends that failed this time (logged; retried at the next sample). */
  failures: number;
}

type Target = Awaited<ReturnType<typeof captureTargets>>[number] & { role: string };

// 'idle' and the in-transaction states still show the last statement the backend ran.
const QUERY_STATES = new Set(['active', 'idle', 'idle in transaction', 'idle in transaction (aborted)']);
const MAX_TEXT = 10_000;
const VISIBILITY_GRACE_MS = 30_000;
const FORGET_AFTER_MS = 15 * 60_000;

export function createSessionCapture(deps: {
  db: Db;
  sessions: SessionService;
  activity: DatabaseActivity;
  logger: Logger;
}) {
  const { db, sessions, logger } = deps;
  /** What this replica last saw of each backend (external id): when, and its last query, so unchanged backends cost no write. */
  const seen = new Map<string, { lastSeen: Date; lastQuery: string | null; recorded: boolean }>();
  /**
   * The problem last logged per resource or server: sampling runs every 2 s, and a broken admin URL
   * repeated the same warning 1,800 times an hour. A problem is warned once, again when it changes,
   * and forgotten when sampling works again; the repeats go to debug.
   */
  const reported = new Map<string, string>();

  function warnOnce(where: string, fields: Record<string, unknown>, error: unknown, message: string) {
    const problem = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const repeated = reported.get(where) === problem;
    reported.set(where, problem);
    if (repeated) logger.debug({ ...fields, problem }, `${message} (still)`);
    else logger.warn({ err: error, ...fields }, message);
  }

  function queryOf(row: DatabaseBackend) {
    const text = row.query?.trim() ? row.query : null;
    if (
      !text ||
      !row.query_start ||
      !row.state ||
      !QUERY_STATES.has(row.state) ||
      text.startsWith('<insufficient privilege>')
    )
      return null;
    return { at: row.query_start, type: 'query' as const, text: text.slice(0, MAX_TEXT) };
  }

  /** One sample of every server; errors are logged and counted, and the next sample tries again. */
  async function captureOnce(): Promise<CaptureCounts> {
    const counts: CaptureCounts = {
      servers: 0,
      backends: 0,
      sessionsStarted: 0,
      queriesAdded: 0,
      sessionsEnded: 0,
      failures: 0,
    };
    const targets = await captureTargets(db);
    const resources = new Map(
      (await resourcesByName(db, [...new Set(targets.map((t) => t.resourceName))])).map((r) => [r.name, r]),
    );
    const byServer = new Map<string, Target[]>();
    // Targets are keyed `grant|resource`: one request may reach several servers with the same role name.
    const keyOf = (grantId: string | null, resource: string) => `${grantId}|${resource}`;
    /** Targets whose server was not sampled this time: their open sessions cannot be judged. */
    const unknown = new Set<string>();
    /** Per target, the server time of the snapshot its sessions were judged by. */
    const sampledAt = new Map<string, Date>();
    const alive = new Set<string>();

    for (const t of targets) {
      const config = resources.get(t.resourceName)?.provisioner;
      try {
        const { server: url, role } = deps.activity.locate(t, config);
        byServer.set(url, [...(byServer.get(url) ?? []), { ...t, role }]);
        reported.delete(`resource:${t.resourceName}`);
      } catch (error) {
        unknown.add(keyOf(t.grantId, t.resourceName));
        counts.failures += 1;
        warnOnce(
          `resource:${t.resourceName}`,
          { resource: t.resourceName, grant_id: t.grantId },
          error,
          'session capture cannot sample this resource; retrying next sample',
        );
      }
    }

    for (const [url, group] of byServer) {
      const byRole = new Map(group.map((t) => [t.role, t]));
      const resourceNames = [...new Set(group.map((t) => t.resourceName))].sort();
      let rows: DatabaseBackend[];
      try {
        rows = await deps.activity.sample(url, [...byRole.keys()]);
        reported.delete(`server:${resourceNames.join(',')}`);
      } catch (error) {
        for (const t of group) unknown.add(keyOf(t.grantId, t.resourceName));
        counts.failures += 1;
        // The URL holds a password: log the resources, never the URL.
        warnOnce(
          `server:${resourceNames.join(',')}`,
          { resources: resourceNames },
          error,
          'session capture could not read pg_stat_activity; retrying next sample',
        );
        continue;
      }
      counts.servers += 1;
      for (const t of group) sampledAt.set(keyOf(t.grantId, t.resourceName), rows[0]!.seen_at);
      for (const row of rows) {
        const target = row.usename ? byRole.get(row.usename) : undefined;
        if (row.pid === null || !row.backend_start || !target) continue;
        counts.backends += 1;
        const externalId = `${target.role}:${row.pid}:${row.backend_start.toISOString()}`;
        alive.add(externalId);
        const query = queryOf(row);
        const key = query ? `${query.at.getTime()}|${query.text}` : null;
        const known = seen.get(externalId) ?? { lastSeen: row.seen_at, lastQuery: null, recorded: false };
        known.lastSeen = row.seen_at;
        seen.set(externalId, known);
        if (known.recorded && (key === null || key === known.lastQuery)) continue;
        try {
          const result = await sessions.recordSession(
            {
              user: target.requesterId,
              resource: target.resourceName,
              startedAt: row.backend_start,
              clientAddress: row.client_addr,
              grantId: target.grantId,
              externalId,
              events: query ? [query] : [],
              auditNote: { database: row.datname, pid: row.pid },
            },
            'postgres-capture',
          );
          known.recorded = true;
          known.lastQuery = key ?? known.lastQuery;
          if (result.created) counts.sessionsStarted += 1;
          counts.queriesAdded += result.eventsAdded;
        } catch (error) {
          counts.failures += 1;
          logger.warn(
            { err: error, grant_id: target.grantId, pid: row.pid },
            'session capture could not store a session; retrying next sample',
          );
        }
      }
    }

    const active = new Set(targets.map((t) => keyOf(t.grantId, t.resourceName)));
    for (const open of await openCapturedSessions(db)) {
      const key = keyOf(open.grantId, open.resourceName);
      if (unknown.has(key) || (open.externalId && alive.has(open.externalId))) continue;
      const snapshot = sampledAt.get(key);
      const known = open.externalId ? seen.get(open.externalId) : undefined;
      const lastKnown = open.lastKnown;
      if (active.has(key) && !known) {
        // Seen only by another replica or an earlier run. A backend shows in pg_stat_activity only after
        // it authenticated, though backend_start is earlier: judge only what should have been visible.
        if (!snapshot || lastKnown.getTime() > snapshot.getTime() - VISIBILITY_GRACE_MS) continue;
      }
      // Without this replica's memory, the last query captured is the latest moment we know it was alive.
      const endedAt = known?.lastSeen ?? lastKnown;
      try {
        if (await sessions.endSession(open.id, endedAt)) counts.sessionsEnded += 1;
        if (open.externalId) seen.delete(open.externalId);
      } catch (error) {
        counts.failures += 1;
        logger.warn(
          { err: error, session_id: open.id },
          'session capture could not end a session; retrying next sample',
        );
      }
    }
    // Forget backends not seen for a while whose sessions were never stored (or were ended elsewhere).
    for (const [id, entry] of seen)
      if (!alive.has(id) && Date.now() - entry.lastSeen.getTime() > FORGET_AFTER_MS) seen.delete(id);
    return counts;
  }

  return { captureOnce };
}

export type SessionCapture = ReturnType<typeof createSessionCapture>;
