import { pino, type Logger } from 'pino';
import { scrubLogValue, scrubSecrets } from './log-scrub.js';

/**
 * One root logger. Tokens, secrets and passwords are redacted wherever they appear in a logged object:
 * the paths below by name, and every string at any depth by log-scrub.ts (Slack tokens, credentials in
 * URLs), errors included (serialized without the `input` field that carries what Node failed to parse).
 */
export { scrubSecrets };

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'access-requests' },
      redact: {
        paths: [
          'token',
          '*.token',
          'botToken',
          'appToken',
          'signingSecret',
          'password',
          '*.password',
          'headers.authorization',
          '*.headers.authorization',
          'config.SLACK_BOT_TOKEN',
          'config.SLACK_APP_TOKEN',
          'config.SLACK_SIGNING_SECRET',
          'config.DATABASE_URL',
          'config.PAGERDUTY_API_TOKEN',
          'config.OPSGENIE_API_KEY',
          'headers.Authorization',
          '*.headers.Authorization',
        ],
        censor: '[redacted]',
      },
      formatters: { log: (object) => scrubLogValue(object) as Record<string, unknown> },
      // The message itself (and printf-style arguments) can hold a URL too.
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((a) => (typeof a === 'string' ? scrubSecrets(a) : a)) as Parameters<typeof method>,
          );
        },
      },
    },
    destination,
  );
}

/** Bolt's Logger interface over pino, so the framework's logs go through the same redaction. */
export function boltLogger(logger: Logger) {
  const child = logger.child({ component: 'bolt' });
  const line = (args: unknown[]) => scrubSecrets(args.map((a) => (typeof a === 'string' ? a : safeJson(a))).join(' '));
  return {
    // The Web API client logs whole request bodies and results at debug level: message contents,
    // including the one-time credentials sent to requesters. Those lines are never written. Below the
    // logger's level nothing is built: serializing and scrubbing every request body cost each Slack call.
    debug: (...args: unknown[]) => {
      if (!child.isLevelEnabled('debug')) return;
      const text = line(args);
      if (!/^http request (body|result|headers)/.test(text)) child.debug(text);
    },
    info: (...args: unknown[]) => child.info(line(args)),
    warn: (...args: unknown[]) => child.warn(line(args)),
    error: (...args: unknown[]) => child.error(line(args)),
    setLevel: () => {},
    getLevel: () => child.level as never,
    setName: () => {},
  };
}

function safeJson(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
