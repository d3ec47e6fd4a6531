import { z } from 'zod';
import { patternProblem } from './pattern.js';
import {
  conditionValueProblem,
  FIELD_NAME,
  FIELD_TYPES,
  MAX_FIELDS,
  MAX_OPTION_LENGTH,
  MAX_OPTIONS,
  MAX_TEXT_LENGTH,
  unknownConditionFields,
  type RequestField,
} from './request-fields.js';

/**
 * `fields:` of a flow in ACCESS_CONFIG (domain/request-fields.ts), in the file's snake_case. The App Home
 * flow editor's "Request fields (YAML)" is parsed with the same schema, so a field means the same wherever
 * it was written; a key of another type (options on a text field) is refused rather than ignored.
 */
const TYPE_KEYS: Record<RequestField['type'], string[]> = {
  text: ['pattern', 'min_length', 'max_length'],
  number: ['min', 'max', 'integer'],
  select: ['options'],
  date: [],
  user: [],
};

export const RequestFieldFileSchema = z
  .strictObject({
    name: z.string().regex(FIELD_NAME, 'must be snake_case (a-z, 0-9, _), starting with a letter, up to 32'),
    label: z
      .string()
      .min(1)
      .max(48)
      .regex(/^[^<>&*_~`]+$/, 'use words, digits and spaces (no Slack formatting characters)'),
    type: z.enum(FIELD_TYPES, { message: 'must be text, number, select, date or user' }),
    required: z.boolean().default(false),
    hint: z.string().max(150).optional(),
    pattern: z
      .string()
      .max(200)
      .superRefine((p, ctx) => {
        const problem = patternProblem(p);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    min_length: z.number().int().min(0).max(MAX_TEXT_LENGTH).optional(),
    max_length: z.number().int().min(1).max(MAX_TEXT_LENGTH).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    integer: z.boolean().optional(),
    options: z
      .array(z.string().min(1).max(MAX_OPTION_LENGTH))
      .min(1)
      .max(MAX_OPTIONS)
      .refine((o) => new Set(o).size === o.length, 'must not repeat an option')
      .optional(),
  })
  .superRefine((f, ctx) => {
    for (const [type, keys] of Object.entries(TYPE_KEYS))
      if (type !== f.type)
        for (const key of keys)
          if (key in f && !TYPE_KEYS[f.type].includes(key))
            ctx.addIssue({ code: 'custom', message: `is for ${type} fields, not ${f.type}`, path: [key] });
    if (f.type === 'select' && !f.options)
      ctx.addIssue({ code: 'custom', message: 'a select field needs options', path: ['options'] });
    if (f.min_length !== undefined && f.max_length !== undefined && f.min_length > f.max_length)
      ctx.addIssue({ code: 'custom', message: 'must not be more than max_length', path: ['min_length'] });
    if (f.min !== undefined && f.max !== undefined && f.min > f.max)
      ctx.addIssue({ code: 'custom', message: 'must not be more than max', path: ['min'] });
  });

export const RequestFieldsFileSchema = z
  .array(RequestFieldFileSchema)
  .max(MAX_FIELDS, `at most ${MAX_FIELDS} fields per flow`)
  .superRefine((fields, ctx) => {
    const seen = new Set<string>();
    fields.forEach((f, i) => {
      if (seen.has(f.name)) ctx.addIssue({ code: 'custom', message: `duplicate field "${f.name}"`, path: [i, 'name'] });
      seen.add(f.name);
    });
  });

export type FileRequestField = z.infer<typeof RequestFieldFileSchema>;

export function fieldsFromFile(fields: readonly FileRequestField[] | undefined): RequestField[] {
  return (fields ?? []).map((f) => ({
    name: f.name,
    label: f.label,
    type: f.type,
    required: f.required,
    ...(f.hint ? { hint: f.hint } : {}),
    ...(f.pattern ? { pattern: f.pattern } : {}),
    ...(f.min_length !== undefined ? { minLength: f.min_length } : {}),
    ...(f.max_length !== undefined ? { maxLength: f.max_length } : {}),
    ...(f.min !== undefined ? { min: f.min } : {}),
    ...(f.max !== undefined ? { max: f.max } : {}),
    ...(f.integer ? { integer: true } : {}),
    ...(f.options ? { options: f.options } : {}),
  }));
}

/** Back to the file's words (config export, the App Home editor's text); defaults left out. */
export function fieldsToFile(fields: readonly RequestField[] | undefined): Record<string, unknown>[] {
  return (fields ?? []).map((f) => ({
    name: f.name,
    label: f.label,
    type: f.type,
    ...(f.required ? { required: true } : {}),
    ...(f.hint ? { hint: f.hint } : {}),
    ...(f.pattern ? { pattern: f.pattern } : {}),
    ...(f.minLength !== undefined ? { min_length: f.minLength } : {}),
    ...(f.maxLength !== undefined ? { max_length: f.maxLength } : {}),
    ...(f.min != null ? { min: f.min } : {}),
    ...(f.max != null ? { max: f.max } : {}),
    ...(f.integer ? { integer: true } : {}),
    ...(f.options ? { options: f.options } : {}),
  }));
}

/** An auto-approval rule's `fields:` condition: field name -> the values that qualify. */
export const FieldConditionFileSchema = z
  .record(
    z.string().regex(FIELD_NAME, 'must be a field name (snake_case)'),
    z
      .array(z.union([z.string(), z.number()]).transform(String))
      .min(1)
      .max(MAX_OPTIONS),
  )
  .optional();

/**
 * A rule's condition must name fields the flow asks for (and, for a select, its options): otherwise the
 * rule could never match, which the admin should hear at load time, not find out from a stuck request.
 */
export function checkRuleConditions(
  f: {
    fields?: readonly FileRequestField[] | undefined;
    auto_approve: readonly { fields?: Record<string, string[]> }[];
  },
  ctx: z.RefinementCtx,
  rulesPath: PropertyKey[] = ['auto_approve'],
) {
  const fields = fieldsFromFile(f.fields);
  f.auto_approve.forEach((rule, i) => {
    for (const name of unknownConditionFields(rule.fields, fields))
      ctx.addIssue({
        code: 'custom',
        message: `the flow has no request field "${name}" (add it under fields, or remove the condition)`,
        path: [...rulesPath, i, 'fields', name],
      });
    for (const field of fields) {
      const accepted = rule.fields?.[field.name];
      const problem = accepted ? conditionValueProblem(field, accepted) : null;
      if (problem) ctx.addIssue({ code: 'custom', message: problem, path: [...rulesPath, i, 'fields', field.name] });
    }
  });
}
