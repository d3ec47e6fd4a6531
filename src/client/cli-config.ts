import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';

/**
 * Where the CLI (and `access-requests mcp`) keeps the bot's URL and the person's token:
 * `$XDG_CONFIG_HOME/access-requests/config.json`, else `~/.config/access-requests/config.json`. The file holds
 * a secret, so it is written 0600 in a 0700 folder, atomically (a second file renamed over the first, so a
 * crash never leaves half a token). `ACCESS_REQUESTS_URL` and `ACCESS_REQUESTS_TOKEN` override it (CI jobs,
 * containers: nothing written to disk).
 */
export interface CliConfig {
  url: string;
  token: string;
}

const CliConfigSchema = z
  .object({ url: z.string().min(1), token: z.string().min(1) })
  .partial()
  .passthrough();

export class CliConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliConfigError';
  }
}

type Env = Record<string, string | undefined>;

export function cliConfigPath(env: Env = process.env): string {
  const base = env.XDG_CONFIG_HOME?.startsWith('/') ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), '.config');
  return join(base, 'access-requests', 'config.json');
}

/** What the file says, as it is (nothing when there is no file); a file that is not ours is a sentence. */
export function readCliConfigFile(env: Env = process.env): Partial<CliConfig> {
  const path = cliConfigPath(env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return {};
    throw new CliConfigError(`Could not read ${path} (${(error as { code?: string }).code ?? 'unknown error'}).`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliConfigError(`${path} is not JSON: log in again (access-requests login) or delete it.`);
  }
  const result = CliConfigSchema.safeParse(parsed);
  if (!result.success) throw new CliConfigError(`${path} is not an access-requests config: log in again or delete it.`);
  return {
    ...(result.data.url ? { url: result.data.url } : {}),
    ...(result.data.token ? { token: result.data.token } : {}),
  };
}

/** The file with the environment's overrides on top; either part may be missing. */
export function readCliConfig(env: Env = process.env): Partial<CliConfig> & { fromEnv: Array<'url' | 'token'> } {
  const file = readCliConfigFile(env);
  const fromEnv: Array<'url' | 'token'> = [];
  const url = env.ACCESS_REQUESTS_URL?.trim() || file.url;
  if (env.ACCESS_REQUESTS_URL?.trim()) fromEnv.push('url');
  const token = env.ACCESS_REQUESTS_TOKEN?.trim() || file.token;
  if (env.ACCESS_REQUESTS_TOKEN?.trim()) fromEnv.push('token');
  return { ...(url ? { url } : {}), ...(token ? { token } : {}), fromEnv };
}

/** The URL and token to call the bot with, or a sentence saying how to get them. */
export function loadCliConfig(env: Env = process.env): CliConfig {
  const config = readCliConfig(env);
  if (!config.url && !config.token)
    throw new CliConfigError(
      'Not logged in: run `access-requests login --url https://your-access-bot` (or set ACCESS_REQUESTS_URL and ACCESS_REQUESTS_TOKEN).',
    );
  if (!config.url)
    throw new CliConfigError(
      "The access bot's URL is not known: run `access-requests login --url https://your-access-bot` or set ACCESS_REQUESTS_URL.",
    );
  if (!config.token)
    throw new CliConfigError(
      `Not logged in to ${config.url}: run \`access-requests login\` (or set ACCESS_REQUESTS_TOKEN).`,
    );
  return { url: config.url, token: config.token };
}

/** Saves the URL and token (0600 file, 0700 folder), replacing the file in one rename. */
export function writeCliConfig(config: CliConfig, env: Env = process.env): string {
  const path = cliConfigPath(env);
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // The folder is ours: tighten it even if something made it wider before.
  chmodSync(dir, 0o700);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ url: config.url, token: config.token }, null, 2)}\n`, {
    mode: 0o600,
    flag: 'w',
  });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
  return path;
}

/** Forgets the token (the URL stays, for the next login). Returns whether there was one. */
export function forgetCliToken(env: Env = process.env): boolean {
  const file = readCliConfigFile(env);
  if (!file.token) return false;
  const path = cliConfigPath(env);
  if (file.url) {
    const dir = dirname(path);
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify({ url: file.url }, null, 2)}\n`, { mode: 0o600 });
    chmodSync(dir, 0o700);
    renameSync(temporary, path);
  } else rmSync(path, { force: true });
  return true;
}
