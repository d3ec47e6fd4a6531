import { createAccessApp } from './app.js';
import { ConfigError, noSlackCredentials, parseConfig } from './config.js';
import { createLogger } from './logger.js';
import { declaredSecretEnv } from './provisioners/secrets.js';
import { failStart, onReloadSignal, onSignals, readAccessFile } from './startup.js';

/**
 * The bot, as the production image runs it (`node dist/main.js`). This build holds no sandbox and no
 * double of an outside service: without Slack credentials it refuses, in one sentence, to start. The
 * sandbox is the try-it app of a clone (`npm start` there runs sandbox/start.ts, which comes here when
 * credentials are set).
 */
async function main() {
  if (process.argv.includes('--sandbox') || noSlackCredentials(process.env)) {
    throw new ConfigError(
      'SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are not set (or --sandbox was given): set them to run the bot. ' +
        'This build has no sandbox; to try the bot without Slack, run `npm start` in a clone of the repository.',
    );
  }
  const config = parseConfig(process.env);
  const logger = createLogger(config.LOG_LEVEL);
  const accessFileText = readAccessFile(config.ACCESS_CONFIG);
  const app = await createAccessApp({
    config,
    logger,
    // Only the operator's declared provisioner secrets (ACCESS_SECRET_*), never the bot's own credentials.
    secretEnv: declaredSecretEnv(process.env),
    ...(accessFileText !== undefined ? { accessFileText, accessFilePath: config.ACCESS_CONFIG } : {}),
  });
  onSignals(
    () => app.stop(),
    (signal) => logger.info({ signal }, 'shutting down'),
  );
  onReloadSignal(
    async () =>
      (await app.reloadAccessFile('sighup')) ?? logger.warn('SIGHUP: ACCESS_CONFIG is not set, nothing to reload'),
    (signal) => logger.info({ signal }, 'reloading ACCESS_CONFIG'),
  );
  try {
    await app.start();
  } catch (error) {
    await app.stop().catch(() => undefined);
    throw error;
  }
}

main().catch((error: unknown) => failStart(error));
