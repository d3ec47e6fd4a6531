import { appendAudit } from '../db/audit-queries.js';
import type { Db, Executor } from '../db/client.js';
import {
  coveringGrant,
  eventsBetween,
  eventsOf,
  grantForSession,
  insertEvents,
  insertSession,
  lockSessionByExternalId,
  newSessionId,
  recordingBytes,
  recordingText,
  saveRecording,
  sessionById,
  sessionsByRequest,
  sessionsWithFinding,
  setSessionEnd,
  type GrantForSession,
  type SessionRow,
  type SessionSummaryRow,
} from '../db/session-queries.js';
import type { AuditAction } from '../domain/audit-action.js';
import { AppError } from '../domain/errors.js';
import {
  asciicastProblem,
  belongsTo,
  FINDING_NO_COVERING_GRANT,
  FINDING_OUTSIDE_GRANT_WINDOW,
  newEvents,
  windowCovers,
  type SessionEventInput,
  type SessionEventKind,
  type SessionSource,
} from '../domain/session.js';
import type { Clock } from './ports.js';

export type { SessionSource, SessionEventKind, SessionEventInput };
export { asciicastProblem, FINDING_NO_COVERING_GRANT, FINDING_OUTSIDE_GRANT_WINDOW };

/** One session as a gateway reports it (or as the built-in capture saw it). */
export interface SessionInput {
  /** A Slack user id or an e-mail. */
  user: string;
  resource: string;
  startedAt: Date;
  endedAt?: Date | null;
  clientAddress?: string | null;
  grantId?: string | null;
  externalId?: string | null;
  events?: SessionEventInput[];
  /** asciicast v2 text. */
  recording?: string | null;
  /** Extra non-secret facts for the audit event only (capture: the database name). */
  auditNote?: Record<string, unknown>;
}

export interface RecordResult {
  sessionId: string;
  grantId: string | null;
  requestId: string | null;
  finding: string | null;
  /** False when (source, external id) was reported before and this report only added to it. */
  created: boolean;
  eventsAdded: number;
}

export interface SessionSummary {
  id: string;
  source: SessionSource;
  userId: string;
  resourceName: string;
  startedAt: Date;
  endedAt: Date | null;
  clientAddress: string | null;
  finding: string | null;
  eventCount: number;
  hasRecording: boolean;
}

export interface SessionDetail extends SessionSummary {
  grantId: string | null;
  requestId: string | null;
  /** In time order. */
  events: { at: Date; kind: SessionEventKind; text: string }[];
}

const summary = (r: SessionSummaryRow): SessionSummary => ({
  id: r.id,
  source: r.source,
  userId: r.userId,
  resourceName: r.resourceName,
  startedAt: r.startedAt,
  endedAt: r.endedAt,
  clientAddress: r.clientAddress,
  finding: r.finding,
  eventCount: r.eventCount,
  hasRecording: r.hasRecording,
});

/**
 * Sessions of access, linked to the grant that allowed them. Command texts and recordings stay in the
 * session tables: they can hold secrets (a password typed in a psql \password, a token in a curl), so
 * the hash-chained audit trail records only that a session happened, its counts and its finding.
 */
export function createSessionService(db: Db, clock: Clock) {
  async function link(
    tx: Executor,
    input: SessionInput,
    source: SessionSource,
  ): Promise<{ grant: GrantForSession | undefined; finding: string | null }> {
    if (input.grantId) {
      const grant = await grantForSession(tx, input.grantId);
      if (!grant) throw new AppError('invalid_input', `There is no grant ${input.grantId}.`);
      if (!belongsTo(grant, input.user))
        throw new AppError('invalid_input', `Grant ${input.grantId} was not given to ${input.user}.`);
      if (!grant.policy.resources.some((r) => r.resource === input.resource))
        throw new AppError('invalid_input', `Grant ${input.grantId} does not include ${input.resource}.`);
      // A captured backend logged in with the grant's own role, which exists only for the grant: its
      // start is the target server's clock, and a little skew must not raise a false finding.
      const outside = source === 'api' && !windowCovers(grant, input.startedAt);
      return { grant, finding: outside ? FINDING_OUTSIDE_GRANT_WINDOW : null };
    }
    const grant = await coveringGrant(tx, input.user, input.resource, input.startedAt);
    return { grant, finding: grant ? null : FINDING_NO_COVERING_GRANT };
  }

  async function audit(
    tx: Executor,
    action: AuditAction,
    actor: string,
    session: SessionRow,
    extra: Record<string, unknown>,
  ) {
    const [stored, bytes] = [await sessionById(tx, session.id), await recordingBytes(tx, session.id)];
    await appendAudit(tx, {
      requestId: session.requestId,
      actor,
      action,
      createdAt: clock.now(),
      details: {
        sessionId: session.id,
        grantId: session.grantId,
        source: session.source,
        resource: session.resourceName,
        user: session.userId,
        clientAddress: session.clientAddress,
        events: stored?.eventCount ?? 0,
        recordingBytes: bytes,
        finding: session.finding,
        ...extra,
      },
    });
  }

  /**
   * Stores a session, or adds to the one reported before under the same (source, external id): a repeat
   * sets ended_at and appends only events not stored yet. `actor` is who reported it (`api-key:<id>`).
   */
  async function recordSession(input: SessionInput, source: SessionSource, actor = 'system'): Promise<RecordResult> {
    const reported = input.events ?? [];
    return db.transaction(async (tx) => {
      const externalId = input.externalId ?? null;
      let existing = externalId ? await lockSessionByExternalId(tx, source, externalId) : undefined;
      if (!existing) {
        const { grant, finding } = await link(tx, input, source);
        const row: SessionRow = {
          id: newSessionId(),
          grantId: grant?.id ?? null,
          requestId: grant?.requestId ?? null,
          userId: input.user,
          resourceName: input.resource,
          source,
          startedAt: input.startedAt,
          endedAt: input.endedAt ?? null,
          clientAddress: input.clientAddress ?? null,
          finding,
          externalId,
        };
        if (await insertSession(tx, row)) {
          await insertEvents(
            tx,
            row.id,
            reported.map((e) => ({ at: e.at, kind: e.type, text: e.text })),
          );
          if (input.recording) await saveRecording(tx, row.id, input.recording);
          await audit(tx, 'session.recorded', actor, row, { eventsAdded: reported.length, ...input.auditNote });
          return {
            sessionId: row.id,
            grantId: row.grantId,
            requestId: row.requestId,
            finding,
            created: true,
            eventsAdded: reported.length,
          };
        }
        // Another report with this external id committed first: add to that one instead.
        existing = await lockSessionByExternalId(tx, source, externalId!);
        if (!existing) throw new Error('session vanished while it was being reported');
      } else if (input.grantId) {
        await link(tx, input, source); // a wrong grant_id is refused on a repeat too
      }

      let fresh: ReturnType<typeof newEvents> = [];
      if (reported.length > 0) {
        let [first, last] = [Infinity, -Infinity];
        for (const e of reported) [first, last] = [Math.min(first, e.at.getTime()), Math.max(last, e.at.getTime())];
        const stored = await eventsBetween(tx, existing.id, new Date(first), new Date(last));
        fresh = newEvents(reported, stored);
        await insertEvents(tx, existing.id, fresh);
      }
      const endChanged = Boolean(input.endedAt) && input.endedAt!.getTime() !== existing.endedAt?.getTime();
      if (endChanged) await setSessionEnd(tx, existing.id, input.endedAt!);
      if (input.recording) await saveRecording(tx, existing.id, input.recording);
      // Captured queries arrive a few at a time every sample: the audit gets the session's start and
      // end (with counts), not one event per sample. Reports through the API are audited each time.
      if (source === 'api' && (fresh.length > 0 || endChanged || input.recording)) {
        await audit(
          tx,
          'session.updated',
          actor,
          { ...existing, endedAt: endChanged ? input.endedAt! : existing.endedAt },
          { eventsAdded: fresh.length, ...input.auditNote },
        );
      }
      return {
        sessionId: existing.id,
        grantId: existing.grantId,
        requestId: existing.requestId,
        finding: existing.finding,
        created: false,
        eventsAdded: fresh.length,
      };
    });
  }

  /** Ends a session that is still open (the capture saw its backend disappear); false if already ended. */
  async function endSession(sessionId: string, endedAt: Date, actor = 'system'): Promise<boolean> {
    return db.transaction(async (tx) => {
      if (!(await setSessionEnd(tx, sessionId, endedAt, true))) return false;
      const row = await sessionById(tx, sessionId);
      if (row) await audit(tx, 'session.ended', actor, row, {});
      return true;
    });
  }

  async function sessionsOfRequest(requestId: string): Promise<SessionSummary[]> {
    return (await sessionsByRequest(db, requestId)).map(summary);
  }

  async function sessionDetail(sessionId: string): Promise<SessionDetail | null> {
    const row = await sessionById(db, sessionId);
    if (!row) return null;
    return { ...summary(row), grantId: row.grantId, requestId: row.requestId, events: await eventsOf(db, sessionId) };
  }

  async function recordingOf(sessionId: string): Promise<string | null> {
    return recordingText(db, sessionId);
  }

  /** Sessions flagged for a look (e.g. no covering grant), newest first. */
  async function findings(
    limit = 200,
  ): Promise<(SessionSummary & { grantId: string | null; requestId: string | null })[]> {
    return (await sessionsWithFinding(db, limit)).map((r) => ({
      ...summary(r),
      grantId: r.grantId,
      requestId: r.requestId,
    }));
  }

  return { recordSession, endSession, sessionsOfRequest, sessionDetail, recordingOf, findings };
}

export type SessionService = ReturnType<typeof createSessionService>;
