import type { Flow } from '../../domain/flow.js';
import { FlowForm } from '../ids.js';
import { option } from '../views.js';
import { initialOptions, inputBlock } from './flow-inputs.js';

const input = inputBlock;

/** Identity linking and step-up (docs/identity.md): who must have linked, how recent an approver's sign-in must be. */
export function identityInputs(f: Flow | undefined) {
  const idOptions = [
    option('Requesters must link their company identity', 'require_link'),
    option('Step-up sign-in must use MFA', 'require_mfa'),
  ];
  const on = idOptions.filter((o) => (o.value === 'require_link' ? f?.identity?.requireLink : f?.identity?.requireMfa));
  return [
    input(
      FlowForm.identity,
      'Company identity (OpenID Connect)',
      { type: 'checkboxes', options: idOptions, ...initialOptions(on) },
      { optional: true },
    ),
    input(
      FlowForm.stepUpMinutes,
      'Approvers sign in within (minutes)',
      {
        type: 'number_input',
        is_decimal_allowed: false,
        min_value: '1',
        max_value: '1440',
        ...(f?.identity?.stepUpMinutes ? { initial_value: String(f.identity.stepUpMinutes) } : {}),
      },
      {
        optional: true,
        hint: 'Step-up: approvers (and break-glass users) must have signed in with the identity provider this recently. Empty: no step-up.',
      },
    ),
  ];
}
