import type { Flow } from '../../domain/flow.js';
import type { KnownBlock, PlainTextOption } from '@slack/types';
import { FIELD, FlowForm } from '../ids.js';
import { option, plain } from '../views.js';

const input = (
  block: string,
  label: string,
  element: Record<string, unknown>,
  opts: { optional?: boolean; hint?: string } = {},
): KnownBlock =>
  ({
    type: 'input',
    block_id: block,
    label: plain(label, 2000),
    optional: opts.optional ?? false,
    ...(opts.hint ? { hint: plain(opts.hint, 2000) } : {}),
    element: { action_id: FIELD, ...element },
  }) as KnownBlock;
const initialOptions = (options: PlainTextOption[]) => (options.length > 0 ? { initial_options: options } : {});

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
