/**
 * Pure rules of session logs: what a valid asciicast is, which grant a reported session belongs to, and
 * which reported events are new. services/session-service.ts stores what these decide.
 */

export type SessionSource = 'api' | 'postgres-capture';
export type SessionEventKind = 'command' | 'query';

export interface SessionEventInput {
  at: Date;
  type: SessionEventKind;
  text: string;
}

/** What the session rules need to know of a grant. */
export interface SessionGrant {
  requesterId: string;
  requesterEmail: string | null;
  startsAt: Date;
  expiresAt: Date;
  endedAt: Date | null;
}

export const FINDING_NO_COVERING_GRANT = 'no_covering_grant';
/** An explicit grant_id whose window does not include started_at. */
export const FINDING_OUTSIDE_GRANT_WINDOW = 'outside_grant_window';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const positiveInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** Null when `cast` is asciicast v2 (a JSON header line, then `[time, code, data]` lines), else a sentence. */
export function asciicastProblem(cast: string): string | null {
  const lines = cast.split('\n');
  let header: unknown;
  try {
    header = JSON.parse(lines[0] ?? '');
  } catch {
    return 'The first line of "recording" must be an asciicast v2 header, a JSON object.';
  }
  if (!isRecord(header) || header.version !== 2)
    return '"recording" must be asciicast v2: its header line needs "version": 2.';
  if (!positiveInt(header.width) || !positiveInt(header.height))
    return 'The asciicast header of "recording" needs positive whole numbers "width" and "height".';
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      return `Line ${i + 1} of "recording" is not JSON.`;
    }
    if (
      !Array.isArray(event) ||
      event.length !== 3 ||
      typeof event[0] !== 'number' ||
      !Number.isFinite(event[0]) ||
      event[0] < 0 ||
      typeof event[1] !== 'string' ||
      typeof event[2] !== 'string'
    ) {
      return `Line ${i + 1} of "recording" must be an asciicast event [time, code, data], like [0.5, "o", "ls\\r\\n"].`;
    }
  }
  return null;
}

export const belongsTo = (grant: SessionGrant, user: string) => {
  const who = user.toLowerCase();
  return grant.requesterId.toLowerCase() === who || grant.requesterEmail?.toLowerCase() === who;
};
export const windowCovers = (grant: SessionGrant, at: Date) =>
  grant.startsAt <= at && at < (grant.endedAt ?? grant.expiresAt);

/** Event identity for repeated reports: same moment, kind and text. */
const eventKey = (e: { at: Date; kind: string; text: string }) => `${e.at.getTime()}\u0000${e.kind}\u0000${e.text}`;

/**
 * Keeps only the reported events not stored yet. Counted as a multiset, so a command really typed twice
 * in the same millisecond is kept twice the first time and not added again on a repeat.
 */
export function newEvents(reported: SessionEventInput[], stored: { at: Date; kind: string; text: string }[]) {
  const have = new Map<string, number>();
  for (const e of stored) have.set(eventKey(e), (have.get(eventKey(e)) ?? 0) + 1);
  const fresh: { at: Date; kind: SessionEventKind; text: string }[] = [];
  for (const e of reported) {
    const key = eventKey({ at: e.at, kind: e.type, text: e.text });
    const left = have.get(key) ?? 0;
    if (left > 0) have.set(key, left - 1);
    else fresh.push({ at: e.at, kind: e.type, text: e.text });
  }
  return fresh;
}
