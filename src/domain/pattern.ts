import { RE2JS, RE2JSSyntaxException } from 're2js';

/**
 * Patterns written by admins (a flow's justification pattern) run on text a requester types. JavaScript's
 * RegExp backtracks: `^([A-Za-z0-9]+\s?)+$` against thirty characters froze the event loop for a minute
 * (issue 23). RE2 (re2js, a pure-JS port) matches in time linear in the text, and refuses what it cannot
 * do that way: backreferences and lookaround. Those are refused when a pattern is saved, with the reason.
 */
export type CompiledPattern =
  /** find: true when the pattern occurs anywhere in the text (RegExp#test semantics). */
  | { ok: true; find(text: string): boolean }
  /** problem: why RE2 refuses it, as a clause ("backreferences such as \1 are not supported (…)"). */
  | { ok: false; problem: string };

const LINEAR = '(patterns run in linear time)';

export function compilePattern(source: string): CompiledPattern {
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (e) {
    return { ok: false, problem: refusal(e) };
  }
  // find(), not matches(): a RegExp without anchors matches anywhere in the text, and so must this.
  return { ok: true, find: (text) => re.matcher(text).find() };
}

/** Null when the pattern can be used; otherwise why not, as a clause to put after the field's name. */
export function patternProblem(source: string): string | null {
  const compiled = compilePattern(source);
  return compiled.ok ? null : compiled.problem;
}

function refusal(e: unknown): string {
  if (!(e instanceof RE2JSSyntaxException)) return `it cannot be compiled ${LINEAR}`;
  // re2js reports where parsing stopped: `\1`, `\k` (a backreference) or `(?=`, `(?<!a)b` (lookaround).
  const at = e.input ?? '';
  if (/^\\[1-9kg]/.test(at)) return `backreferences such as \\1 are not supported ${LINEAR}`;
  if (/^\(\?(=|!|<=|<!)/.test(at)) return `lookahead and lookbehind such as (?=…) are not supported ${LINEAR}`;
  return `it is not valid RE2 syntax: ${e.error}${at ? ` at \`${at.slice(0, 40)}\`` : ''}`;
}
