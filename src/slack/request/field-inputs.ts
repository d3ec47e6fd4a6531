import type { KnownBlock, PlainTextOption } from '@slack/types';
import type { FormFieldGroup } from '../../domain/request-form.js';
import { FIELD_NAME, textMaxLength, type RequestField } from '../../domain/request-fields.js';
import { RequestIds } from '../ids.js';
import type { StateValues } from '../state.js';
import { plain } from '../views.js';

/**
 * The request form's inputs for the custom fields of the picked resources' flows (domain/request-fields.ts),
 * and reading them back. Each block id carries the flow id and field name, so two flows asking for the same
 * name keep apart, and a redraw keeps what was entered (same block and action ids).
 */

export const fieldBlockId = (flowId: string, name: string) => `${RequestIds.fieldBlockPrefix}${flowId}.${name}`;

const selectOption = (v: string): PlainTextOption => ({ text: plain(v, 75), value: v });

function element(field: RequestField) {
  const action_id = RequestIds.fieldAction;
  switch (field.type) {
    case 'text':
      return {
        type: 'plain_text_input' as const,
        action_id,
        max_length: textMaxLength(field),
        ...(field.minLength ? { min_length: field.minLength } : {}),
      };
    case 'number':
      return {
        type: 'number_input' as const,
        action_id,
        is_decimal_allowed: !field.integer,
        ...(field.min != null ? { min_value: String(field.min) } : {}),
        ...(field.max != null ? { max_value: String(field.max) } : {}),
      };
    case 'select':
      return { type: 'static_select' as const, action_id, options: (field.options ?? []).map(selectOption) };
    case 'date':
      return { type: 'datepicker' as const, action_id };
    case 'user':
      return { type: 'users_select' as const, action_id };
  }
}

/**
 * At most this many field inputs, so the form (about 12 blocks of its own) stays inside a modal's 100 blocks;
 * fields past it are refused by the submission with a sentence at the top (view-errors.ts), never stored unchecked.
 */
export const MAX_FIELD_INPUTS = 60;

/** One input per field; the label names the flow only when more than one flow asks for fields. */
export function fieldInputs(groups: readonly FormFieldGroup[] | undefined): KnownBlock[] {
  const many = (groups?.length ?? 0) > 1;
  const blocks = (groups ?? []).flatMap((group) =>
    group.fields.map((field): KnownBlock => ({
      type: 'input',
      block_id: fieldBlockId(group.flowId, field.name),
      optional: !field.required,
      label: plain(many ? `${group.flowName}: ${field.label}` : field.label, 2000),
      ...(field.hint ? { hint: plain(field.hint, 2000) } : {}),
      element: element(field),
    })),
  );
  return blocks.slice(0, MAX_FIELD_INPUTS);
}

const FLOW_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * What the form sent for custom fields, by flow id then field name (raw: the server checks every value). The
 * block ids come from the submission, so they are forgeable: objects without a prototype, and ids of the shapes
 * the form draws, so `request.field.__proto__.x` can set nothing but an entry nobody asks for.
 */
export function readFieldValues(values: StateValues): Record<string, Record<string, string>> {
  const byFlow: Record<string, Record<string, string>> = Object.create(null) as Record<string, Record<string, string>>;
  for (const [blockId, actions] of Object.entries(values ?? {})) {
    if (!blockId.startsWith(RequestIds.fieldBlockPrefix)) continue;
    const rest = blockId.slice(RequestIds.fieldBlockPrefix.length);
    const dot = rest.lastIndexOf('.');
    if (dot <= 0) continue;
    const entry = actions?.[RequestIds.fieldAction] as Record<string, unknown> | undefined;
    const option = entry?.selected_option as { value?: unknown } | null | undefined;
    const raw = entry?.value ?? option?.value ?? entry?.selected_date ?? entry?.selected_user;
    const flowId = rest.slice(0, dot);
    const name = rest.slice(dot + 1);
    if (typeof raw !== 'string' || !FLOW_ID.test(flowId) || !FIELD_NAME.test(name)) continue;
    (byFlow[flowId] ??= Object.create(null) as Record<string, string>)[name] = raw.slice(0, 3000);
  }
  return byFlow;
}
