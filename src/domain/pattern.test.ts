import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { justificationProblem } from './flow.js';
import { compilePattern, patternProblem } from './pattern.js';

const finds = (pattern: string, text: string) => {
  const compiled = compilePattern(pattern);
  if (!compiled.ok) throw new Error(compiled.problem);
  return compiled.find(text);
};

describe('admin-written patterns', () => {
  it.each([
    ['^[A-Z]+-\\d+', 'OPS-12 fix it', true],
    ['^[A-Z]+-\\d+', 'fix OPS-12', false],
    ['[A-Z]+-\\d+', 'fix OPS-12', true],
    ['\\bINC-\\d+\\b', 'see INC-7.', true],
    ['(?i)hotfix', 'A HotFix for prod', true],
    ['^\\w+$', 'two words', false],
  ])('%s finds a match anywhere in %j as RegExp#test does: %s', (pattern, text, expected) => {
    expect(finds(pattern, text)).toBe(expected);
    expect(new RegExp(pattern.replace('(?i)', ''), pattern.startsWith('(?i)') ? 'i' : '').test(text)).toBe(expected);
  });

  it('a pattern that backtracks catastrophically in RegExp answers at once on a 10 000-character input', async () => {
    // With RegExp this input never finishes (27 characters took 16 s); RE2 walks it once. Run in a process of
    // its own: a stalled event loop here would stall the test runner with it, a hang instead of a failure.
    const script = `
      import { compilePattern } from './src/domain/pattern.ts';
      const p = compilePattern(${JSON.stringify('^([A-Za-z0-9]+\\s?)+$')});
      console.log(JSON.stringify(p.ok && [p.find('a'.repeat(10_000) + '!'), p.find('a '.repeat(5_000) + 'b')]));`;
    const answer = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', script],
      { cwd: fileURLToPath(new URL('../..', import.meta.url)), timeout: 60_000 },
    ).then(
      ({ stdout }) => JSON.parse(stdout) as unknown,
      (e: { killed?: boolean }) => (e.killed ? 'no answer within 60 s' : e),
    );
    expect(answer).toEqual([false, true]);
    // A hang guard, not a budget: RE2 answers in milliseconds, a busy machine's tsx start takes seconds.
  });

  it.each([
    ['(a)\\1', 'backreferences such as \\1 are not supported (patterns run in linear time)'],
    ['(?<t>x)\\k<t>', 'backreferences such as \\1 are not supported (patterns run in linear time)'],
    ['OPS-(?=\\d)', 'lookahead and lookbehind such as (?=…) are not supported (patterns run in linear time)'],
    ['(?<!X)OPS', 'lookahead and lookbehind such as (?=…) are not supported (patterns run in linear time)'],
    ['[A-Z', 'it is not valid RE2 syntax: missing closing ] at `[A-Z`'],
  ])('%s is refused with the reason', (pattern, reason) => {
    expect(patternProblem(pattern)).toBe(reason);
  });

  it('a stored pattern RE2 refuses fails closed with a sentence, never a crash', () => {
    const rule = { required: true, minLength: 0, pattern: '(a)\\1', hint: 'Say aa' };
    expect(justificationProblem(rule, 'aa')).toBe(
      "This flow's justification pattern cannot be checked: backreferences such as \\1 are not supported (patterns run in linear time). Ask a bot admin to fix the flow.",
    );
  });
});
