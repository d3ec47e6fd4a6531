import { readFileSync } from 'node:fs';
import { createAccessApp, StartupError } from './app.js';
import { ConfigError, parseConfig, wantsSandbox } from './config.js';
import { createLogger } from './logger.js';
import { AccessFileError } from './services/catalog-service.js';
import { SandboxRefused } from './sandbox/sandbox-guards.js';
import { EmbeddedDatabaseError } from './db/embedded-postgres-host.js';
import { declaredSecretEnv } from './provisioners/secrets.js';

function readAccessFile(path: string | undefined): string | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new AccessFileError(`ACCESS_CONFIG: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
}

function onSignals(stop: () => Promise<void>, log: (signal: string) => void) {
  const shutdown = async (signal: string) => {
    log(signal);
    await stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

/** Start-up: every expected failure ends in one sentence on stderr and exit code 1. */
async function main() {
  if (wantsSandbox(process.env, process.argv.slice(2))) return sandbox();
  const config = parseConfig(process.env);
  const logger = createLogger(config.LOG_LEVEL);
  const accessFileText = readAccessFile(config.ACCESS_CONFIG);
  const app = await createAccessApp({
    config,
    logger,
    // Only the operator's declared provisioner secrets (ACCESS_SECRET_*), never the bot's own credentials.
    secretEnv: declaredSecretEnv(process.env),
    ...(accessFileText !== undefined ? { accessFileText } : {}),
  });
  onSignals(
    () => app.stop(),
    (signal) => logger.info({ signal }, 'shutting down'),
  );
  try {
    await app.start();
  } catch (error) {
    await app.stop().catch(() => undefined);
    throw error;
  }
}

/** No Slack credentials (or `--sandbox`): the bot against a simulated workspace, driven from a web page. */
async function sandbox() {
  // Imported here, not at the top: the simulated workspace, OIDC provider (jose) and cloud doubles are
  // megabytes a production start never needs.
  const { startSandbox } = await import('./sandbox/sandbox.js');
  const accessFileText = readAccessFile(process.env.ACCESS_CONFIG || undefined);
  const running = await startSandbox({ env: process.env, ...(accessFileText !== undefined ? { accessFileText } : {}) });
  onSignals(
    () => running.stop(),
    () => undefined,
  );
  const why = process.argv.includes('--sandbox') ? 'started with --sandbox' : 'no Slack credentials given';
  // Plain lines next to the JSON logs: the one thing a person starting it for the first time needs.
  process.stdout.write(
    `\nSandbox (${why}): the bot runs against a simulated Slack workspace.\nOpen ${running.url}\n` +
      'Set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to run the real bot.\n\n',
  );
}

main().catch((error: unknown) => {
  if (
    error instanceof ConfigError ||
    error instanceof AccessFileError ||
    error instanceof StartupError ||
    error instanceof SandboxRefused ||
    error instanceof EmbeddedDatabaseError
  ) {
    process.stderr.write(`Cannot start: ${error.message}\n`);
  } else {
    process.stderr.write(`Cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
    if (error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  }
  process.exit(1);
});
