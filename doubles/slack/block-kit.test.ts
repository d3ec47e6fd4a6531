import { describe, expect, it } from 'vitest';
import { findBroadcasts, mentionsBroadcast, validateSurface } from './block-kit.js';

const section = (text: string, extra: Record<string, unknown> = {}) => ({
  type: 'section',
  text: { type: 'mrkdwn', text },
  ...extra,
});
const modal = (blocks: unknown[], extra: Record<string, unknown> = {}) => ({
  type: 'modal',
  title: { type: 'plain_text', text: 'Request access' },
  submit: { type: 'plain_text', text: 'Send' },
  blocks,
  ...extra,
});
const input = (block_id: string, element: Record<string, unknown>) => ({
  type: 'input',
  block_id,
  label: { type: 'plain_text', text: 'Label' },
  element,
});
const opt = (value: string, text = value) => ({ text: { type: 'plain_text', text }, value });

describe('validateSurface', () => {
  it('accepts a typical message and modal', () => {
    expect(
      validateSurface('message', {
        blocks: [
          section('hi'),
          { type: 'divider' },
          {
            type: 'actions',
            elements: [
              {
                type: 'button',
                action_id: 'approve',
                text: { type: 'plain_text', text: 'Approve' },
                style: 'primary',
                value: 'r1',
              },
            ],
          },
        ],
      }),
    ).toEqual([]);
    expect(
      validateSurface('modal', {
        view: modal([
          input('role', {
            type: 'static_select',
            action_id: 'v',
            options: [opt('a'), opt('b')],
            initial_option: opt('b'),
          }),
        ]),
      }),
    ).toEqual([]);
  });

  it('rejects more than 50 blocks in a message but allows 100 in a modal', () => {
    const blocks = Array.from({ length: 51 }, (_, i) => section(`s${i}`));
    expect(validateSurface('message', { blocks })).toContain(
      '[ERROR] no more than 50 items allowed [json-pointer:/blocks]',
    );
    expect(validateSurface('modal', { view: modal(blocks) })).toEqual([]);
    expect(validateSurface('modal', { view: modal([...blocks, ...blocks]) })).toContain(
      '[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]',
    );
  });

  it('rejects a modal title longer than 24 characters', () => {
    const errors = validateSurface('modal', {
      view: modal([], { title: { type: 'plain_text', text: 'x'.repeat(25) } }),
    });
    expect(errors).toEqual(['[ERROR] must be less than 25 characters [json-pointer:/view/title/text]']);
  });

  it('rejects a modal with an input block but no submit (node-slack-sdk PR #875 message)', () => {
    const errors = validateSurface('modal', {
      view: modal([section('x'), input('b', { type: 'plain_text_input', action_id: 'a' })], { submit: undefined }),
    });
    expect(errors).toEqual(['[ERROR] must define `submit` to use input block [json-pointer:/view/blocks/1/input]']);
  });

  it('rejects option values over 150 characters', () => {
    const errors = validateSurface('modal', {
      view: modal([input('b', { type: 'static_select', action_id: 'a', options: [opt('v'.repeat(151), 'long')] })]),
    });
    expect(errors).toEqual([
      '[ERROR] must be less than 151 characters [json-pointer:/view/blocks/0/element/options/0/value]',
    ]);
  });

  it('rejects duplicate block_ids', () => {
    const errors = validateSurface('message', {
      blocks: [section('a', { block_id: 'x' }), section('b', { block_id: 'x' })],
    });
    expect(errors).toEqual(['[ERROR] duplicate block_id: x [json-pointer:/blocks/1/block_id]']);
  });

  it('rejects section text over 3000, unknown block types, bad styles and input blocks in messages', () => {
    const errors = validateSurface('message', {
      blocks: [
        section('y'.repeat(3001)),
        { type: 'sectoin' },
        { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Go' }, style: 'warning' }] },
        input('i', { type: 'plain_text_input' }),
      ],
    });
    expect(errors).toEqual([
      '[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]',
      '[ERROR] failed to match all allowed schemas (unknown block type "sectoin") [json-pointer:/blocks/1]',
      '[ERROR] must be one of the provided values: primary, danger [json-pointer:/blocks/2/elements/0/style]',
      '[ERROR] unsupported block type in messages: input [json-pointer:/blocks/3/type]',
    ]);
  });

  it('checks initial_option membership, checkbox counts and home views', () => {
    const many = Array.from({ length: 11 }, (_, i) => opt(`o${i}`));
    const errors = validateSurface('modal', {
      view: modal([
        input('a', { type: 'static_select', options: [opt('x')], initial_option: opt('y') }),
        input('b', { type: 'checkboxes', options: many }),
      ]),
    });
    expect(errors).toEqual([
      '[ERROR] initial_option must exactly match one of the provided options [json-pointer:/view/blocks/0/element/initial_option]',
      '[ERROR] no more than 10 items allowed [json-pointer:/view/blocks/1/element/options]',
    ]);
    expect(
      validateSurface('home', { view: { type: 'home', blocks: [], submit: { type: 'plain_text', text: 'x' } } }),
    ).toEqual(['[ERROR] home view cannot have submit [json-pointer:/view/submit]']);
  });
});

describe('broadcast mentions', () => {
  it('detects <!channel>, <!here>, <!everyone> but not plain text', () => {
    expect(mentionsBroadcast('hey <!here> look')).toBe(true);
    expect(mentionsBroadcast('<!channel|@channel>')).toBe(true);
    expect(mentionsBroadcast('<!EVERYONE>')).toBe(true);
    expect(mentionsBroadcast('@here &lt;!here&gt; <@U123>')).toBe(false);
    expect(
      findBroadcasts({
        text: 'ok',
        blocks: [section('<!here>'), { type: 'header', text: { type: 'plain_text', text: '<!here>' } }],
      }),
    ).toEqual(['<!here>']);
  });
});
