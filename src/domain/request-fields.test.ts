import { describe, expect, it } from 'vitest';
import { matchAutoApproval } from './auto-approve.js';
import type { AutoApproveRule } from './flow.js';
import {
  checkFieldValues,
  fieldConditionHolds,
  formatIsoDate,
  isIsoDate,
  type RequestField,
} from './request-fields.js';

const fields: RequestField[] = [
  { name: 'severity', label: 'Severity', type: 'select', required: true, options: ['sev1', 'sev2'] },
  { name: 'incident', label: 'Incident', type: 'text', required: true, pattern: '^INC-\\d+$', hint: 'Like INC-42' },
  { name: 'people', label: 'People', type: 'number', required: false, integer: true, min: 1, max: 5 },
  { name: 'until_day', label: 'Until', type: 'date', required: false },
  { name: 'lead', label: 'Lead', type: 'user', required: false },
];

describe('checkFieldValues', () => {
  it.each([
    [{}, { severity: 'Fill in Severity.', incident: 'Fill in Incident.' }],
    [{ severity: 'sev9', incident: 'INC-1' }, { severity: 'Pick one of: sev1, sev2.' }],
    [{ severity: 'sev1', incident: 'inc 1' }, { incident: 'Like INC-42' }],
    [{ severity: 'sev1', incident: 'INC-1', people: '2.5' }, { people: 'People must be a whole number.' }],
    [{ severity: 'sev1', incident: 'INC-1', people: 9 }, { people: 'People must be at most 5.' }],
    [{ severity: 'sev1', incident: 'INC-1', people: 'x' }, { people: 'People must be a number.' }],
    [{ severity: 'sev1', incident: 'INC-1', until_day: '2026-02-30' }, { until_day: 'Pick a date (yyyy-mm-dd).' }],
    [{ severity: 'sev1', incident: 'INC-1', lead: 'bob' }, { lead: 'Pick a person (a Slack user id like U012ABC).' }],
    [{ severity: 'sev1', incident: 'INC-1', people: ['1'] }, { people: 'People must be a number.' }],
  ])('%j is refused field by field', (raw, errors) => {
    expect(checkFieldValues(fields, raw).errors).toEqual(errors);
  });

  it('good values come back in the flow’s order, trimmed and typed; empty optional ones are left out', () => {
    const { values, errors } = checkFieldValues(fields, {
      incident: ' INC-7 ',
      severity: 'sev2',
      people: '3',
      lead: '',
    });
    expect(errors).toEqual({});
    expect(values).toEqual([
      { name: 'severity', label: 'Severity', type: 'select', value: 'sev2' },
      { name: 'incident', label: 'Incident', type: 'text', value: 'INC-7' },
      { name: 'people', label: 'People', type: 'number', value: 3 },
    ]);
  });
});

it('a field named like an Object.prototype member reads only what was sent', () => {
  const odd: RequestField[] = [{ name: 'constructor', label: 'Builder', type: 'text', required: false }];
  expect(checkFieldValues(odd, {})).toEqual({ values: [], errors: {} });
});

describe('dates', () => {
  it('reads only real calendar days, and says them as "6 Dec 2026"', () => {
    expect(isIsoDate('2026-12-06')).toBe(true);
    expect(isIsoDate('2026-13-01')).toBe(false);
    expect(formatIsoDate('2026-12-06')).toBe('6 Dec 2026');
  });
});

describe('auto-approval field conditions', () => {
  const rule: AutoApproveRule = {
    name: 'sev1',
    resourceNames: [],
    resourceTags: [],
    maxDurationMinutes: 60,
    weekdays: [1, 2, 3, 4, 5, 6, 7],
    from: '00:00',
    to: '24:00',
    timeZone: 'UTC',
    fields: { severity: ['sev1'], people: ['1', '2'] },
  };
  const request = (fields: Record<string, string | number>) => ({
    resources: [{ name: 'status-page', tags: [] }],
    durationMinutes: 30,
    fields,
  });
  const now = new Date('2026-12-06T10:00:00Z');

  it('covers a request only when every named field has one of the listed values (numbers as written)', () => {
    expect(matchAutoApproval([rule], request({ severity: 'sev1', people: 2 }), now)?.name).toBe('sev1');
    expect(matchAutoApproval([rule], request({ severity: 'sev2', people: 2 }), now)).toBeNull();
    expect(matchAutoApproval([rule], request({ severity: 'sev1' }), now)).toBeNull();
  });

  it('a rule without a condition holds whatever the fields say', () => {
    expect(fieldConditionHolds(undefined, {})).toBe(true);
  });
});
