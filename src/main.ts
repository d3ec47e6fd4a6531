import { readFileSync } from 'node:fs';
import { createAccessApp, StartupError } from './app.js';
import { ConfigError, parseConfig } from './config.js';
import { createLogger } from './logger.js';
import { AccessFileError } from './services/catalog-service.js';

/** Start-up: every expected failure ends in one sentence on stderr and exit code 1. */
async function main() {
  const config = parseConfig(process.env);
  const logger = createLogger(config.LOG_LEVEL);
  let accessFileText: string | undefined;
  if (config.ACCESS_CONFIG) {
    try {
      accessFileText = readFileSync(config.ACCESS_CONFIG, 'utf8');
    } catch (e) {
      throw new AccessFileError(`ACCESS_CONFIG: cannot read ${config.ACCESS_CONFIG} (${(e as NodeJS.ErrnoException).code ?? 'error'}).`);
    }
  }
  const app = await createAccessApp({ config, logger, secretEnv: process.env, ...(accessFileText !== undefined ? { accessFileText } : {}) });
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await app.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  try {
    await app.start();
  } catch (error) {
    await app.stop().catch(() => undefined);
    throw error;
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof AccessFileError || error instanceof StartupError) {
    process.stderr.write(`Cannot start: ${error.message}\n`);
  } else {
    process.stderr.write(`Cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
    if (error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  }
  process.exit(1);
});
