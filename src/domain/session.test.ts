import { describe, expect, it } from 'vitest';
import { asciicastProblem, belongsTo, newEvents, windowCovers } from './session.js';

const at = (s: number) => new Date(Date.UTC(2026, 11, 3, 10, 0, s));
const grant = {
  requesterId: 'U0REQ',
  requesterEmail: 'Rita@Example.com',
  startsAt: at(0),
  expiresAt: at(60),
  endedAt: null,
};

describe('session rules', () => {
  it('a session belongs to the grant of its user, by Slack id or e-mail in any case', () => {
    expect(belongsTo(grant, 'U0REQ')).toBe(true);
    expect(belongsTo(grant, 'rita@example.com')).toBe(true);
    expect(belongsTo(grant, 'U0OTHER')).toBe(false);
  });
  it('the grant window is start-inclusive and ends at the end (or the early end)', () => {
    expect(windowCovers(grant, at(0))).toBe(true);
    expect(windowCovers(grant, at(60))).toBe(false);
    expect(windowCovers({ ...grant, endedAt: at(30) }, at(45))).toBe(false);
  });
  it('a repeated report adds only what is new, counting repeats as a multiset', () => {
    const typed = [
      { at: at(1), type: 'command' as const, text: 'ls' },
      { at: at(1), type: 'command' as const, text: 'ls' },
      { at: at(2), type: 'command' as const, text: 'whoami' },
    ];
    expect(newEvents(typed, [])).toHaveLength(3);
    const stored = typed.slice(0, 2).map((e) => ({ at: e.at, kind: e.type, text: e.text }));
    expect(newEvents(typed, stored)).toEqual([{ at: at(2), kind: 'command', text: 'whoami' }]);
    expect(newEvents(typed, [...stored, { at: at(2), kind: 'command', text: 'whoami' }])).toEqual([]);
  });
  it('asciicast v2: a header with version and size, then [time, code, data] lines', () => {
    expect(asciicastProblem('{"version": 2, "width": 80, "height": 24}\n[0.5, "o", "ls\\r\\n"]\n')).toBeNull();
    expect(asciicastProblem('{"version": 1, "width": 80, "height": 24}')).toContain('version');
    expect(asciicastProblem('{"version": 2, "width": 80, "height": 24}\n[0.5, "o"]')).toBe(
      'Line 2 of "recording" must be an asciicast event [time, code, data], like [0.5, "o", "ls\\r\\n"].',
    );
  });
});
