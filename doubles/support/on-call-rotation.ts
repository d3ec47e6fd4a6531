import { TZDate } from '@date-fns/tz';

/**
 * The rotation both on-call doubles model: people take turns of `turnHours`, handing over at the
 * wall-clock time of `start` in the rotation's time zone. A daily 09:00 hand-off in Europe/Berlin
 * stays at 09:00 across the DST change, so that turn lasts 23 or 25 hours (as PagerDuty and Opsgenie
 * schedules do). Turns shorter than a day hand over every `turnHours` of wall-clock time.
 */
export interface Rotation {
  /** The people in turn order (the double's user ids or e-mails). */
  members: string[];
  /** The first hand-off, as wall-clock time in `timeZone`: "2026-03-01T09:00". */
  start: string;
  timeZone: string;
  turnHours: number;
}

export interface Turn {
  member: string;
  start: Date;
  end: Date;
}

const WALL = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)$/;

function parseWall(text: string): [number, number, number, number, number] {
  const m = WALL.exec(text);
  if (!m) throw new Error(`rotation start must look like 2026-03-01T09:00, not ${text}`);
  return [Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5])];
}

/** Minutes since 1970 of the wall clock at `at` in `timeZone` (the clock on the wall, not the instant). */
export function wallMinutes(at: Date, timeZone: string): number {
  const t = new TZDate(at.getTime(), timeZone);
  return Date.UTC(t.getFullYear(), t.getMonth(), t.getDate(), t.getHours(), t.getMinutes()) / 60_000;
}

/** The instant the wall clock in `timeZone` shows these minutes (a time skipped by DST moves forward). */
export function instantOfWall(minutes: number, timeZone: string): Date {
  const d = new Date(minutes * 60_000);
  return new Date(
    new TZDate(
      d.getUTCFullYear(),
      d.getUTCMonth(),
      d.getUTCDate(),
      d.getUTCHours(),
      d.getUTCMinutes(),
      timeZone,
    ).getTime(),
  );
}

/** Whose turn it is at `at`, and when that turn began and ends; null before the rotation starts or with nobody in it. */
export function turnAt(r: Rotation, at: Date): Turn | null {
  if (r.members.length === 0 || !(r.turnHours > 0)) return null;
  const [y, mo, d, h, mi] = parseWall(r.start);
  const startWall = Date.UTC(y, mo, d, h, mi) / 60_000;
  const turn = r.turnHours * 60;
  const index = Math.floor((wallMinutes(at, r.timeZone) - startWall) / turn);
  if (index < 0) return null;
  // The wall clock repeats an hour when DST ends; an instant read back as an earlier turn's wall time
  // cannot be that turn once its hand-off instant has passed, so the later turn is kept.
  let k = index;
  const startOf = (i: number) => instantOfWall(startWall + i * turn, r.timeZone);
  if (startOf(k + 1).getTime() <= at.getTime()) k += 1;
  return { member: r.members[k % r.members.length]!, start: startOf(k), end: startOf(k + 1) };
}

/** A stretch of time someone covers instead of the rotation ("put me on call"). */
export interface Override {
  member: string;
  start: Date;
  end: Date;
}

/**
 * A schedule's final answer at `at`: the last layer that has someone wins (as in PagerDuty's final
 * schedule), and an override beats every layer.
 */
export function scheduleAt(layers: readonly Rotation[], overrides: readonly Override[], at: Date): Turn | null {
  const o = [...overrides].reverse().find((x) => x.start.getTime() <= at.getTime() && at.getTime() < x.end.getTime());
  if (o) return { member: o.member, start: o.start, end: o.end };
  for (const layer of [...layers].reverse()) {
    const t = turnAt(layer, at);
    if (t) return t;
  }
  return null;
}
