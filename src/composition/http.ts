import type { RequestListener } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { ping, type Database } from '../db/client.js';
import { accessReviewRoutes } from '../http/access-review-api.js';
import { auditPageRoutes } from '../http/audit-page.js';
import { exportReview } from '../services/access-review-export.js';
import { authorizationRoutes } from '../http/authorization-api.js';
import { healthRoute, livenessRoute } from '../http/health.js';
import { mcpRoutes } from '../http/mcp-route.js';
import { metricsRoute } from '../http/metrics.js';
import { authenticatePerson } from '../http/person-auth.js';
import { deviceLoginRoutes } from '../http/device-login-routes.js';
import { createHttpServer, type Route } from '../http/server.js';
import { oidcRoutes } from '../http/oidc-routes.js';
import { openApiRoute } from '../http/openapi.js';
import { requestApiRoutes } from '../http/requests-api.js';
import { sessionRoutes } from '../http/sessions-api.js';
import { whoCanRoutes } from '../http/who-can-api.js';
import type { SignInTokens } from '../http/sign-in-token.js';
import type { LinkSigner } from '../http/signed-link.js';
import { guardSlackRequests } from '../http/slack-guard.js';
import type { PrometheusMetrics } from '../observability/prometheus-metrics.js';
import type { Services } from './services.js';

/**
 * The one HTTP server: Slack's events (signature, replay and clock checks before Bolt sees them, see
 * http/slack-guard.ts), health and liveness, metrics, the gateways' API, session reports, the request API
 * (personal tokens) and its OpenAPI document, the MCP server (/mcp, the same tokens), audit pages, the OpenID Connect sign-in.
 */
export function buildHttpServer(input: {
  config: Config;
  logger: Logger;
  database: Database;
  metrics: PrometheusMetrics;
  services: Services;
  signer: LinkSigner;
  signInTokens: SignInTokens;
  publicUrl: () => string;
  slackListener: RequestListener | null;
  extraRoutes: Route[];
}) {
  const { config, services } = input;
  const verify = (header: string | undefined) => services.apiKeys.verify(header);
  return createHttpServer(
    input.slackListener ? guardSlackRequests(input.slackListener, config.SLACK_SIGNING_SECRET, input.logger) : null,
    [
      healthRoute(() => ping(input.database.db)),
      livenessRoute(),
      metricsRoute(input.metrics.registry, config.METRICS_TOKEN),
      ...authorizationRoutes(services.authorizationIndex, { verify }),
      ...sessionRoutes(services.sessions, { verify }),
      ...whoCanRoutes(services.whoCan, { verify }),
      ...accessReviewRoutes((id) => exportReview(input.database.db, id), { verify }),
      ...requestApiRoutes({ tokens: services.personalTokens, api: services.requestApi, logger: input.logger }),
      openApiRoute(),
      ...mcpRoutes({
        authenticate: (req, res) => authenticatePerson(req, res, services.personalTokens),
        apiFor: services.requestApi,
        publicUrl: input.publicUrl,
        listenHost: config.HOST,
        logger: input.logger,
      }),
      ...auditPageRoutes(services.audit, input.signer),
      ...oidcRoutes(services.identity, input.signInTokens, input.logger, () => input.publicUrl().startsWith('https:')),
      ...deviceLoginRoutes(services.deviceLogin, input.logger),
      ...input.extraRoutes,
    ],
    input.logger,
  );
}
