import { and, asc, desc, eq, gte, inArray, isNotNull, isNull, lte, sql } from 'drizzle-orm';
import type { Executor } from './client.js';
import { grantHolderColumns, type GrantHolderRow } from './grant-queries.js';
import { newId } from './ids.js';
import { grants, grantTargets, sessionEvents, sessionRecordings, sessions } from './schema/index.js';

import type { SessionEventKind, SessionSource } from '../domain/session.js';
export type { SessionEventKind, SessionSource };

/** "ses_7f3k2m9x4q". */
export const newSessionId = (): string => newId('ses');

export type GrantForSession = GrantHolderRow & { endedAt: Date | null };

const grantColumns = { ...grantHolderColumns, endedAt: grants.endedAt };

export async function grantForSession(db: Executor, id: string): Promise<GrantForSession | undefined> {
  const [row] = await db.select(grantColumns).from(grants).where(eq(grants.id, id));
  return row;
}

/**
 * The grant of `user` (Slack id or e-mail, case-insensitive) whose policy includes `resource` and whose
 * window covers `at`: starts_at <= at < coalesce(ended_at, expires_at). The latest-starting one wins.
 */
export async function coveringGrant(
  db: Executor,
  user: string,
  resource: string,
  at: Date,
): Promise<GrantForSession | undefined> {
  const [row] = await db
    .select(grantColumns)
    .from(grants)
    .where(
      and(
        sql`(lower(${grants.requesterId}) = lower(${user}) or lower(${grants.requesterEmail}) = lower(${user}))`,
        sql`${grants.policy} -> 'resources' @> ${JSON.stringify([{ resource }])}::jsonb`,
        lte(grants.startsAt, at),
        sql`coalesce(${grants.endedAt}, ${grants.expiresAt}) > ${at.toISOString()}::timestamptz`,
      ),
    )
    .orderBy(desc(grants.startsAt))
    .limit(1);
  return row;
}

export interface NewSession {
  id: string;
  grantId: string | null;
  requestId: string | null;
  userId: string;
  resourceName: string;
  source: SessionSource;
  startedAt: Date;
  endedAt: Date | null;
  clientAddress: string | null;
  finding: string | null;
  externalId: string | null;
}

export type SessionRow = NewSession;

const sessionColumns = {
  id: sessions.id,
  grantId: sessions.grantId,
  requestId: sessions.requestId,
  userId: sessions.userId,
  resourceName: sessions.resourceName,
  source: sessions.source,
  startedAt: sessions.startedAt,
  endedAt: sessions.endedAt,
  clientAddress: sessions.clientAddress,
  finding: sessions.finding,
  externalId: sessions.externalId,
};

/** Inserts the session unless (source, external_id) exists; true when this call created it. */
export async function insertSession(tx: Executor, row: NewSession): Promise<boolean> {
  const created = await tx
    .insert(sessions)
    .values(row)
    .onConflictDoNothing({ target: [sessions.source, sessions.externalId] })
    .returning({ id: sessions.id });
  return created.length > 0;
}

/** The session a reporter already sent under this external id, locked until the transaction ends. */
export async function lockSessionByExternalId(
  tx: Executor,
  source: SessionSource,
  externalId: string,
): Promise<SessionRow | undefined> {
  const [row] = await tx
    .select(sessionColumns)
    .from(sessions)
    .where(and(eq(sessions.source, source), eq(sessions.externalId, externalId)))
    .for('update');
  return row;
}

export async function setSessionEnd(tx: Executor, id: string, endedAt: Date, onlyIfOpen = false): Promise<boolean> {
  const rows = await tx
    .update(sessions)
    .set({ endedAt })
    .where(and(eq(sessions.id, id), onlyIfOpen ? isNull(sessions.endedAt) : undefined))
    .returning({ id: sessions.id });
  return rows.length > 0;
}

/** Stored events with `at` in [from, to]: what a repeated report is compared with. */
export async function eventsBetween(tx: Executor, sessionId: string, from: Date, to: Date) {
  return tx
    .select({ at: sessionEvents.at, kind: sessionEvents.kind, text: sessionEvents.text })
    .from(sessionEvents)
    .where(and(eq(sessionEvents.sessionId, sessionId), gte(sessionEvents.at, from), lte(sessionEvents.at, to)));
}

export async function insertEvents(
  tx: Executor,
  sessionId: string,
  events: { at: Date; kind: SessionEventKind; text: string }[],
) {
  // 4 parameters a row; batches stay far below PostgreSQL's 65,535 bind parameters.
  for (let i = 0; i < events.length; i += 2000) {
    await tx
      .insert(sessionEvents)
      .values(events.slice(i, i + 2000).map((e) => ({ sessionId, at: e.at, kind: e.kind, text: e.text })));
  }
}

export async function saveRecording(tx: Executor, sessionId: string, cast: string) {
  const bytes = Buffer.byteLength(cast, 'utf8');
  await tx
    .insert(sessionRecordings)
    .values({ sessionId, cast, bytes })
    .onConflictDoUpdate({ target: sessionRecordings.sessionId, set: { cast, bytes } });
}

export async function recordingBytes(db: Executor, sessionId: string): Promise<number | null> {
  const [row] = await db
    .select({ bytes: sessionRecordings.bytes })
    .from(sessionRecordings)
    .where(eq(sessionRecordings.sessionId, sessionId));
  return row?.bytes ?? null;
}

// Subqueries name the outer column as sessions.id: drizzle would render it bare ("id"), which inside
// the subquery means the events' own id.
const summaryColumns = {
  ...sessionColumns,
  eventCount: sql<number>`(select count(*)::int from session_events e where e.session_id = sessions.id)`,
  hasRecording: sql<boolean>`exists (select 1 from session_recordings r where r.session_id = sessions.id)`,
};

export type SessionSummaryRow = SessionRow & { eventCount: number; hasRecording: boolean };

const normalize = (r: SessionSummaryRow): SessionSummaryRow => ({
  ...r,
  eventCount: Number(r.eventCount),
  hasRecording: Boolean(r.hasRecording),
});

export async function sessionsByRequest(db: Executor, requestId: string): Promise<SessionSummaryRow[]> {
  const rows = await db
    .select(summaryColumns)
    .from(sessions)
    .where(eq(sessions.requestId, requestId))
    .orderBy(asc(sessions.startedAt), asc(sessions.id));
  return rows.map(normalize);
}

export async function sessionById(db: Executor, id: string): Promise<SessionSummaryRow | undefined> {
  const [row] = await db.select(summaryColumns).from(sessions).where(eq(sessions.id, id));
  return row && normalize(row);
}

export async function eventsOf(db: Executor, sessionId: string) {
  return db
    .select({ at: sessionEvents.at, kind: sessionEvents.kind, text: sessionEvents.text })
    .from(sessionEvents)
    .where(eq(sessionEvents.sessionId, sessionId))
    .orderBy(asc(sessionEvents.at), asc(sessionEvents.id));
}

export async function recordingText(db: Executor, sessionId: string): Promise<string | null> {
  const [row] = await db
    .select({ cast: sessionRecordings.cast })
    .from(sessionRecordings)
    .where(eq(sessionRecordings.sessionId, sessionId));
  return row?.cast ?? null;
}

export async function sessionsWithFinding(db: Executor, limit: number): Promise<SessionSummaryRow[]> {
  const rows = await db
    .select(summaryColumns)
    .from(sessions)
    .where(isNotNull(sessions.finding))
    .orderBy(desc(sessions.startedAt))
    .limit(limit);
  return rows.map(normalize);
}

/** Postgres-provisioned targets whose role may still have sessions: active, or being removed. */
export async function captureTargets(db: Executor) {
  return db
    .select({
      grantId: grants.id,
      requestId: grants.requestId,
      requesterId: grants.requesterId,
      resourceName: grantTargets.resourceName,
      state: grantTargets.state,
    })
    .from(grantTargets)
    .innerJoin(grants, eq(grants.id, grantTargets.grantId))
    .where(and(eq(grantTargets.provisioner, 'postgres'), inArray(grantTargets.status, ['active', 'removing'])));
}

/** Captured sessions not yet ended, with the latest moment the database knows they were alive. */
export async function openCapturedSessions(db: Executor) {
  return db
    .select({
      id: sessions.id,
      grantId: sessions.grantId,
      externalId: sessions.externalId,
      resourceName: sessions.resourceName,
      lastKnown:
        sql<Date>`greatest(${sessions.startedAt}, (select max(e.at) from session_events e where e.session_id = sessions.id))`.mapWith(
          sessions.startedAt,
        ),
    })
    .from(sessions)
    .where(and(eq(sessions.source, 'postgres-capture'), isNull(sessions.endedAt)));
}
