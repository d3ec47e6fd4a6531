import { buildManagers } from './composition/managers.js';
import type { Logger } from 'pino';
import { openLoggedDatabase, operatorSecrets } from './composition/foundations.js';
import { buildHttpServer } from './composition/http.js';
import { buildIntegrations, buildOpenIdProvider } from './composition/integrations.js';
import { buildConfigReload } from './composition/config-reload.js';
import { buildGroupSync } from './composition/group-sync.js';
import { buildJobs } from './composition/jobs.js';
import { buildServices } from './composition/services.js';
import { buildSlackClients, buildSlackSide } from './composition/slack.js';
import { ConfigError, type Config } from './config.js';
import { createCatalogCache } from './db/catalog-cache.js';
import type { Database } from './db/client.js';
import { outboxBacklog } from './db/outbox-queries.js';
import type { OutboxLane } from './domain/outbox.js';
import { close, listen, type Route } from './http/server.js';
import { createSignInTokens } from './http/sign-in-token.js';
import { createLinkSigner } from './http/signed-link.js';
import { createPrometheusMetrics } from './observability/prometheus-metrics.js';
import type { GraphClientOptions } from './provisioners/entra/graph-client.js';
import type { Provisioner } from './provisioners/port.js';
import { builtInProvisioners, createProvisionerRegistry } from './provisioners/registry.js';
import { createAuditStreamer } from './services/audit-stream.js';
import type { ReloadTrigger } from './services/config-reload.js';
import { groupSourceFromFile, type GroupSourceKind } from './domain/group-source.js';
import type { GroupListers } from './services/ports.js';
import { applyAccessFile, checkAccessFileText } from './services/catalog-service.js';
import { systemClock, type Clock } from './services/ports.js';
import type { ServiceDeps } from './services/deps.js';

export interface AccessAppOptions {
  config: Config;
  logger: Logger;
  clock?: Clock;
  /** The ACCESS_CONFIG file's text, read by the caller (main reads the file; tests pass text). */
  accessFileText?: string;
  /** The file accessFileText was read from: the running bot applies it again when it changes, and on reloadAccessFile() (SIGHUP). */
  accessFilePath?: string;
  /** Tests already know the bot's ids; passing them skips Bolt's start-up auth.test. */
  botIdentity?: { botId: string; botUserId: string };
  /**
   * How long Bolt's HTTP receiver waits for a listener's ack before it answers 404 itself (default Bolt's
   * 3001 ms: Slack stops waiting at 3 s). The test suite makes it a hang guard, since on a loaded machine the
   * work before an ack can take seconds; how fast the bot acks is measured by `npm run bench`.
   */
  ackTimeoutMs?: number;
  /** Where `env:ACCESS_SECRET_*` references are read from (only those names are kept); main passes process.env. */
  secretEnv?: Record<string, string | undefined>;
  /** More provisioners (tests and the sandbox add an in-memory one). */
  extraProvisioners?: Provisioner[];
  /** More HTTP routes on the bot's server: the sandbox serves its page, API and webhook receiver here. */
  extraRoutes?: Route[];
  /** Graph client options for the Entra ID manager look-up (tests and the sandbox trust a double's CA). */
  entraManagerOptions?: GraphClientOptions;
  /** The group sources' listers by provider (tests and the sandbox give one that trusts a double's CA). */
  groupListers?: Partial<Record<GroupSourceKind, GroupListers>>;
}

export class StartupError extends Error {}

/**
 * The composition root, as a table of parts (each built in composition/): provisioners and outside
 * services -> database -> Slack clients -> services -> what speaks through Slack -> HTTP -> jobs.
 * `start()` migrates, applies ACCESS_CONFIG, checks the token with Slack, ends grants that ran out while
 * the bot was down, starts the jobs and only then listens.
 */
export async function createAccessApp(options: AccessAppOptions) {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  const secrets = operatorSecrets(config, options.secretEnv ?? {});
  const provisioners = createProvisionerRegistry([...builtInProvisioners(), ...(options.extraProvisioners ?? [])]);
  const { onCall, tickets } = buildIntegrations(config, logger);
  // Parsed before anything opens: a wrong field (or an on-call service without its token) stops start-up without touching the database or Slack.
  const checkAccessFile = (text: string) => checkAccessFileText(text, provisioners, onCall);
  const accessFile = options.accessFileText !== undefined ? checkAccessFile(options.accessFileText) : undefined;
  if (Boolean(config.AUDIT_WEBHOOK_URL) !== Boolean(config.AUDIT_WEBHOOK_SECRET))
    throw new ConfigError('AUDIT_WEBHOOK_URL and AUDIT_WEBHOOK_SECRET go together: set both or neither.');

  const database: Database = await openLoggedDatabase(config, logger);
  const metrics = createPrometheusMetrics({ outbox: () => outboxBacklog(database.db), pool: () => database.pool() });
  const auditStreamer =
    config.AUDIT_WEBHOOK_URL && config.AUDIT_WEBHOOK_SECRET
      ? createAuditStreamer(database.db, { url: config.AUDIT_WEBHOOK_URL, secret: config.AUDIT_WEBHOOK_SECRET }, logger)
      : null;
  const slack = buildSlackClients(config, logger, metrics, options.botIdentity, options.ackTimeoutMs);

  // The jobs come last, but services call afterCommit from the start: it reaches the outbox once it exists.
  // The file's `managers:` mapping (following reloads), then the group sources' identity providers (read at start).
  const managers = buildManagers(accessFile, secrets, slack.directory, clock, options.entraManagerOptions);
  const outbox = { kick: (_lanes?: readonly OutboxLane[]): void => undefined };
  const deps: ServiceDeps = {
    db: database.db,
    catalog: createCatalogCache(database.db),
    directory: slack.directory,
    clock,
    admins: {
      users: new Set(config.ACCESS_ADMINS),
      group: config.ACCESS_ADMIN_GROUP ?? null,
      workspaceAdmins: config.ACCESS_WORKSPACE_ADMINS,
    },
    secrets,
    afterCommit: (lanes) => outbox.kick(lanes),
    provisioners,
    metrics,
    tickets,
    onCall,
    managers: managers.directory,
  };
  // Without PUBLIC_URL, links point at the port actually bound (PORT=0 picks one).
  let listening = false;
  const publicUrl = () =>
    (
      config.PUBLIC_URL ??
      `http://localhost:${listening ? (httpServer.address() as { port: number }).port : config.PORT}`
    ).replace(/\/$/, '');
  const signer = createLinkSigner(config.SLACK_SIGNING_SECRET, publicUrl, () => clock.now());
  const signInTokens = createSignInTokens(config.SLACK_SIGNING_SECRET, () => clock.now());
  const services = buildServices(deps, database, logger, {
    provider: buildOpenIdProvider(config, logger, publicUrl),
    link: (userId, purpose, requestId) =>
      `${publicUrl()}/oidc/start?token=${signInTokens.sign({ userId, purpose, requestId })}`,
    cliClientId: config.OIDC_CLI_CLIENT_ID ?? null,
  });
  const { notifications, provisioning, lifecycle, reviewJobs, deliver, deliverMany } = buildSlackSide({
    config,
    logger,
    database,
    deps,
    clients: slack,
    services,
    auditLink: (id) => signer.link(`/audit/${id}`),
  });
  const httpServer = buildHttpServer({
    config,
    logger,
    database,
    metrics,
    services,
    signer,
    signInTokens,
    publicUrl,
    slackListener: slack.receiver?.requestListener ?? null,
    extraRoutes: options.extraRoutes ?? [],
  });
  const groupSync = buildGroupSync({
    db: database.db,
    clock,
    secrets,
    sources: (accessFile?.group_sources ?? []).map(groupSourceFromFile),
    afterCommit: () => outbox.kick(),
    ...(options.groupListers ? { listers: options.groupListers } : {}),
  });
  const background = buildJobs({
    config,
    logger,
    clock,
    database,
    services,
    work: {
      deliver,
      deliverMany,
      reconcile: () => provisioning.reconcile(),
      lifecycle: () => lifecycle.runOnce(),
      accessReviews: async () => {
        const run = await reviewJobs.runOnce();
        for (const d of run.deferred) logger.warn(d, 'an access review is due but could not be opened; trying again');
      },
      groupSync: groupSync.sources.length > 0 ? () => groupSync.syncDue() : null,
      streamAudit: auditStreamer ? () => auditStreamer.drain() : null,
    },
  });
  outbox.kick = background.kickOutbox;
  const configReload =
    options.accessFilePath && accessFile
      ? buildConfigReload({
          ...{ path: options.accessFilePath, initial: { text: options.accessFileText!, file: accessFile } },
          ...{
            db: database.db,
            clock,
            logger,
            metrics,
            check: checkAccessFile,
            provisioners,
            watch: config.ACCESS_CONFIG_WATCH,
            onAccepted: managers.useFile,
          },
          afterCommit: (lanes) => outbox.kick(lanes),
        })
      : null;

  async function start(): Promise<{ port: number }> {
    const migrating = performance.now();
    await database.migrate();
    logger.info({ ms: Math.round(performance.now() - migrating) }, 'migrations applied');
    if (accessFile) {
      const { resources, flows, changed } = await applyAccessFile(database.db, clock, accessFile);
      logger.info({ resources, flows, changed }, 'applied ACCESS_CONFIG');
    }
    // Large SDKs load on first use; for the targets the catalogue names, that use starts now, in the
    // background, so the first grant after an approval does not wait for it (the others stay unloaded).
    const { resources } = await deps.catalog.snapshot();
    provisioners.warm(resources.flatMap((r) => (r.provisioner ? [r.provisioner.type] : [])));
    try {
      await slack.app.init();
    } catch (error) {
      throw new StartupError(
        `Slack rejected the bot token (${(error as { data?: { error?: string } }).data?.error ?? (error as Error).message}). Check SLACK_BOT_TOKEN.`,
      );
    }
    await services.authorizationIndex.start();
    await services.apiKeys.start();
    const expired = await services.grants.expireDue();
    if (expired > 0) logger.info({ expired }, 'ended grants that ran out while the bot was down');
    await background.start();
    configReload?.start();
    if (slack.socketMode) {
      try {
        await slack.app.start();
      } catch (error) {
        const code = (error as { data?: { error?: string }; code?: string }).data?.error ?? (error as Error).message;
        throw new StartupError(
          `Slack refused the Socket Mode connection (${code}). Check SLACK_APP_TOKEN: an app-level token with the connections:write scope.`,
        );
      }
    }
    const port = await listen(httpServer, config.PORT, config.HOST);
    listening = true;
    logger.info({ port, socketMode: slack.socketMode, database: database.kind }, 'access requests bot is running');
    return { port };
  }

  async function stop() {
    configReload?.stop();
    await background.stop();
    await services.authorizationIndex.stop().catch(() => undefined);
    await services.apiKeys.stop().catch(() => undefined);
    await services.requestApi.stop().catch(() => undefined);
    if (slack.socketMode) await slack.app.stop().catch(() => undefined);
    if (listening) await close(httpServer);
    listening = false;
    await database.close();
  }

  const {
    identity,
    requests,
    reviews,
    grants,
    offboarding,
    breakGlass,
    admin,
    home,
    authorizationIndex,
    apiKeys,
    personalTokens,
    requestApi,
    sessions,
    whoCan,
    accessReviews,
  } = services;
  return {
    start,
    stop,
    database,
    /** The HTTP port once started (0 before, or in Socket Mode without HTTP). */
    get port() {
      const address = listening ? httpServer.address() : null;
      return address && typeof address === 'object' ? address.port : 0;
    },
    services: {
      identity,
      requests,
      reviews,
      grants,
      offboarding,
      breakGlass,
      admin,
      home,
      notifications,
      provisioning,
      authorizationIndex,
      apiKeys,
      personalTokens,
      requestApi,
      sessions,
      groupSync,
      whoCan,
      accessReviews,
    },
    /** Reads ACCESS_CONFIG again and applies it (SIGHUP); null when the bot was started without a file path. */
    reloadAccessFile: (trigger: ReloadTrigger = 'sighup') => configReload?.reload(trigger) ?? Promise.resolve(null),
    /** Runs the outbox and expiry workers now and waits: for tests and the sandbox. */
    jobs: background.now,
  };
}

export type AccessApp = Awaited<ReturnType<typeof createAccessApp>>;
