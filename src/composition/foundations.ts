import type { Config } from '../config.js';
import { openDatabase, type Database } from '../db/client.js';
import type { Logger } from 'pino';
import { createSecrets } from '../provisioners/secrets.js';

/**
 * The secrets provisioners may use: only what the operator declared (ACCESS_SECRET_*, ACCESS_SECRETS_DIR),
 * never one of the bot's own credentials, even when an operator declares it again under another name.
 */
export function operatorSecrets(config: Config, secretEnv: Record<string, string | undefined>) {
  return createSecrets({
    env: secretEnv,
    dir: config.ACCESS_SECRETS_DIR,
    ownCredentials: [
      config.SLACK_BOT_TOKEN,
      config.SLACK_SIGNING_SECRET,
      config.SLACK_APP_TOKEN,
      config.DATABASE_URL,
      config.OIDC_CLIENT_SECRET,
      config.METRICS_TOKEN,
      config.AUDIT_WEBHOOK_SECRET,
      config.JIRA_API_TOKEN,
      config.PAGERDUTY_API_TOKEN,
      config.OPSGENIE_API_KEY,
    ],
  });
}

/**
 * DATABASE_URL's server, or the embedded one under DATA_DIR. Said before and after: creating the embedded
 * database is most of a first start (seconds), and a person watching `npm start` should see what it waits for.
 */
export async function openLoggedDatabase(config: Config, logger: Logger): Promise<Database> {
  logger.info(
    config.DATABASE_URL ? { database: 'postgres' } : { database: 'embedded', dataDir: config.DATA_DIR },
    'opening the database',
  );
  const opening = performance.now();
  const database = await openDatabase(
    config.DATABASE_URL ? { url: config.DATABASE_URL } : { dataDir: config.DATA_DIR },
    { onEmbeddedExit: (lastLines) => logger.error({ lastLines }, 'the embedded PostgreSQL server stopped') },
  );
  logger.info({ database: database.kind, ms: Math.round(performance.now() - opening) }, 'database open');
  return database;
}
