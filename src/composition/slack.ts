import { WebClientEvent } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import { isAppError } from '../domain/errors.js';
import { routeOutbox, routeOutboxBatches } from '../domain/outbox.js';
import type { PrometheusMetrics } from '../observability/prometheus-metrics.js';
import { createLifecycleJobs } from '../services/lifecycle-jobs.js';
import { createNotificationService } from '../services/notification-service.js';
import type { ServiceDeps } from '../services/deps.js';
import { createProvisioningService } from '../services/provisioning-service.js';
import { createAdminNotices } from '../services/admin-notices.js';
import { createAccessReviewJobs } from '../services/access-review-jobs.js';
import { createReviewMessenger } from '../slack/access-review/review-messenger.js';
import { createBundleMessenger } from '../slack/request/bundle-messenger.js';
import { createBundleNotices } from '../services/bundle-notices.js';
import { createSlackClients } from '../slack/clients.js';
import type { SlackDeps } from '../slack/deps.js';
import { createSlackDirectory } from '../slack/directory.js';
import { registerDirectoryEvents } from '../slack/directory-events.js';
import { publishHome } from '../slack/home/listeners.js';
import { createSlackMessenger } from '../slack/messenger.js';
import { createPacer, slackBudgets } from '../slack/pacer.js';
import { registerSlack } from '../slack/register.js';
import type { Services } from './services.js';

/** Bolt (HTTP receiver or Socket Mode), the Web API clients and the directory of people and groups. */
export function buildSlackClients(
  config: Config,
  logger: Logger,
  metrics: PrometheusMetrics,
  botIdentity?: { botId: string; botUserId: string },
  ackTimeoutMs?: number,
) {
  const clients = createSlackClients(config, logger, metrics.slackCall, botIdentity, ackTimeoutMs);
  return { ...clients, directory: createSlackDirectory(clients.directoryClient, { logger }) };
}

export type SlackClients = ReturnType<typeof buildSlackClients>;

/** The use cases Slack's listeners call, and nothing else of Services. */
const LISTENER_SERVICES = [
  'requests',
  'reviews',
  'grants',
  'admin',
  'bundleAdmin',
  'home',
  'profile',
  'actions',
  'extensions',
  'breakGlass',
  'apiKeys',
  'personalTokens',
  'audit',
  'identity',
  'accessReviews',
  'whoCan',
] as const satisfies readonly (keyof Services)[];

function pickServices<K extends keyof Services>(services: Services, keys: readonly K[]): Pick<Services, K> {
  return Object.fromEntries(keys.map((k) => [k, services[k]])) as Pick<Services, K>;
}

/**
 * What reaches people through Slack: the paced messenger, the services that speak through it
 * (notifications, provisioning, lifecycle), the outbox router over their handlers, and every listener.
 */
export function buildSlackSide(input: {
  config: Config;
  logger: Logger;
  database: Database;
  deps: ServiceDeps;
  clients: SlackClients;
  services: Services;
  auditLink: (requestId: string) => string;
}) {
  const { config, logger, deps, clients, services } = input;
  const { app, background, directory } = clients;
  // Use cases only: the listeners never see the database, the sessions store or the provisioners.
  const slackDeps: SlackDeps = {
    ...pickServices(services, LISTENER_SERVICES),
    auditLink: input.auditLink,
    logger,
    clock: deps.clock,
  };
  const pacer = createPacer(slackBudgets(config.SLACK_UPDATES_PER_MINUTE, config.SLACK_HOME_PUBLISHES_PER_MINUTE));
  // Every 429 pauses that method for all callers, not just the one WebClient retried.
  for (const client of [app.client, background])
    client.on(WebClientEvent.RATE_LIMITED, (retrySec: number, { url }: { url: string }) =>
      pacer.pause(url.split('/').pop() ?? '', retrySec),
    );
  const messenger = createSlackMessenger(
    background,
    logger,
    (userId) => publishHome(slackDeps, background, userId),
    pacer,
  );
  const bundleNotices = createBundleNotices(input.database.db, createBundleMessenger(background, logger, pacer));
  const notifications = createNotificationService(
    input.database.db,
    messenger,
    {
      admins: config.ACCESS_ADMINS,
      person: async (userId) => {
        try {
          return await directory.person(userId);
        } catch (e) {
          if (isAppError(e) && e.code === 'not_allowed') return null; // Slack does not know this user
          throw e;
        }
      },
    },
    bundleNotices.refresh,
  );
  const provisioning = createProvisioningService(deps, messenger);
  const lifecycle = createLifecycleJobs(deps, messenger);
  // One handler per topic: a topic added to domain/outbox.ts without one here fails to compile.
  const adminNotices = createAdminNotices(deps, messenger);
  const reviewJobs = createAccessReviewJobs(deps, createReviewMessenger(background, logger, pacer), (userId) =>
    messenger.refreshHome(userId),
  );
  const deliver = routeOutbox({
    ...notifications.handlers,
    ...provisioning.handlers,
    ...lifecycle.handlers,
    ...adminNotices.handlers,
    ...reviewJobs.handlers,
    ...bundleNotices.handlers,
  });
  // Topics whose items are handled many at a time (a burst of expiries' removals).
  const deliverMany = routeOutboxBatches({ ...provisioning.batchHandlers });
  registerSlack(app, slackDeps);
  registerDirectoryEvents(app, directory, logger, services.offboarding);
  return { notifications, provisioning, lifecycle, reviewJobs, deliver, deliverMany };
}
