import { describe, expect, it } from 'vitest';
import { durationChoices, formatDuration, parseDuration } from './duration.js';

describe('durations', () => {
  it.each([
    ['30m', 30],
    ['8h', 480],
    ['1d', 1440],
    ['1h30m', 90],
    ['2w', 20160],
    [' 4H ', 240],
  ])('parses %s as %i minutes', (text, minutes) => expect(parseDuration(text)).toBe(minutes));

  it.each(['', '0m', '8', 'h', '-1h', '1.5h', '8 hours', '1h30'])('refuses %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );

  it.each([
    [15, '15m'],
    [90, '1h 30m'],
    [480, '8h'],
    [1500, '1d 1h'],
  ])('formats %i minutes as %s', (minutes, text) => expect(formatDuration(minutes)).toBe(text));

  it('offers only choices up to the maximum, and the maximum itself', () => {
    expect(durationChoices(480)).toEqual([15, 30, 60, 120, 240, 480]);
    expect(durationChoices(90)).toEqual([15, 30, 60, 90]);
    expect(durationChoices(10)).toEqual([10]);
  });
});
