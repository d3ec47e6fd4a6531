import { readFileSync } from 'node:fs';
import { StartupError } from './app.js';
import { ConfigError } from './config.js';
import { EmbeddedDatabaseError } from './db/embedded-postgres-host.js';
import { AccessFileError } from './services/catalog-service.js';

/** What a start-up shares with the sandbox's (sandbox/start.ts): reading ACCESS_CONFIG, signals, failing in one sentence. */

export function readAccessFile(path: string | undefined): string | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new AccessFileError(`ACCESS_CONFIG: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
}

export function onSignals(stop: () => Promise<void>, log: (signal: string) => void) {
  const shutdown = async (signal: string) => {
    log(signal);
    await stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

/**
 * SIGHUP reloads ACCESS_CONFIG (as nginx, Prometheus and HAProxy do): `kill -HUP <pid>`. Without a handler
 * SIGHUP would end the process, so one is installed even when there is no file to reload.
 */
export function onReloadSignal(reload: () => Promise<unknown>, log: (message: string) => void) {
  process.on('SIGHUP', () => {
    log('SIGHUP');
    void reload();
  });
}

type ErrorClass = abstract new (...args: never[]) => Error;
const EXPECTED: ErrorClass[] = [ConfigError, AccessFileError, StartupError, EmbeddedDatabaseError];

/** Every expected failure ends in one sentence on stderr and exit code 1; an unexpected one adds its stack. */
export function failStart(error: unknown, alsoExpected: readonly ErrorClass[] = []): never {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`Cannot start: ${message}\n`);
  const expected = [...EXPECTED, ...alsoExpected].some((kind) => error instanceof kind);
  if (!expected && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  process.exit(1);
}
