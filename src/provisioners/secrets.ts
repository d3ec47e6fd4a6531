import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';

/**
 * Secrets in provisioner settings are references, never values, and only to secrets the operator
 * declared: `env:ACCESS_SECRET_NAME` reads that environment variable, `file:/path` reads a file inside
 * ACCESS_SECRETS_DIR (a mounted secrets folder). An admin in Slack can pick among them, never reach the
 * bot's own credentials (SLACK_*, DATABASE_URL, OIDC_CLIENT_SECRET… carry no such prefix and are never
 * handed to the store) nor any other file. They are resolved at the moment of use and the value is
 * never stored, logged or audited.
 */
export const SECRET_ENV_PREFIX = 'ACCESS_SECRET_';
export const SECRET_REF = /^(env:ACCESS_SECRET_[A-Za-z0-9_]+|file:\/[^\s]+)$/;
/** How a reference is written, for the sentences that ask for one. */
export const SECRET_REF_FORMS = 'env:ACCESS_SECRET_NAME, or file:/path inside ACCESS_SECRETS_DIR';

/** A setting value that is written as a reference (well-formed or not): `env:…` or `file:…`. */
const LOOKS_LIKE_REF = /^(env|file):/;
export const looksLikeSecretRef = (value: unknown): value is string =>
  typeof value === 'string' && LOOKS_LIKE_REF.test(value);

export function isSecretRef(value: unknown): value is string {
  return typeof value === 'string' && SECRET_REF.test(value);
}

export class SecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretError';
  }
}

export interface SecretSource {
  /** The process environment (or a test's): only ACCESS_SECRET_* entries are kept. */
  env: Record<string, string | undefined>;
  /** ACCESS_SECRETS_DIR: the only folder `file:` references may read. */
  dir?: string | undefined;
  /** The bot's own credentials: a declared secret holding one of them is refused (an operator's slip). */
  ownCredentials?: readonly (string | undefined)[];
}

export interface Secrets {
  /** Why `ref` cannot be used now (not declared, outside the folder, missing…), or null. */
  problem(ref: string): string | null;
  /** The value behind a reference; throws a SecretError with a sentence that names no value. */
  resolve(ref: string): string;
  /** Every reference-looking setting value resolved (one level deep); the rest as given. */
  resolveSettings(settings: Record<string, unknown>): Record<string, unknown>;
  /** The references an admin may choose from: declared variables and the folder's files. */
  declared(): string[];
}

/** Only the operator-declared variables: the rest of the environment never reaches a provisioner. */
export function declaredSecretEnv(env: Record<string, string | undefined>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (k.startsWith(SECRET_ENV_PREFIX) && v) kept[k] = v;
  return kept;
}

export function createSecrets(source: SecretSource): Secrets {
  // Read at each use, not copied: an operator's rotation of a declared variable (tests, a reloaded env) is seen.
  const declaredValue = (name: string) => (name.startsWith(SECRET_ENV_PREFIX) ? source.env[name] : undefined);
  const own = new Set((source.ownCredentials ?? []).filter((v): v is string => Boolean(v)));
  const dir = source.dir ? resolve(source.dir) : undefined;

  /** The real path of a `file:` reference, or a sentence: symlinks and `..` may not leave the folder. */
  function fileOf(ref: string): { path: string } | { problem: string } {
    if (!dir)
      return { problem: `${ref} cannot be read: file: references need ACCESS_SECRETS_DIR, the secrets folder.` };
    let real: string;
    let root: string;
    try {
      root = realpathSync(dir);
      real = realpathSync(ref.slice('file:'.length));
    } catch {
      return { problem: `${ref} does not exist.` };
    }
    const rel = relative(root, real);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel))
      return { problem: `${ref} is outside ACCESS_SECRETS_DIR (${dir}); only files in that folder can be used.` };
    return { path: real };
  }

  function read(ref: string): string | { problem: string } {
    if (!isSecretRef(ref)) return { problem: `${ref} is not a secret reference (${SECRET_REF_FORMS}).` };
    let value: string | undefined;
    if (ref.startsWith('env:')) {
      value = declaredValue(ref.slice(4));
      if (!value)
        return { problem: `${ref} is not declared: the operator sets ${ref.slice(4)} in the bot's environment.` };
    } else {
      const file = fileOf(ref);
      if ('problem' in file) return file;
      try {
        value = readFileSync(file.path, 'utf8').trim();
      } catch {
        return { problem: `${ref} cannot be read.` };
      }
    }
    if (own.has(value))
      return { problem: `${ref} holds one of the bot's own credentials, which provisioners never use.` };
    return value;
  }

  const secrets: Secrets = {
    problem(ref) {
      const r = read(ref);
      return typeof r === 'string' ? null : r.problem;
    },
    resolve(ref) {
      const r = read(ref);
      if (typeof r === 'string') return r;
      throw new SecretError(r.problem);
    },
    resolveSettings(settings) {
      return Object.fromEntries(
        Object.entries(settings).map(([k, v]) => [k, looksLikeSecretRef(v) ? secrets.resolve(v) : v]),
      );
    },
    declared() {
      const names = Object.keys(declaredSecretEnv(source.env)).map((k) => `env:${k}`);
      return [...names.sort(), ...filesIn(dir).filter((ref) => 'path' in fileOf(ref))];
    },
  };
  return secrets;
}

/** The secrets folder's files as references (top level; Kubernetes mounts add dot-folders, skipped). */
function filesIn(dir: string | undefined): string[] {
  if (!dir) return [];
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => !e.name.startsWith('.') && (e.isFile() || e.isSymbolicLink()))
      .map((e) => `file:${join(dir, e.name)}`)
      .sort();
  } catch {
    return [];
  }
}

/** Every reference-looking value of a settings object (a typo such as `env:SLACK_TOKEN` included). */
export function secretRefsIn(settings: Record<string, unknown>): string[] {
  return Object.values(settings).filter(looksLikeSecretRef);
}
