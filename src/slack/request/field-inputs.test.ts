import { describe, expect, it } from 'vitest';
import { fieldInputs, MAX_FIELD_INPUTS, readFieldValues } from './field-inputs.js';

describe('readFieldValues', () => {
  it('reads each element’s value by flow and field name', () => {
    const values = readFieldValues({
      'request.field.flw_a.severity': { 'request.field.value': { selected_option: { value: 'sev1' } } },
      'request.field.flw_a.until_day': { 'request.field.value': { selected_date: '2026-12-24' } },
      'request.field.flw_b.lead': { 'request.field.value': { selected_user: 'U0DBA1' } },
      'request.field.flw_b.people': { 'request.field.value': { value: '3' } },
      'request.justification': { 'request.justification.input': { value: 'why' } },
    });
    expect(JSON.parse(JSON.stringify(values))).toEqual({
      flw_a: { severity: 'sev1', until_day: '2026-12-24' },
      flw_b: { lead: 'U0DBA1', people: '3' },
    });
  });

  it('a forged block id cannot touch Object.prototype', () => {
    const values = readFieldValues({
      'request.field.__proto__.polluted': { 'request.field.value': { value: 'yes' } },
      'request.field.flw_a.__proto__': { 'request.field.value': { value: 'yes' } },
      'request.field.flw_a.constructor': { 'request.field.value': { value: 'yes' } },
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(values.flw_a ?? {})).toEqual(['constructor']);
  });
});

describe('fieldInputs', () => {
  it('stays inside a modal’s 100 blocks however many fields the picked flows ask for', () => {
    const fields = Array.from({ length: 8 }, (_, i) => ({
      name: `f${i}`,
      label: `F${i}`,
      type: 'text' as const,
      required: false,
    }));
    const groups = Array.from({ length: 10 }, (_, i) => ({ flowId: `flw_${i}`, flowName: `flow ${i}`, fields }));
    expect(fieldInputs(groups)).toHaveLength(MAX_FIELD_INPUTS);
  });
});
