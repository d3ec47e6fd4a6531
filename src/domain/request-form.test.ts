import { describe, expect, it } from 'vitest';
import { DEFAULT_JUSTIFICATION, requestableResources } from './flow.js';
import { aFlow, aResource } from './fixtures.test-support.js';
import { formProblems, formRules, planProblems } from './request-form.js';

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

describe('what the form offers for the picked resources (formRules)', () => {
  const hint = 'Start with the ticket, like OPS-1';
  const production = aFlow({ name: 'production', resourceNames: ['prod-db', 'web-1'], requesterUsers: ['U1'] });
  const strict = aFlow({
    name: 'strict',
    resourceNames: ['vault'],
    requesterUsers: ['U1'],
    maxDurationMinutes: 120,
    justification: { ...DEFAULT_JUSTIFICATION, hint },
  });
  const loose = aFlow({
    name: 'loose',
    resourceNames: ['grafana', 'kibana'],
    requesterUsers: ['U1'],
    maxDurationMinutes: 1440,
    justification: { ...DEFAULT_JUSTIFICATION, required: false, hint },
  });
  const requestable = requestableResources(
    [production, strict, loose],
    ['prod-db', 'web-1', 'vault', 'grafana', 'kibana'].map((n) => aResource(n)),
    { userId: 'U1', groupIds: new Set() },
  );
  const pick = (...names: string[]) => requestable.filter((r) => names.includes(r.resource.name));

  it('nothing picked: any flow’s durations, required since some flow asks, and no flow’s hint', () => {
    const rules = formRules(requestable, []);
    expect(rules.durations.at(-1)).toBe(1440);
    expect(rules).toMatchObject({ justificationOptional: false, hints: [] });
  });
  it('one flow: its own rules', () => {
    expect(formRules(requestable, pick('grafana'))).toMatchObject({
      justificationOptional: true,
      hints: [{ text: hint, resources: ['grafana'] }],
    });
    expect(formRules(requestable, pick('grafana')).durations.at(-1)).toBe(1440);
  });
  it('several flows: the strictest combination, each hint once', () => {
    const rules = formRules(requestable, pick('grafana', 'kibana', 'vault', 'prod-db'));
    expect(rules.durations.at(-1)).toBe(120);
    expect(rules.justificationOptional).toBe(false);
    expect(rules.hints).toEqual([{ text: hint, resources: ['grafana', 'kibana', 'vault'] }]);
  });
  it('flows whose own duration lists share nothing: the strictest flow’s', () => {
    const a = aFlow({ name: 'a', resourceNames: ['x'], requesterUsers: ['U1'], durationChoices: [30, 90] });
    const b = aFlow({ name: 'b', resourceNames: ['y'], requesterUsers: ['U1'], durationChoices: [60, 120] });
    const both = requestableResources([a, b], [aResource('x'), aResource('y')], { userId: 'U1', groupIds: new Set() });
    expect(formRules(both, both).durations).toEqual([30, 90]);
  });
});
