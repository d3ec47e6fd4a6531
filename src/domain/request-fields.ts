import { compilePattern } from './pattern.js';

/**
 * Custom typed request fields of a flow (issue 26 part 4, ADR 0009): what a requester fills in besides the
 * justification, validated by the server whatever the form or API sent, stored with the request as a
 * snapshot (label and value), shown to approvers and usable as auto-approval conditions. Pure.
 */

export const FIELD_TYPES = ['text', 'number', 'select', 'date', 'user'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export const MAX_FIELDS = 8;
export const MAX_TEXT_LENGTH = 500;
export const MAX_OPTIONS = 20;
export const MAX_OPTION_LENGTH = 75;
export const FIELD_NAME = /^[a-z][a-z0-9_]{0,31}$/;

/** One field of a flow; the keys after `hint` apply to their type only (the config schema refuses the others). */
export interface RequestField {
  /** snake_case id, unique in the flow: the API's key and the auto-approval condition's. */
  name: string;
  label: string;
  type: FieldType;
  required: boolean;
  hint?: string | null;
  /** text: an RE2 pattern (domain/pattern.ts) the value must contain a match of, and its length. */
  pattern?: string | null;
  minLength?: number;
  maxLength?: number;
  /** number: the range, and whether only whole numbers. */
  min?: number | null;
  max?: number | null;
  integer?: boolean;
  /** select: the choices, in the order shown. */
  options?: string[];
}

export type FieldValue = string | number;
export type FieldValues = Record<string, FieldValue>;

/** A value as stored with the request: the field's label and type at request time, so history stays readable. */
export interface StoredField {
  name: string;
  label: string;
  type: FieldType;
  value: FieldValue;
}

/** The longest a text field may be: its own maximum, capped at what Slack's input allows here. */
export const textMaxLength = (f: RequestField) => Math.min(f.maxLength ?? MAX_TEXT_LENGTH, MAX_TEXT_LENGTH);

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;

/** A real calendar day written yyyy-mm-dd (2026-02-30 is not one). */
export function isIsoDate(text: string): boolean {
  const m = ISO_DATE.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === text;
}

const empty = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** One field's value checked: the value to store, or the sentence to show under the field. */
export function fieldValueProblem(
  field: RequestField,
  raw: unknown,
): { ok: true; value: FieldValue | null } | { ok: false; problem: string } {
  if (empty(raw)) return field.required ? { ok: false, problem: `Fill in ${field.label}.` } : { ok: true, value: null };
  const bad = (problem: string) => ({ ok: false as const, problem });
  if (field.type === 'number') {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : NaN;
    if (!Number.isFinite(n)) return bad(`${field.label} must be a number.`);
    if (field.integer && !Number.isInteger(n)) return bad(`${field.label} must be a whole number.`);
    if (field.min != null && n < field.min) return bad(`${field.label} must be at least ${field.min}.`);
    if (field.max != null && n > field.max) return bad(`${field.label} must be at most ${field.max}.`);
    return { ok: true, value: n };
  }
  if (typeof raw !== 'string') return bad(`${field.label} must be text.`);
  const text = raw.trim();
  switch (field.type) {
    case 'text': {
      if (text.length < (field.minLength ?? 0)) return bad(`Write at least ${field.minLength} characters.`);
      if (text.length > textMaxLength(field)) return bad(`Keep it under ${textMaxLength(field)} characters.`);
      if (field.pattern) {
        const pattern = compilePattern(field.pattern);
        if (!pattern.ok) return bad(`This field's pattern cannot be checked: ${pattern.problem}. Ask a bot admin.`);
        if (!pattern.find(text)) return bad(field.hint ?? `It must match ${field.pattern}.`);
      }
      return { ok: true, value: text };
    }
    case 'select':
      return field.options?.includes(text)
        ? { ok: true, value: text }
        : bad(`Pick one of: ${(field.options ?? []).join(', ')}.`);
    case 'date':
      return isIsoDate(text) ? { ok: true, value: text } : bad('Pick a date (yyyy-mm-dd).');
    case 'user':
      return SLACK_USER.test(text) ? { ok: true, value: text } : bad('Pick a person (a Slack user id like U012ABC).');
  }
}

/**
 * Every field of a flow checked against what was sent (name -> raw value; anything else sent is not this
 * function's to judge): the values to store, in the flow's order, and a sentence per bad field by name.
 */
export function checkFieldValues(
  fields: readonly RequestField[],
  raw: Readonly<Record<string, unknown>>,
): { values: StoredField[]; errors: Record<string, string> } {
  const values: StoredField[] = [];
  const errors: Record<string, string> = {};
  for (const field of fields) {
    // Own keys only: a field named `constructor` must not read Object.prototype's.
    const checked = fieldValueProblem(field, Object.hasOwn(raw, field.name) ? raw[field.name] : undefined);
    if (!checked.ok) errors[field.name] = checked.problem;
    else if (checked.value !== null)
      values.push({ name: field.name, label: field.label, type: field.type, value: checked.value });
  }
  return { values, errors };
}

/** Stored values as the API and auto-approval read them: name -> value. */
export const fieldValuesOf = (stored: readonly StoredField[] | undefined): FieldValues =>
  Object.fromEntries((stored ?? []).map((f) => [f.name, f.value]));

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "2026-12-06" -> "6 Dec 2026" (a calendar day, the same in every time zone). */
export function formatIsoDate(text: string): string {
  const m = ISO_DATE.exec(text);
  return m ? `${Number(m[3])} ${MONTHS[Number(m[2]) - 1]} ${m[1]}` : text;
}

/** A value for reading, in plain text: a date as "6 Dec 2026", a person as their id (renderers make it a mention). */
export const fieldText = (f: Pick<StoredField, 'type' | 'value'>) =>
  f.type === 'date' ? formatIsoDate(String(f.value)) : String(f.value);

/**
 * Does a rule's condition (field name -> accepted values) hold for these values? Every named field must
 * have a value, and its text (numbers compared as written, 2 matches "2") must be one of the listed.
 */
export function fieldConditionHolds(
  condition: Readonly<Record<string, readonly string[]>> | undefined,
  values: FieldValues,
): boolean {
  if (!condition) return true;
  return Object.entries(condition).every(([name, accepted]) => {
    const v = values[name];
    return v !== undefined && accepted.includes(String(v));
  });
}

/** The condition's names the flow does not ask for (a rule naming one could never match). */
export const unknownConditionFields = (
  condition: Readonly<Record<string, readonly string[]>> | undefined,
  fields: readonly Pick<RequestField, 'name'>[] | undefined,
) => Object.keys(condition ?? {}).filter((n) => !(fields ?? []).some((f) => f.name === n));

/** A condition's value a select field cannot take (so the rule could never match on it), as a sentence. */
export function conditionValueProblem(field: RequestField, accepted: readonly string[]): string | null {
  if (field.type !== 'select') return null;
  const bad = accepted.filter((v) => !field.options?.includes(v));
  return bad.length
    ? `${bad.join(', ')} ${bad.length === 1 ? 'is not an option' : 'are not options'} of ${field.name}`
    : null;
}
