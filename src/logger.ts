import { pino, type Logger } from 'pino';

/**
 * One root logger. Tokens, secrets and passwords are redacted wherever they appear in a logged object,
 * and the serializer below scrubs token-looking strings from error messages too.
 */
const TOKEN = /\bx(?:ox[abposr]|app)-[A-Za-z0-9-]+/g;

export const scrubSecrets = (text: string) => text.replace(TOKEN, '[redacted-token]');

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
      serializers: {
        err: (e: unknown) => {
          const s = pino.stdSerializers.err(e as Error);
          return { ...s, message: scrubSecrets(String(s.message ?? '')), stack: scrubSecrets(String(s.stack ?? '')) };
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
    // including the one-time credentials sent to requesters. Those lines are never written.
    debug: (...args: unknown[]) => {
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
