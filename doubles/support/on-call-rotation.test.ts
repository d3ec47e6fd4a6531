import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instantOfWall, scheduleAt, turnAt, wallMinutes, type Rotation } from './on-call-rotation.js';

const HOUR = 3_600_000;
const zones = ['Europe/Berlin', 'America/New_York'] as const;
const localHourMinute = (at: Date, tz: string) => {
  const w = wallMinutes(at, tz);
  return `${String(Math.floor((w % 1440) / 60)).padStart(2, '0')}:${String(w % 60).padStart(2, '0')}`;
};
// Instants from January 2026 to December 2027: four DST changes in each zone.
const instant = fc.integer({ min: Date.UTC(2026, 0, 5), max: Date.UTC(2027, 11, 20) }).map((ms) => new Date(ms));
const members = ['ana@example.com', 'ben@example.com', 'cho@example.com'];

describe('a daily rotation handing over at 09:00 local time', () => {
  for (const timeZone of zones) {
    const rotation: Rotation = { members, start: '2026-01-01T09:00', timeZone, turnHours: 24 };

    it(`has exactly one person on call at every instant, and the instant is inside that turn (${timeZone})`, () => {
      fc.assert(
        fc.property(instant, (at) => {
          const t = turnAt(rotation, at)!;
          expect(members).toContain(t.member);
          expect(t.start.getTime()).toBeLessThanOrEqual(at.getTime());
          expect(at.getTime()).toBeLessThan(t.end.getTime());
        }),
      );
    });

    it(`hands over at 09:00 on the wall clock on both sides of DST, so turns last 23, 24 or 25 hours (${timeZone})`, () => {
      fc.assert(
        fc.property(instant, (at) => {
          const t = turnAt(rotation, at)!;
          expect(localHourMinute(t.start, timeZone)).toBe('09:00');
          expect(localHourMinute(t.end, timeZone)).toBe('09:00');
          expect([23 * HOUR, 24 * HOUR, 25 * HOUR]).toContain(t.end.getTime() - t.start.getTime());
          // The next person takes over at the end, not a millisecond later.
          const next = turnAt(rotation, t.end)!;
          expect(next.start.getTime()).toBe(t.end.getTime());
          expect(members.indexOf(next.member)).toBe((members.indexOf(t.member) + 1) % members.length);
          expect(turnAt(rotation, new Date(t.end.getTime() - 1))!.member).toBe(t.member);
        }),
      );
    });
  }

  it('the turns around the spring change in Berlin: 23 hours on 29 March 2026, then 24 again', () => {
    const rotation: Rotation = { members, start: '2026-01-01T09:00', timeZone: 'Europe/Berlin', turnHours: 24 };
    const short = turnAt(rotation, new Date('2026-03-29T05:00:00Z'))!; // 28 March 09:00 CET -> 29 March 09:00 CEST
    expect(short.start.toISOString()).toBe('2026-03-28T08:00:00.000Z');
    expect(short.end.toISOString()).toBe('2026-03-29T07:00:00.000Z');
    const after = turnAt(rotation, new Date('2026-03-29T07:00:00Z'))!;
    expect(after.end.getTime() - after.start.getTime()).toBe(24 * HOUR);
  });
});

describe('a 12-hour rotation in New York (hand-offs at 08:00 and 20:00)', () => {
  const rotation: Rotation = { members, start: '2026-01-01T08:00', timeZone: 'America/New_York', turnHours: 12 };
  it('always hands over at 08:00 or 20:00 local time, one person at a time', () => {
    fc.assert(
      fc.property(instant, (at) => {
        const t = turnAt(rotation, at)!;
        expect(['08:00', '20:00']).toContain(localHourMinute(t.start, 'America/New_York'));
        expect(t.start.getTime()).toBeLessThanOrEqual(at.getTime());
        expect(at.getTime()).toBeLessThan(t.end.getTime());
        expect([11 * HOUR, 12 * HOUR, 13 * HOUR]).toContain(t.end.getTime() - t.start.getTime());
      }),
    );
  });
});

describe('a rotation handing over inside the hour DST repeats (01:30 in New York)', () => {
  const rotation: Rotation = { members, start: '2026-01-01T01:30', timeZone: 'America/New_York', turnHours: 24 };
  it('still has one person at every instant, each turn containing the instant', () => {
    fc.assert(
      fc.property(instant, (at) => {
        const t = turnAt(rotation, at)!;
        expect(t.start.getTime()).toBeLessThanOrEqual(at.getTime());
        expect(at.getTime()).toBeLessThan(t.end.getTime());
      }),
    );
  });
});

describe('schedules', () => {
  const base: Rotation = { members: ['ana@example.com'], start: '2026-01-01T09:00', timeZone: 'UTC', turnHours: 24 };
  const top: Rotation = { members: ['ben@example.com'], start: '2026-06-01T09:00', timeZone: 'UTC', turnHours: 24 };
  it('the last layer with someone on call wins, an override beats every layer', () => {
    expect(scheduleAt([base, top], [], new Date('2026-05-01T12:00:00Z'))!.member).toBe('ana@example.com');
    expect(scheduleAt([base, top], [], new Date('2026-07-01T12:00:00Z'))!.member).toBe('ben@example.com');
    const override = {
      member: 'cho@example.com',
      start: new Date('2026-07-01T10:00:00Z'),
      end: new Date('2026-07-01T14:00:00Z'),
    };
    expect(scheduleAt([base, top], [override], new Date('2026-07-01T12:00:00Z'))!.member).toBe('cho@example.com');
    expect(scheduleAt([base, top], [override], new Date('2026-07-01T14:00:00Z'))!.member).toBe('ben@example.com');
  });
  it('a skipped wall-clock time (02:30 on 8 March 2026 in New York) moves forward to a real instant', () => {
    const at = instantOfWall(Date.UTC(2026, 2, 8, 2, 30) / 60_000, 'America/New_York');
    expect(localHourMinute(at, 'America/New_York')).toBe('03:30');
  });
});
