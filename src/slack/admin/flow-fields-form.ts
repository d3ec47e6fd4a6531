import type { KnownBlock } from '@slack/types';
import { parse as parseYaml, stringify } from 'yaml';
import { describeIssuePath } from '../../domain/access-file.js';
import type { AutoApproveRule } from '../../domain/flow.js';
import { fieldsFromFile, fieldsToFile, RequestFieldsFileSchema } from '../../domain/request-fields-file.js';
import { conditionValueProblem, unknownConditionFields, type RequestField } from '../../domain/request-fields.js';
import { FIELD, FlowForm } from '../ids.js';
import { textValue, type StateValues } from '../state.js';
import { plain } from '../views.js';
import { inputBlock } from './flow-inputs.js';

/**
 * Custom request fields in the App Home flow editor (domain/request-fields.ts): the `fields:` list of
 * ACCESS_CONFIG as YAML, like stages and auto-approval rules, so a field means the same wherever it was
 * written and a problem is said under the field with its path ("fields[1].options: …").
 */
export const fieldsText = (fields: readonly RequestField[] | undefined) =>
  fields?.length ? stringify(fieldsToFile(fields), { lineWidth: 0 }) : '';

export function fieldsBlocks(fields: readonly RequestField[] | undefined): KnownBlock[] {
  const text = fieldsText(fields);
  return [
    inputBlock(
      FlowForm.fields,
      'Request fields (YAML)',
      {
        type: 'plain_text_input',
        multiline: true,
        max_length: 3000,
        ...(text ? { initial_value: text } : {}),
        placeholder: plain('- { name: severity, label: Severity, type: select, options: [sev1, sev2] }', 150),
      },
      {
        optional: true,
        hint: 'What requesters fill in besides the justification (up to 8): each "- name: …" with label, type (text, number, select, date, user), required, hint; text: pattern, min_length, max_length; number: min, max, integer; select: options. Auto-approval rules may say fields: { severity: [sev1] }.',
      },
    ),
  ];
}

/** The fields text as fields, or the first problem with its path. */
export function readFields(text: string): { fields: RequestField[] } | { error: string } {
  if (!text.trim()) return { fields: [] };
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (e) {
    return { error: `Not valid YAML: ${(e as Error).message.split('\n')[0]}` };
  }
  if (parsed === null || parsed === undefined) return { fields: [] };
  if (!Array.isArray(parsed)) return { error: 'Write a list of fields, each starting with "- name: …".' };
  const result = RequestFieldsFileSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    return { error: `fields${describeIssuePath(issue.path).replace(/^(?=[^[])/, '.')}: ${issue.message}` };
  }
  return { fields: fieldsFromFile(result.data) };
}

/** The fields field of the editor's state (see readFields). */
export const readFieldsForm = (v: StateValues) => readFields(textValue(v, FlowForm.fields, FIELD));

/** A rule condition naming a field the flow lacks (or an option its select lacks), said with its path; null: none. */
export function conditionProblem(rules: readonly AutoApproveRule[], fields: readonly RequestField[]): string | null {
  for (const [i, rule] of rules.entries()) {
    const unknown = unknownConditionFields(rule.fields, fields)[0];
    if (unknown) return `auto_approve[${i}].fields.${unknown}: the flow has no request field "${unknown}"`;
    for (const field of fields) {
      const accepted = rule.fields?.[field.name];
      const problem = accepted ? conditionValueProblem(field, accepted) : null;
      if (problem) return `auto_approve[${i}].fields.${field.name}: ${problem}`;
    }
  }
  return null;
}
