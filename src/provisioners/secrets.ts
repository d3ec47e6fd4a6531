import { readFileSync } from 'node:fs';

/**
 * Secrets in provisioner settings are references, never values: `env:NAME` reads an environment
 * variable, `file:/path` reads a file (a mounted secret). They are resolved at the moment of use and
 * the resolved value is never stored, logged or audited.
 */
export const SECRET_REF = /^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/[^\s]+)$/;

export function isSecretRef(value: unknown): value is string {
  return typeof value === 'string' && SECRET_REF.test(value);
}

export function resolveSecret(ref: string, env: Record<string, string | undefined>): string {
  if (ref.startsWith('env:')) {
    const value = env[ref.slice(4)];
    if (!value) throw new Error(`secret reference ${ref} is not set`);
    return value;
  }
  if (ref.startsWith('file:')) return readFileSync(ref.slice(5), 'utf8').trim();
  throw new Error('not a secret reference');
}

/** Resolves every secret-reference value in a settings object (one level deep). */
export function resolveSettings(
  settings: Record<string, unknown>,
  env: Record<string, string | undefined>,
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, isSecretRef(v) ? resolveSecret(v, env) : v]));
}
