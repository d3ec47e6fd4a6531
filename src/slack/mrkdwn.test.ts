import { describe, expect, it } from 'vitest';
import { fallbackText, slackDate } from './mrkdwn.js';

describe('fallbackText', () => {
  it('keeps the colons of what it quotes and drops only whole-word emoji shortcodes', () => {
    expect(fallbackText(':x: Access to `db` could not be set up: refused by http://127.0.0.1:43539: no role.')).toBe(
      'Access to db could not be set up: refused by http://127.0.0.1:43539: no role.',
    );
    expect(fallbackText('*Done* :white_check_mark: at 10:30')).toBe('Done at 10:30');
  });

  it('shows dates in their fallback form', () => {
    expect(fallbackText(`until ${slackDate(new Date('2030-01-02T03:04:00Z'))}`)).toBe('until 2030-01-02 03:04 UTC');
  });
});
