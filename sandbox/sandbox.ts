import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createAccessApp, type AccessApp } from '../src/app.js';
import { startOidcDouble } from '../doubles/oidc/oidc-double.js';
import { parseConfig, type Config } from '../src/config.js';
import type { Route } from '../src/http/server.js';
import { createLogger } from '../src/logger.js';
import { sandboxApiRoutes, type SandboxContext } from './api.js';
import { sandboxAssetRoutes } from './assets.js';
import { SandboxClock } from './clock.js';
import { FakeSlack, type FakeSlackOptions } from '../doubles/slack/fake-slack.js';
import { SlackDriver } from '../doubles/slack/driver.js';
import { manifestBotScopes } from '../doubles/slack/scopes.js';
import { createWebhookReceiver } from './webhook-receiver.js';
import { startCloudTargets } from './cloud-targets.js';
import { createSandboxGroupSources } from './group-sources.js';
import { startSandboxOnCall } from './on-call-sandbox.js';
import { allowedHosts, ANY_ADDRESS, checkHost, claimSandboxDatabase, SandboxRefused } from './sandbox-guards.js';
import { embeddedServerInUse } from '../src/db/embedded-postgres.js';
import { projectRoot } from './project-root.js';
import { GITHUB_FIELD, SANDBOX_CHANNELS, SANDBOX_GROUPS, SANDBOX_PEOPLE, SANDBOX_USERS } from './workspace.js';

/** The identity provider's client for `access-requests login` (a public client: the device grant). */
const SANDBOX_CLI_CLIENT_ID = 'access-requests-cli';

/** Where the sample catalogue points its webhook provisioner; rewritten to the port actually used. */
const SAMPLE_RECEIVER = 'http://127.0.0.1:3000/sandbox/webhooks';
const SAMPLE_FILE = new URL('examples/sandbox-access.yml', projectRoot());
/** The Slack app manifest: the simulated workspace grants the bot exactly the scopes it asks for. */
const MANIFEST_FILE = new URL('manifest.yml', projectRoot());
const WEBHOOK_SECRET_ENV = 'ACCESS_SECRET_SANDBOX_WEBHOOK_SECRET';

export interface SandboxOptions {
  /** The process environment: PORT, HOST, DATA_DIR, DATABASE_URL, LOG_LEVEL… (Slack settings are ignored). */
  env: Record<string, string | undefined>;
  /** ACCESS_CONFIG's text when given; else examples/sandbox-access.yml. */
  accessFileText?: string;
  logger?: Logger;
  /** Slack's deadlines in the double (3 s each unless given): the suite's browser journeys make them hang guards. */
  slackDeadlines?: Pick<FakeSlackOptions, 'triggerTtlMs' | 'ackDeadlineMs'>;
}

export interface Sandbox {
  /** The page, e.g. http://localhost:3000/sandbox */
  url: string;
  port: number;
  app: AccessApp;
  slack: FakeSlack;
  driver: SlackDriver;
  clock: SandboxClock;
  config: Config;
  stop(): Promise<void>;
}

/** How this process reaches its own listener: loopback when it listens on every address. */
const selfHost = (host: string) => (ANY_ADDRESS.has(host) ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host);

/** A free port, needed before start: the sample catalogue names the receiver's URL, port included. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * The bot for real, against a simulated workspace: the Slack double on a loopback port answers its
 * Web API calls, the page drives it with signed requests to /slack/events through the driver, and
 * the sample resources' webhook provisioner posts grants to a receiver on the bot's own server.
 */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const env = Object.fromEntries(Object.entries(options.env).filter(([k]) => !k.startsWith('SLACK_')));
  // Fresh at every start: nothing real depends on them, and they never leave this process.
  const botToken = `xoxb-sandbox-${randomBytes(12).toString('hex')}`;
  const signingSecret = randomBytes(24).toString('hex');
  const webhookSecret = `whsec_${randomBytes(24).toString('base64')}`;

  const scopes = existsSync(MANIFEST_FILE) ? manifestBotScopes(readFileSync(MANIFEST_FILE, 'utf8')) : undefined;
  const clock = new SandboxClock();
  // Dana covers the sandbox's PagerDuty schedule; the page puts others on call.
  const onCall = await startSandboxOnCall(SANDBOX_USERS, clock, SANDBOX_PEOPLE.secondApprover);
  let stopCloud: (() => Promise<void>) | undefined;
  const setEnv: string[] = [];
  let cleanUp = async () => {
    for (const k of setEnv) delete process.env[k];
    await stopCloud?.();
    await onCall.stop();
  };
  const slack = await FakeSlack.start({
    botToken,
    ...(scopes ? { scopes } : {}),
    users: SANDBOX_USERS,
    usergroups: SANDBOX_GROUPS,
    channels: SANDBOX_CHANNELS,
    botName: 'access-bot',
    ...options.slackDeadlines,
  });
  slack.addProfileField({ id: GITHUB_FIELD, label: 'GitHub' });
  // The company's identity provider (OpenID Connect, docs/identity.md): its sign-in page lets you pick who you are.
  const oidcSecret = randomBytes(24).toString('hex');
  // Registered once the port is known: the bot's ${PUBLIC_URL}/oidc/callback, as app.ts builds it.
  const redirectUris: string[] = [];
  const idp = await startOidcDouble({
    redirectUris: () => redirectUris,
    clientId: 'access-bot-sandbox',
    clientSecret: oidcSecret,
    now: () => clock.now(),
    // The CLI's own public client (`access-requests login` signs in here with a code; docs/cli.md).
    deviceClients: [SANDBOX_CLI_CLIENT_ID],
    deviceInterval: 2,
    people: SANDBOX_USERS.filter((p) => p.email).map((p) => ({
      sub: `sandbox|${p.name}`,
      email: p.email!,
      name: p.realName ?? p.name,
    })),
  });
  const stopIdp = idp.stop;
  const previousCleanUp = cleanUp;
  cleanUp = async () => {
    await previousCleanUp();
    await stopIdp();
  };
  try {
    const parsed = parseConfig({
      ...env,
      SLACK_BOT_TOKEN: botToken,
      SLACK_SIGNING_SECRET: signingSecret,
      SLACK_API_URL: slack.apiUrl,
      ACCESS_ADMINS: SANDBOX_PEOPLE.admin,
      // Only this machine: the page acts as anyone in the workspace. HOST=0.0.0.0 opens it up (containers).
      HOST: env.HOST || '127.0.0.1',
      // Short, so a grant that ran out ends within seconds while someone watches.
      EXPIRY_INTERVAL_SECONDS: env.EXPIRY_INTERVAL_SECONDS || '5',
      // Reminders, time-outs, end warnings and scheduled starts show up as promptly.
      LIFECYCLE_INTERVAL_SECONDS: env.LIFECYCLE_INTERVAL_SECONDS || '5',
      // The page's on-call switch must show on the next request, not a minute later.
      ON_CALL_CACHE_SECONDS: '0',
      ...onCall.env,
      ...(env.OIDC_ISSUER
        ? {}
        : {
            OIDC_ISSUER: idp.issuer,
            OIDC_CLIENT_ID: idp.clientId,
            OIDC_CLIENT_SECRET: oidcSecret,
            OIDC_CLI_CLIENT_ID: SANDBOX_CLI_CLIENT_ID,
          }),
    });
    const port = parsed.PORT !== 0 ? parsed.PORT : await freePort(parsed.HOST);
    // Its own directory: the sandbox's sample data must never mix with a real bot's ./.data.
    const config: Config = { ...parsed, PORT: port, DATA_DIR: join(parsed.DATA_DIR, 'sandbox') };
    redirectUris.push(`${(config.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/$/, '')}/oidc/callback`);
    const logger = options.logger ?? createLogger(config.LOG_LEVEL);
    if (config.DATABASE_URL) await claimSandboxDatabase(config.DATABASE_URL);
    else {
      if (await embeddedServerInUse(config.DATA_DIR))
        throw new SandboxRefused(`another sandbox runs on ${config.DATA_DIR}: stop it, or set another DATA_DIR.`);
      // The simulated workspace starts empty each time, so the database does too: old requests
      // would point at DMs and people that no longer exist.
      rmSync(config.DATA_DIR, { recursive: true, force: true });
    }

    const origin = `http://${selfHost(config.HOST)}:${port}`;
    const cloud = await startCloudTargets(SANDBOX_USERS);
    stopCloud = cloud.stop;
    // The Google auth library reads its credentials from the environment (application-default
    // credentials): the sandbox's own key for the Google double, unless one is set already.
    for (const [k, v] of Object.entries(cloud.processEnv)) {
      if (options.env[k] !== undefined || process.env[k] !== undefined) continue;
      process.env[k] = v;
      setEnv.push(k);
    }
    let fileText = (options.accessFileText ?? readFileSync(SAMPLE_FILE, 'utf8')).replaceAll(
      SAMPLE_RECEIVER,
      `${origin}/sandbox/webhooks`,
    );
    for (const [placeholder, value] of Object.entries(cloud.replacements))
      fileText = fileText.replaceAll(placeholder, value);
    const receiver = createWebhookReceiver(webhookSecret);
    const driver = new SlackDriver({ eventsUrl: `${origin}/slack/events`, signingSecret, slack });
    const ctx: SandboxContext = {
      slack,
      driver,
      logger,
      clock,
      people: SANDBOX_USERS,
      webhooks: receiver.events,
      targets: () => cloud.views(),
      viewErrors: new Map(),
      onCall,
    };
    const home: Route = {
      method: 'GET',
      path: '/',
      handler: (_req, res) => {
        res.writeHead(302, { location: '/sandbox' });
        res.end();
      },
    };
    const app = await createAccessApp({
      config,
      logger,
      clock,
      accessFileText: fileText,
      // env:ACCESS_SECRET_* references resolve as in the real bot; nothing else of the environment is handed over.
      secretEnv: { ...env, ...cloud.secretEnv, [WEBHOOK_SECRET_ENV]: webhookSecret },
      extraProvisioners: cloud.provisioners,
      groupListers: cloud.groupListers,
      entraManagerOptions: cloud.entraManagerOptions,
      // The bot's receiver waits for an ack as long as the double does (Slack's 3 s unless a test said otherwise).
      ...(options.slackDeadlines?.ackDeadlineMs !== undefined
        ? { ackTimeoutMs: options.slackDeadlines.ackDeadlineMs }
        : {}),
      extraRoutes: checkHost(
        [home, receiver.route, ...sandboxApiRoutes(ctx), ...sandboxAssetRoutes()],
        allowedHosts(config.HOST, config.PUBLIC_URL),
      ),
    });
    ctx.jobs = app.jobs;
    ctx.groupSources = createSandboxGroupSources({
      directories: cloud.groupDirectories,
      status: () => app.services.groupSync.status(),
      syncNow: (names) => app.services.groupSync.syncNow(names),
      scheduledPass: () => app.jobs.groupSyncIdle(),
    });
    try {
      await app.start();
    } catch (error) {
      await app.stop().catch(() => undefined);
      throw error;
    }
    const shownHost = ANY_ADDRESS.has(config.HOST) || config.HOST === '127.0.0.1' ? 'localhost' : selfHost(config.HOST);
    return {
      url: `http://${shownHost}:${port}/sandbox`,
      port,
      app,
      slack,
      driver,
      clock,
      config,
      stop: async () => {
        await app.stop();
        await slack.stop();
        await cleanUp();
      },
    };
  } catch (error) {
    await slack.stop();
    await cleanUp();
    throw error;
  }
}
