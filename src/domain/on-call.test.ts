import { describe, expect, it } from 'vitest';
import { onCallOn, peopleAtLevel, refsFromFile, refsToFile, type OnCallAnswer, type OnCallRef } from './on-call.js';

const pd: OnCallRef = { service: 'pagerduty', schedule: 'P123ABC' };
const og: OnCallRef = { service: 'opsgenie', schedule: 'ops-primary' };
const answer = (...people: { email: string; level?: number; next?: boolean }[]): OnCallAnswer => ({
  ok: true,
  people: people.map((p) => ({
    email: p.email,
    level: p.level ?? 1,
    scheduleName: 'Primary',
    ...(p.next ? { next: true } : {}),
  })),
});

describe('is the requester on call?', () => {
  it('matches the e-mail whatever its case, at any escalation level, naming the first reference that has them', () => {
    expect(
      onCallOn(
        [og, pd],
        [answer({ email: 'ana@example.com' }), answer({ email: 'Rita@Example.com', level: 2 })],
        'rita@example.com',
      ),
    ).toEqual({
      onCall: { ref: pd, scheduleName: 'Primary' },
      unavailable: [],
    });
  });

  it('someone who only takes over next is not on call now', () => {
    expect(
      onCallOn(
        [og],
        [answer({ email: 'ana@example.com' }, { email: 'rita@example.com', level: 2, next: true })],
        'rita@example.com',
      ).onCall,
    ).toBeNull();
  });

  it('a requester without an e-mail is never on call', () => {
    expect(onCallOn([pd], [answer({ email: 'rita@example.com' })], null).onCall).toBeNull();
  });

  it('lists each service that could not answer once, with its reason', () => {
    const down: OnCallAnswer = { ok: false, reason: 'the service answered 503' };
    const pd2: OnCallRef = { service: 'pagerduty', escalationPolicy: 'PXYZ123' };
    expect(onCallOn([pd, pd2, og], [down, down, answer()], 'rita@example.com')).toEqual({
      onCall: null,
      unavailable: [{ service: 'pagerduty', reason: 'the service answered 503' }],
    });
  });
});

describe('on-call levels', () => {
  it('collects the e-mails at one level across answers, lower-cased and without repeats, skipping failed answers', () => {
    const answers = [
      answer({ email: 'Ana@example.com' }, { email: 'mia@example.com', level: 2 }),
      answer({ email: 'ana@example.com' }),
      { ok: false as const, reason: 'x' },
    ];
    expect(peopleAtLevel(answers, 1)).toEqual(['ana@example.com']);
    expect(peopleAtLevel(answers, 2)).toEqual(['mia@example.com']);
  });
});

describe('the file’s on_call block', () => {
  it('becomes references and back, empty parts left out', () => {
    const file = {
      pagerduty: { schedules: ['P123ABC'], escalation_policies: ['PXYZ123'] },
      opsgenie: { schedules: ['ops-primary'] },
    };
    const refs = refsFromFile(file);
    expect(refs).toEqual([pd, { service: 'pagerduty', escalationPolicy: 'PXYZ123' }, og]);
    expect(refsToFile(refs)).toEqual(file);
    expect(refsToFile([og])).toEqual({ opsgenie: { schedules: ['ops-primary'] } });
    expect(refsToFile([])).toBeUndefined();
  });
});
