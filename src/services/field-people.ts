import type { Flow } from '../domain/flow.js';
import { customFieldKey, type FieldErrors } from '../domain/request-form.js';
import type { StoredField } from '../domain/request-fields.js';
import type { Directory } from './ports.js';

/**
 * A `user` request field names someone of this workspace who could be reached about the access: the
 * form's picker offers bots and deactivated people too, and the API takes any id of the right shape, so
 * the submission asks Slack who each one is (after the checks that need no call).
 */
export async function fieldPeopleProblems(
  directory: Directory,
  plans: readonly { flow: Pick<Flow, 'id'> }[],
  values: readonly (readonly StoredField[])[],
): Promise<FieldErrors> {
  const errors: FieldErrors = {};
  for (const [i, { flow }] of plans.entries()) {
    for (const field of values[i] ?? []) {
      if (field.type !== 'user') continue;
      const person = await directory.person(String(field.value)).catch(() => null);
      if (!person)
        errors[customFieldKey(flow.id, field.name)] = `${field.label}: nobody in this workspace has that id.`;
      else if (person.deleted || person.isBot)
        errors[customFieldKey(flow.id, field.name)] =
          `${field.label}: pick a person, not ${person.isBot ? 'a bot' : 'a deactivated account'}.`;
    }
  }
  return errors;
}
