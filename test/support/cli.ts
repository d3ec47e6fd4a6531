import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `access-requests` as a person runs it: its own process (`node --import tsx src/cli/access-requests.ts`, or
 * the package's bin), its own HOME and XDG_CONFIG_HOME (a temp folder per test: the token file, SSH
 * certificates), the environment cleared of the developer's own ACCESS_REQUESTS_* settings.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  /** What it wrote so far. */
  stdout(): string;
  stderr(): string;
  /** Sends a signal (Ctrl-C is SIGINT). */
  kill(signal: NodeJS.Signals): void;
  done: Promise<CliRun>;
}

export interface CliHome {
  dir: string;
  env: Record<string, string>;
  remove(): void;
}

/** A fresh HOME for one test: nothing saved, nothing inherited. */
export function cliHome(): CliHome {
  const dir = mkdtempSync(join(tmpdir(), 'access-cli-'));
  return {
    dir,
    env: { HOME: dir, XDG_CONFIG_HOME: join(dir, '.config') },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function startCli(
  args: string[],
  options: { env: Record<string, string>; stdin?: string; entry?: 'source' | 'bin' },
): CliProcess {
  const entry =
    options.entry === 'bin' ? ['bin/access-requests.mjs'] : ['--import', 'tsx', 'src/cli/access-requests.ts'];
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('ACCESS_REQUESTS_') && k !== 'XDG_CONFIG_HOME'),
  );
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: ROOT,
    env: { ...inherited, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  if (options.stdin !== undefined) child.stdin.end(options.stdin);
  else child.stdin.end();
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { stdout: () => stdout, stderr: () => stderr, kill: (s) => child.kill(s), done };
}

/** Runs it to the end. */
export const runCli = (args: string[], options: Parameters<typeof startCli>[1]) => startCli(args, options).done;
