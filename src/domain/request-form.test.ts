import { describe, expect, it } from 'vitest';
import { DEFAULT_JUSTIFICATION } from './flow.js';
import { formProblems, planProblems } from './request-form.js';

const now = new Date('2026-12-03T10:00:00Z');
const picked = { resource: { name: 'prod-db' } } as never;

describe('the request form, checked on the server', () => {
  it('names each bad field', () => {
    expect(
      formProblems({
        names: [],
        selection: [],
        justification: 'x'.repeat(2001),
        durationMinutes: null,
        startsAt: null,
        now,
      }),
    ).toEqual({
      resources: 'Pick at least one resource.',
      justification: 'Keep it under 2000 characters.',
      duration: 'Pick how long you need access.',
    });
    expect(
      formProblems({
        names: ['prod-db', 'nope'],
        selection: [picked, undefined],
        justification: 'ok',
        durationMinutes: 60,
        startsAt: null,
        now,
      }),
    ).toEqual({
      resources: 'You cannot request “nope”.',
    });
  });
  it('holds each flow to its durations and justification rule', () => {
    const flow = {
      maxDurationMinutes: 120,
      durationChoices: [],
      justification: { ...DEFAULT_JUSTIFICATION, pattern: '^OPS-' },
    };
    expect(planProblems([{ flow, resources: [{ name: 'prod-db' }] }], 240, 'because')).toEqual({
      duration: 'prod-db can be requested for at most 2h.',
      justification: 'It must match ^OPS-.',
    });
    expect(planProblems([{ flow, resources: [{ name: 'prod-db' }] }], 60, 'OPS-1')).toEqual({});
  });
});
