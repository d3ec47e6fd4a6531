import { pino } from 'pino';
import { RE2JS } from 're2js';

/**
 * What logger.ts strips from every log line, whatever key or depth it sits at: Slack tokens, and the
 * credentials of any `scheme://user:password@host` (a database admin URL whose password held a `/` was
 * logged whole by the `input` field of Node's "Invalid URL" error, issue 23). Errors lose `input` too:
 * Node's URL and fetch errors put the whole string they could not parse there.
 */
const TOKEN = /\bx(?:ox[abposr]|app)-[A-Za-z0-9-]+/g;
/** The bot's own API keys and personal tokens (`ark_key_…`, `ark_pat_…`): the id stays, the secret goes. */
const ARK_TOKEN = /\b(ark_(?:key|pat)_[0-9a-z]{10})_[A-Za-z0-9_-]+/g;
// Up to the last `@` of the URL, so a password holding `/`, `?`, `#`, `:` or `@` is covered whole. RE2
// (linear time): with backtracking, a logged string of many `x://` took seconds.
const URL_CREDENTIALS = RE2JS.compile('\\b([a-z][a-z0-9+.-]{0,31}://)[^\\s"\'<>]*@', RE2JS.CASE_INSENSITIVE);

export const scrubSecrets = (text: string) => {
  const tokensOut = text.replace(TOKEN, '[redacted-token]').replace(ARK_TOKEN, '$1_[redacted]');
  return tokensOut.includes('://') ? URL_CREDENTIALS.matcher(tokensOut).replaceAll('$1[redacted]@') : tokensOut;
};

const MAX_DEPTH = 10;

/** A copy of a logged value with every string scrubbed and errors serialized without `input`. */
export function scrubLogValue(value: unknown, depth = 0, ancestors = new Set<object>()): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (ancestors.has(value)) return '[Circular]';
  ancestors.add(value);
  try {
    return scrubObject(value, depth, ancestors);
  } finally {
    ancestors.delete(value);
  }
}

function scrubObject(value: object, depth: number, ancestors: Set<object>): unknown {
  // pino's serialized error is a plain copy of the error's own fields (plus type, message, stack, cause).
  if (value instanceof Error)
    return scrubLogValue(withoutInput({ ...pino.stdSerializers.err(value) }), depth + 1, ancestors);
  if (Array.isArray(value)) return value.map((v) => scrubLogValue(v, depth + 1, ancestors));
  const proto = Object.getPrototypeOf(value) as unknown;
  // Dates, Buffers, Maps and class instances are left to pino as they are.
  if (proto !== Object.prototype && proto !== null) return value;
  const entries = Object.entries(isErrorLike(value) ? withoutInput(value) : value);
  return Object.fromEntries(entries.map(([k, v]) => [k, scrubLogValue(v, depth + 1, ancestors)]));
}

const isErrorLike = (v: object) => typeof (v as { message?: unknown }).message === 'string' && 'stack' in v;

function withoutInput(e: object): object {
  const { input: _dropped, ...rest } = e as Record<string, unknown>;
  return rest;
}
