import fc from 'fast-check';
import {
  FIELD,
  FlowForm,
  RequestIds,
  ResourceForm,
  ReviewIds,
  tuningAction,
  tuningBlock,
} from '../../src/slack/ids.js';
import type { StateValues } from '../../src/slack/state.js';

/** fast-check generators of what a forged Slack payload can carry, shared by the fuzz tests. */
// Block and action ids the bot reads, plus junk: structured state mostly hits real fields.
export const BLOCKS = [
  ...Object.values(RequestIds),
  ...Object.values(ReviewIds),
  ...Object.values(FlowForm),
  ...Object.values(ResourceForm),
  tuningBlock('web-1', 'login'),
  tuningBlock('prod-db', 'access'),
  tuningBlock('prod-db', 'databases'),
  tuningBlock('k8s', 'role'),
  tuningBlock('k8s', 'namespaces'),
];
export const ACTIONS = [
  ...Object.values(RequestIds),
  ...Object.values(ReviewIds),
  FIELD,
  tuningAction('text'),
  tuningAction('choice'),
  'admin.pick.resources',
  'admin.pick.tags',
  'admin.pick.groups',
];
export const junkString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.constantFrom(
    '',
    ' ',
    '480',
    '-1',
    '1e9',
    '99999999',
    'NaN',
    '__proto__',
    'constructor',
    '<!channel>',
    'req_abcdef12',
  ),
);
const option = fc.oneof(fc.record({ value: junkString, text: fc.anything() }, { requiredKeys: [] }), fc.anything());
const entry = fc.oneof(
  fc.record(
    {
      type: fc.constantFrom(
        'plain_text_input',
        'static_select',
        'multi_static_select',
        'checkboxes',
        'radio_buttons',
        'multi_users_select',
        'conversations_select',
        'datetimepicker',
      ),
      value: fc.oneof(junkString, fc.anything()),
      selected_option: option,
      selected_options: fc.oneof(fc.array(option, { maxLength: 30 }), fc.anything()),
      selected_users: fc.oneof(fc.array(junkString, { maxLength: 10 }), fc.anything()),
      selected_conversation: fc.oneof(junkString, fc.anything()),
      selected_date_time: fc.anything(),
    },
    { requiredKeys: [] },
  ),
  fc.anything(),
);
export const stateValues: fc.Arbitrary<StateValues> = fc.oneof(
  fc.dictionary(
    fc.oneof(fc.constantFrom(...BLOCKS), fc.string()),
    fc.dictionary(fc.oneof(fc.constantFrom(...ACTIONS), fc.string()), entry, { maxKeys: 3 }),
    { maxKeys: 12 },
  ),
  fc.anything() as fc.Arbitrary<StateValues>,
);
