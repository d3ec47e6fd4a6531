import { WebClientEvent } from '@slack/web-api';
import type { Logger } from 'pino';
import { ConfigError, type Config } from './config.js';
import { openDatabase, ping, type Database } from './db/client.js';
import { authorizationRoutes } from './http/authorization-api.js';
import { sessionRoutes } from './http/sessions-api.js';
import { auditPageRoutes } from './http/audit-page.js';
import { healthRoute, livenessRoute } from './http/health.js';
import { metricsRoute } from './http/metrics.js';
import { createPrometheusMetrics } from './observability/prometheus-metrics.js';
import { createSlackClients } from './slack/clients.js';
import { guardSlackRequests } from './http/slack-guard.js';
import { createLinkSigner } from './http/signed-link.js';
import { createSignInTokens } from './http/sign-in-token.js';
import { oidcRoutes } from './http/oidc-routes.js';
import { openIdProvider } from './integrations/oidc.js';
import { createIdentityService } from './services/identity-service.js';
import { createAuditViewService, type SessionsReader } from './services/audit-view-service.js';
import { createAuditStreamer, logAuditHead } from './services/audit-stream.js';
import { close, createHttpServer, listen, type Route } from './http/server.js';
import { createApiKeyService, type ApiKeyService } from './services/api-key-service.js';
import { createAuthorizationIndex } from './services/authorization-index.js';
import { createPostgresActivity } from './provisioners/postgres/activity.js';
import { createSessionCapture, type CaptureCounts } from './services/session-capture.js';
import { createSessionService } from './services/session-service.js';
import { drainOutbox } from './jobs/outbox-worker.js';
import { jiraTracker } from './integrations/jira.js';
import { nextGrantEnd } from './db/grant-queries.js';
import { startLoop, type Loop } from './jobs/loop.js';
import { outboxBacklog } from './db/outbox-queries.js';
import { routeOutbox } from './domain/outbox.js';
import type { Provisioner } from './provisioners/port.js';
import { builtInProvisioners, createProvisionerRegistry } from './provisioners/registry.js';
import { applyAccessFile, checkProvisioners, parseAccessFile } from './services/catalog-service.js';
import { createProfileService } from './services/profile-service.js';
import { createBreakGlassService } from './services/break-glass-service.js';
import { createRequestActions } from './services/request-actions.js';
import { createProvisioningService } from './services/provisioning-service.js';
import { createAdminService } from './services/admin-service.js';
import { createGrantService } from './services/grant-service.js';
import { createOffboardingService } from './services/offboarding.js';
import { createLifecycleJobs } from './services/lifecycle-jobs.js';
import { createCatalogCache } from './db/catalog-cache.js';
import { createHomeService } from './services/home-service.js';
import { createNotificationService } from './services/notification-service.js';
import { systemClock, type Clock, type ServiceDeps } from './services/ports.js';
import { createRequestService } from './services/request-service.js';
import { createExtensionService } from './services/extension-service.js';
import { createReviewService } from './services/review-service.js';
import { createSlackDirectory } from './slack/directory.js';
import { registerDirectoryEvents } from './slack/directory-events.js';
import { publishHome } from './slack/home/listeners.js';
import { createPacer, slackBudgets } from './slack/pacer.js';
import { isAppError } from './domain/errors.js';
import { createSlackMessenger } from './slack/messenger.js';
import { registerSlack } from './slack/register.js';
import type { SlackDeps } from './slack/deps.js';

export interface AccessAppOptions {
  config: Config;
  logger: Logger;
  clock?: Clock;
  /** The ACCESS_CONFIG file's text, read by the caller (main reads the file; tests pass text). */
  accessFileText?: string;
  /** Tests already know the bot's ids; passing them skips Bolt's start-up auth.test. */
  botIdentity?: { botId: string; botUserId: string };
  /** Where provisioner secret references (env:NAME) are read from; main passes process.env. */
  secretEnv?: Record<string, string | undefined>;
  /** More provisioners (tests and the sandbox add an in-memory one). */
  extraProvisioners?: Provisioner[];
  /** More HTTP routes on the bot's server: the sandbox serves its page, API and webhook receiver here. */
  extraRoutes?: Route[];
}

export class StartupError extends Error {}

/**
 * The composition root: config -> database -> services -> Slack app + HTTP -> workers.
 * `start()` migrates, applies ACCESS_CONFIG, checks the token with Slack, listens, and ends grants
 * that ran out while the bot was down before it takes the first request.
 */
export async function createAccessApp(options: AccessAppOptions) {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  const provisioners = createProvisionerRegistry([...builtInProvisioners(), ...(options.extraProvisioners ?? [])]);
  // Parsed before anything opens: a wrong field stops start-up without touching the database or Slack.
  const accessFile = options.accessFileText !== undefined ? checkProvisioners(parseAccessFile(options.accessFileText), provisioners) : undefined;
  const database: Database = await openDatabase(config.DATABASE_URL ? { url: config.DATABASE_URL } : { dataDir: config.DATA_DIR });
  const metrics = createPrometheusMetrics({ outbox: () => outboxBacklog(database.db), pool: () => database.pool() });
  let outboxLoop: Loop | undefined;
  let expiryLoop: Loop | undefined;
  let lifecycleLoop: Loop | undefined;
  let reconcileLoop: Loop | undefined;
  let offboardingLoop: Loop | undefined;
  let captureLoop: Loop | undefined;
  let lastCapture: CaptureCounts | null = null;
  let auditHeadLoop: Loop | undefined;
  let auditStreamLoop: Loop | undefined;
  if (Boolean(config.AUDIT_WEBHOOK_URL) !== Boolean(config.AUDIT_WEBHOOK_SECRET)) throw new ConfigError('AUDIT_WEBHOOK_URL and AUDIT_WEBHOOK_SECRET go together: set both or neither.');
  const auditStreamer = config.AUDIT_WEBHOOK_URL && config.AUDIT_WEBHOOK_SECRET ? createAuditStreamer(database.db, { url: config.AUDIT_WEBHOOK_URL, secret: config.AUDIT_WEBHOOK_SECRET }, logger) : null;
  /** The session logs, once the session service is wired (the audit views read them through this). */
  let sessionsReader: SessionsReader | null = null;

  const authorizationIndex = createAuthorizationIndex(database, clock, logger);
  // Created below, once the admin service exists; the route only needs `verify` at request time.
  const { app, receiver, socketMode, directoryClient, background } = createSlackClients(config, logger, metrics.slackCall, options.botIdentity);
  const directory = createSlackDirectory(directoryClient, { logger });
  const serviceDeps: ServiceDeps = {
    db: database.db,
    catalog: createCatalogCache(database.db),
    directory,
    clock,
    admins: new Set(config.ACCESS_ADMINS),
    afterCommit: () => outboxLoop?.kick(),
    provisioners,
    metrics,
    tickets: config.JIRA_BASE_URL && config.JIRA_EMAIL && config.JIRA_API_TOKEN ? jiraTracker({ baseUrl: config.JIRA_BASE_URL, email: config.JIRA_EMAIL, apiToken: config.JIRA_API_TOKEN }, logger) : null,
  };
  const requests = createRequestService(serviceDeps);
  const reviews = createReviewService(serviceDeps);
  const grants = createGrantService(serviceDeps);
  const offboarding = createOffboardingService(serviceDeps);
  const breakGlass = createBreakGlassService(serviceDeps);
  const admin = createAdminService(serviceDeps);
  const home = createHomeService(serviceDeps, requests, admin, breakGlass);
  const profile = createProfileService(serviceDeps);
  const apiKeys: ApiKeyService = createApiKeyService(database, admin, clock, logger);
  const sessions = createSessionService(database.db, clock);
  sessionsReader = sessions;
  const capture = createSessionCapture({ db: database.db, sessions, activity: createPostgresActivity(options.secretEnv ?? {}), logger });
  // Without PUBLIC_URL, links point at the port actually bound (PORT=0 picks one).
  const publicUrl = () => (config.PUBLIC_URL ?? `http://localhost:${listening ? (httpServer.address() as { port: number }).port : config.PORT}`).replace(/\/$/, '');
  const signer = createLinkSigner(config.SLACK_SIGNING_SECRET, publicUrl, () => clock.now());
  // OpenID Connect identity linking and step-up (docs/identity.md); null without OIDC_ISSUER.
  const signInTokens = createSignInTokens(config.SLACK_SIGNING_SECRET, () => clock.now());
  const oidc = config.OIDC_ISSUER && config.OIDC_CLIENT_ID
    ? openIdProvider({ issuer: config.OIDC_ISSUER, clientId: config.OIDC_CLIENT_ID, clientSecret: config.OIDC_CLIENT_SECRET, scopes: config.OIDC_SCOPES, redirectUri: () => `${publicUrl()}/oidc/callback` }, logger)
    : null;
  const identity = createIdentityService(serviceDeps, oidc, (userId, purpose, requestId) => `${publicUrl()}/oidc/start?token=${signInTokens.sign({ userId, purpose, requestId })}`);
  const audit = createAuditViewService(serviceDeps, () => sessionsReader);
  const actions = createRequestActions(serviceDeps);
  const extensions = createExtensionService(serviceDeps);
  const slackDeps: SlackDeps = { requests, reviews, grants, admin, home, profile, actions, extensions, breakGlass, apiKeys, audit, identity, auditLink: (id) => signer.link(`/audit/${id}`), logger, clock };
  const pacer = createPacer(slackBudgets(config.SLACK_UPDATES_PER_MINUTE, config.SLACK_HOME_PUBLISHES_PER_MINUTE));
  // Every 429 pauses that method for all callers, not just the one WebClient retried.
  for (const client of [app.client, background]) client.on(WebClientEvent.RATE_LIMITED, (retrySec: number, { url }: { url: string }) => pacer.pause(url.split('/').pop() ?? '', retrySec));
  const messenger = createSlackMessenger(background, logger, (userId) => publishHome(slackDeps, background, userId), pacer);
  const notifications = createNotificationService(database.db, messenger, {
    admins: config.ACCESS_ADMINS,
    person: async (userId) => {
      try {
        return await directory.person(userId);
      } catch (e) {
        if (isAppError(e) && e.code === 'not_allowed') return null; // Slack does not know this user
        throw e;
      }
    },
  });
  const provisioning = createProvisioningService(serviceDeps, options.secretEnv ?? {}, messenger);
  const lifecycle = createLifecycleJobs(serviceDeps, messenger);
  // One handler per topic: a topic added to domain/outbox.ts without one here fails to compile.
  const deliver = routeOutbox({ ...notifications.handlers, ...provisioning.handlers, ...lifecycle.handlers });
  registerSlack(app, slackDeps);
  registerDirectoryEvents(app, directory, logger, offboarding);
  // Replays and future-dated requests are refused before Bolt sees them (see http/slack-guard.ts).
  const httpServer = createHttpServer(receiver ? guardSlackRequests(receiver.requestListener, config.SLACK_SIGNING_SECRET, logger) : null, [
    healthRoute(() => ping(database.db)),
    livenessRoute(),
    metricsRoute(metrics.registry, config.METRICS_TOKEN),
    ...authorizationRoutes(authorizationIndex, { verify: (h) => apiKeys.verify(h) }),
    ...sessionRoutes(sessions, { verify: (h) => apiKeys.verify(h) }),
    ...auditPageRoutes(audit, signer),
    ...oidcRoutes(identity, signInTokens, logger, () => publicUrl().startsWith('https:')),
    ...(options.extraRoutes ?? []),
  ], logger);

  let listening = false;
  let expiryWake: NodeJS.Timeout | undefined;

  /**
   * The expiry job polls every EXPIRY_INTERVAL_SECONDS; a grant ending before the next poll also gets a
   * wake-up at its end, so access ends on time rather than up to one interval late (npm run bench measured
   * p99 ≈ 1.2 s with a 1 s poll before). The poll stays the source of truth (ADR 0003): the timer is lost
   * on restart, and the next poll finds what it would have ended.
   */
  async function expireAndPlan() {
    await grants.expireDue();
    const next = await nextGrantEnd(database.db);
    clearTimeout(expiryWake);
    const wait = next ? next.getTime() - clock.now().getTime() : Infinity;
    if (wait < config.EXPIRY_INTERVAL_SECONDS * 1000) expiryWake = setTimeout(() => expiryLoop?.kick(), Math.max(0, wait) + 5).unref();
  }

  async function start(): Promise<{ port: number }> {
    await database.migrate();
    if (accessFile) {
      const summary = await applyAccessFile(database.db, clock, accessFile);
      logger.info(summary, 'applied ACCESS_CONFIG');
    }
    try {
      await app.init();
    } catch (error) {
      throw new StartupError(`Slack rejected the bot token (${(error as { data?: { error?: string } }).data?.error ?? (error as Error).message}). Check SLACK_BOT_TOKEN.`);
    }
    await authorizationIndex.start();
    await apiKeys.start();
    const expired = await grants.expireDue();
    if (expired > 0) logger.info({ expired }, 'ended grants that ran out while the bot was down');
    outboxLoop = startLoop('outbox', () => drainOutbox(database.db, deliver, logger, config.OUTBOX_LEASE_SECONDS), 2000, logger);
    expiryLoop = startLoop('expiry', expireAndPlan, config.EXPIRY_INTERVAL_SECONDS * 1000, logger);
    lifecycleLoop = startLoop('lifecycle', () => lifecycle.runOnce(), config.LIFECYCLE_INTERVAL_SECONDS * 1000, logger);
    await logAuditHead(database.db, logger);
    auditHeadLoop = startLoop('audit-head', () => logAuditHead(database.db, logger), config.AUDIT_HEAD_LOG_SECONDS * 1000, logger);
    if (auditStreamer) auditStreamLoop = startLoop('audit-stream', () => auditStreamer.drain(), 5000, logger);
    reconcileLoop = startLoop('reconcile', () => provisioning.reconcile(), config.RECONCILE_INTERVAL_SECONDS * 1000, logger);
    // Holders of active grants whom Slack deactivated while no user_change reached us (the bot was down).
    offboardingLoop = startLoop('offboarding', () => offboarding.reconcile(), config.RECONCILE_INTERVAL_SECONDS * 1000, logger);
    offboardingLoop.kick();
    captureLoop = startLoop('session-capture', async () => (lastCapture = await capture.captureOnce()), config.SESSION_SAMPLE_SECONDS * 1000, logger);
    outboxLoop.kick();
    if (socketMode) {
      try {
        await app.start();
      } catch (error) {
        const code = (error as { data?: { error?: string }; code?: string }).data?.error ?? (error as Error).message;
        throw new StartupError(`Slack refused the Socket Mode connection (${code}). Check SLACK_APP_TOKEN: an app-level token with the connections:write scope.`);
      }
    }
    const port = await listen(httpServer, config.PORT, config.HOST);
    listening = true;
    logger.info({ port, socketMode, database: database.kind }, 'access requests bot is running');
    return { port };
  }

  async function stop() {
    await outboxLoop?.stop();
    clearTimeout(expiryWake);
    await expiryLoop?.stop();
    await lifecycleLoop?.stop();
    await reconcileLoop?.stop();
    await offboardingLoop?.stop();
    await captureLoop?.stop();
    await auditHeadLoop?.stop();
    await auditStreamLoop?.stop();
    await authorizationIndex.stop().catch(() => undefined);
    await apiKeys.stop().catch(() => undefined);
    if (socketMode) await app.stop().catch(() => undefined);
    if (listening) await close(httpServer);
    listening = false;
    await database.close();
  }

  return {
    start,
    stop,
    database,
    /** The HTTP port once started (0 before, or in Socket Mode without HTTP). */
    get port() {
      const address = listening ? httpServer.address() : null;
      return address && typeof address === 'object' ? address.port : 0;
    },
    services: { identity, requests, reviews, grants, offboarding, breakGlass, admin, home, notifications, provisioning, authorizationIndex, apiKeys, sessions },
    /** Runs the outbox and expiry workers now and waits: for tests and the sandbox. */
    jobs: {
      streamAudit: () => auditStreamer?.drain() ?? Promise.resolve(0),
      expireNow: () => expiryLoop!.runNow(),
      /** The periodic check for deactivated holders of active grants, now. */
      offboardNow: () => offboardingLoop!.runNow(),
      /** Reminders, escalation, pending TTL, end warnings and scheduled starts, now (by the app's clock). */
      lifecycleNow: () => lifecycleLoop!.runNow(),
      /** One session-capture sample now (after any under way); its counts. */
      captureNow: async () => {
        lastCapture = null;
        await captureLoop!.runNow();
        return lastCapture as CaptureCounts | null;
      },
      drainOutbox: async () => {
        await outboxLoop!.runNow();
        await outboxLoop!.idle();
      },
    },
  };
}

export type AccessApp = Awaited<ReturnType<typeof createAccessApp>>;
