import { z } from 'zod';

/**
 * Everything the bot reads from the environment, parsed once. Nothing else reads process.env.
 * A bad value stops start-up with one sentence naming the variable (see formatConfigError).
 */
const SlackUserId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be Slack user ids like U012ABCDEF');
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const ConfigSchema = z
  .object({
    SLACK_BOT_TOKEN: z.string().regex(/^xoxb-/, 'must be a bot token starting with xoxb-'),
    SLACK_SIGNING_SECRET: z.string().min(8, 'must be the signing secret from the app settings'),
    SLACK_APP_TOKEN: z
      .string()
      .regex(/^xapp-/, 'must be an app-level token starting with xapp-')
      .optional(),
    SLACK_API_URL: z.url({ protocol: /^https?$/ }).optional(),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection URL')
      .optional(),
    DATA_DIR: z.string().min(1).default('./.data'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default('0.0.0.0'),
    /** Where people reach the bot's web pages (signed audit links); default http://localhost:PORT. */
    PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
    ACCESS_ADMINS: z
      .string()
      .default('')
      .transform((s) =>
        s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      )
      .pipe(z.array(SlackUserId)),
    /** A Slack user group (S…) whose members are admins too, e.g. the platform team's group. */
    ACCESS_ADMIN_GROUP: z
      .string()
      .regex(/^S[A-Z0-9]{2,}$/, 'must be a Slack user group id like S012ABCDEF')
      .optional(),
    /** `true`: Slack workspace admins and owners are the bot's admins too. Off unless the operator says so. */
    ACCESS_WORKSPACE_ADMINS: z
      .enum(['true', 'false'], 'must be true or false')
      .default('false')
      .transform((v) => v === 'true'),
    /** The folder of mounted secret files that `file:` references in provisioner settings may read. */
    ACCESS_SECRETS_DIR: z.string().startsWith('/', 'must be an absolute path, e.g. /run/secrets/access').optional(),
    ACCESS_CONFIG: z.string().min(1).optional(),
    /** `false`: a changed ACCESS_CONFIG is applied only on SIGHUP, not as soon as the file changes. */
    ACCESS_CONFIG_WATCH: z
      .enum(['true', 'false'], 'must be true or false')
      .default('true')
      .transform((v) => v === 'true'),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
    /** How often the expiry worker looks for grants that ran out. */
    EXPIRY_INTERVAL_SECONDS: z.coerce.number().positive().max(3600).default(15),
    /**
     * How long an outbox item a worker took stays its own: a replica that dies mid-delivery leaves its
     * items to the others once this runs out. Longer than the slowest delivery, or a slow one is sent twice.
     */
    OUTBOX_LEASE_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
    /**
     * How often each outbox lane looks for items nobody woke it for: queued by another replica, or held
     * until a time that has come. Items this process queues go out at once.
     */
    OUTBOX_POLL_SECONDS: z.coerce.number().positive().max(3600).default(2),
    /**
     * Pace of message updates and Home publishes after a decision: Slack's Tier 3 (chat.update, ~50/min)
     * and Tier 4 (views.publish, ~100/min). A decision for a group of 200 approvers spreads over minutes
     * instead of drawing 429s. Raise them only for a workspace Slack allows more.
     */
    SLACK_UPDATES_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(50),
    SLACK_HOME_PUBLISHES_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(100),
    /** How often the lifecycle job sends reminders, escalates, times out pending requests, warns before ends, starts scheduled grants. */
    LIFECYCLE_INTERVAL_SECONDS: z.coerce.number().positive().max(3600).default(60),
    /** Optional SIEM stream of every audit event (Standard Webhooks signature with AUDIT_WEBHOOK_SECRET, `whsec_…`). */
    AUDIT_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
    AUDIT_WEBHOOK_SECRET: z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/=]+$/, 'must be a Standard Webhooks secret like whsec_…')
      .optional(),
    /** How often the audit chain head is written to the log (proof against truncation). */
    AUDIT_HEAD_LOG_SECONDS: z.coerce.number().positive().max(86400).default(600),
    /** How often provisioned access is compared with the targets (and fixed where they disagree). */
    RECONCILE_INTERVAL_SECONDS: z.coerce.number().positive().max(86400).default(300),
    /** How often the postgres provisioner's roles are sampled in pg_stat_activity for session logs. */
    SESSION_SAMPLE_SECONDS: z.coerce.number().positive().max(60).default(2),
    /** When set, GET /metrics asks for `Authorization: Bearer <METRICS_TOKEN>`; unset, it is open. */
    METRICS_TOKEN: z
      .string()
      .min(16, 'must be at least 16 characters (a random token, e.g. openssl rand -hex 32)')
      .optional(),
    /** On-call aware flows (docs/on-call.md): a read-only PagerDuty REST API key; unset, flows naming PagerDuty are refused. */
    PAGERDUTY_API_TOKEN: z.string().min(8, 'must be a PagerDuty REST API key (read-only is enough)').optional(),
    PAGERDUTY_API_URL: z.url({ protocol: /^https?$/ }).default('https://api.pagerduty.com'),
    /** An Opsgenie API integration key with Read access; unset, flows naming Opsgenie are refused. */
    OPSGENIE_API_KEY: z.string().min(8, 'must be an Opsgenie API integration key (Read access is enough)').optional(),
    /** https://api.eu.opsgenie.com for EU accounts. */
    OPSGENIE_API_URL: z.url({ protocol: /^https?$/ }).default('https://api.opsgenie.com'),
    /** How long an on-call answer is reused (per schedule and minute): a request and its re-renders ask once. */
    ON_CALL_CACHE_SECONDS: z.coerce.number().int().min(0).max(600).default(60),
    /** Jira Cloud for ticket-checked justifications (docs/jira.md): the site, and an account's e-mail + API token. */
    JIRA_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
    JIRA_EMAIL: z.email('must be the e-mail of the Jira account the API token belongs to').optional(),
    JIRA_API_TOKEN: z.string().min(1).optional(),
    /** OpenID Connect identity linking and step-up (docs/identity.md); the redirect URI is ${PUBLIC_URL}/oidc/callback. */
    OIDC_ISSUER: z
      .url({ protocol: /^https?$/ })
      .refine(
        (u) => u.startsWith('https://') || /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])[:/]/.test(u),
        'must be an https:// issuer URL (http:// only on localhost)',
      )
      .optional(),
    OIDC_CLIENT_ID: z.string().min(1).optional(),
    /** Absent: a public client (PKCE only). */
    OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    OIDC_SCOPES: z
      .string()
      .regex(/(^| )openid( |$)/, 'must include openid')
      .default('openid email'),
    /**
     * The public client (no secret) the operator registered at the same provider for the CLI's device login
     * (RFC 8628; docs/identity.md). Set: `access-requests login` signs people in there and the bot trades
     * the ID token for a personal token. Needs OIDC_ISSUER and OIDC_CLIENT_ID.
     */
    OIDC_CLI_CLIENT_ID: z.string().min(1).optional(),
  })
  .superRefine((c, ctx) => {
    const oidc = [c.OIDC_ISSUER, c.OIDC_CLIENT_ID].filter(Boolean).length;
    if (oidc === 1 || (oidc === 0 && c.OIDC_CLIENT_SECRET))
      ctx.addIssue({
        code: 'custom',
        path: [c.OIDC_ISSUER ? 'OIDC_CLIENT_ID' : 'OIDC_ISSUER'],
        message: 'needs OIDC_ISSUER and OIDC_CLIENT_ID together (OIDC_CLIENT_SECRET optional; docs/identity.md)',
      });
    if (c.OIDC_CLI_CLIENT_ID && oidc < 2)
      ctx.addIssue({
        code: 'custom',
        path: ['OIDC_CLI_CLIENT_ID'],
        message: 'needs OIDC_ISSUER and OIDC_CLIENT_ID: the CLI signs in at the provider the bot links people with',
      });
    if (c.OIDC_CLI_CLIENT_ID && c.OIDC_CLI_CLIENT_ID === c.OIDC_CLIENT_ID)
      ctx.addIssue({
        code: 'custom',
        path: ['OIDC_CLI_CLIENT_ID'],
        message:
          "must be a client of its own (public, device grant), not the bot's OIDC_CLIENT_ID: ID tokens for the bot must not buy personal tokens",
      });
    const jira = [c.JIRA_BASE_URL, c.JIRA_EMAIL, c.JIRA_API_TOKEN].filter(Boolean).length;
    if (jira > 0 && jira < 3)
      ctx.addIssue({
        code: 'custom',
        path: ['JIRA_API_TOKEN'],
        message: 'needs JIRA_BASE_URL, JIRA_EMAIL and JIRA_API_TOKEN together (docs/jira.md)',
      });
  });

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Variables whose empty value is a mistake, never "not given": an empty Slack credential (a Kubernetes
 * Secret with empty keys) must not turn a production bot into the sandbox, and an empty DATABASE_URL must
 * not quietly switch it to the embedded database.
 */
const NEVER_EMPTY = [
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'SLACK_API_URL',
  'DATABASE_URL',
  'ACCESS_SECRETS_DIR',
  'ACCESS_ADMIN_GROUP',
] as const;
const SLACK_CREDENTIALS = ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN'] as const;

function refuseEmpty(env: Record<string, string | undefined>): void {
  const empty = NEVER_EMPTY.find((name) => env[name] !== undefined && env[name]!.trim() === '');
  if (empty) throw new ConfigError(`${empty} is set but empty: give it a value or remove it.`);
}

/** Pure: environment in, config out; throws a ConfigError with one readable sentence. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  refuseEmpty(env);
  // Other empty strings mean unset: `FOO=` in a .env file or compose file means "not given".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = ConfigSchema.safeParse(cleaned);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const name = String(issue.path[0] ?? 'configuration');
  const reason = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
  throw new ConfigError(`${name} ${reason}.`);
}

/** No Slack variable at all, not even an empty one: nothing says a real bot was meant. */
export function noSlackCredentials(env: Record<string, string | undefined>): boolean {
  return SLACK_CREDENTIALS.every((name) => env[name] === undefined);
}

/**
 * The sandbox acts as anyone and moves its clock: it starts only when asked (`--sandbox`) or when no Slack
 * variable is present at all (a fresh clone's `npm start`). A Slack variable that is present, even empty,
 * means a real bot was meant (parseConfig then names what is wrong), and a DATABASE_URL without Slack
 * credentials is refused rather than opened to the sandbox: it is somebody's database.
 */
export function wantsSandbox(env: Record<string, string | undefined>, argv: readonly string[]): boolean {
  if (argv.includes('--sandbox')) return true;
  if (!noSlackCredentials(env)) return false;
  if (env.DATABASE_URL !== undefined)
    throw new ConfigError(
      'SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are not set, and DATABASE_URL is: set them to run the bot ' +
        '(the sandbox never starts on a DATABASE_URL unless asked for with --sandbox).',
    );
  return true;
}
