import type { Logger } from 'pino';
import type { Database } from '../db/client.js';
import { createPostgresActivity } from '../provisioners/postgres/activity.js';
import { createAccessReviewService } from '../services/access-review-service.js';
import { createAdminService } from '../services/admin-service.js';
import { createApiKeyService } from '../services/api-key-service.js';
import { createAuditViewService } from '../services/audit-view-service.js';
import { createAuthorizationIndex } from '../services/authorization-index.js';
import { createBreakGlassService } from '../services/break-glass-service.js';
import { createExtensionService } from '../services/extension-service.js';
import { createGrantService } from '../services/grant-service.js';
import { createHomeService } from '../services/home-service.js';
import { createDeviceLoginService } from '../services/device-login-service.js';
import { createIdentityService } from '../services/identity-service.js';
import { createOffboardingService } from '../services/offboarding.js';
import type { ServiceDeps } from '../services/deps.js';
import { createProfileService } from '../services/profile-service.js';
import { createRequestActions } from '../services/request-actions.js';
import { createRequestService } from '../services/request-service.js';
import { createReviewService } from '../services/review-service.js';
import { createSessionCapture } from '../services/session-capture.js';
import { createSessionService } from '../services/session-service.js';
import { createWhoCanService } from '../services/who-can-service.js';

/**
 * Every use case, on the same ports. Those that tell people something (notifications, provisioning,
 * lifecycle jobs) need the Slack messenger and are built with it (composition/slack.ts).
 */
export function buildServices(
  deps: ServiceDeps,
  database: Database,
  logger: Logger,
  /**
   * OpenID Connect: the provider (null when not configured), the sign-in link for one person, and the CLI's
   * device-login client (OIDC_CLI_CLIENT_ID, null when not set).
   */
  signIn: {
    provider: Parameters<typeof createIdentityService>[1];
    link: Parameters<typeof createIdentityService>[2];
    cliClientId: string | null;
  },
) {
  const requests = createRequestService(deps);
  const admin = createAdminService(deps);
  const breakGlass = createBreakGlassService(deps);
  const sessions = createSessionService(database.db, deps.clock);
  const accessReviews = createAccessReviewService(deps);
  return {
    identity: createIdentityService(deps, signIn.provider, signIn.link),
    // The personal tokens it issues come with the request API (services/personal-token-service.ts).
    deviceLogin: createDeviceLoginService(deps, signIn.provider, signIn.cliClientId, null),
    requests,
    reviews: createReviewService(deps),
    grants: createGrantService(deps),
    offboarding: createOffboardingService(deps),
    breakGlass,
    admin,
    home: createHomeService(deps, requests, admin, breakGlass, accessReviews),
    profile: createProfileService(deps),
    actions: createRequestActions(deps),
    extensions: createExtensionService(deps),
    apiKeys: createApiKeyService(database, admin, deps.clock, logger),
    sessions,
    capture: createSessionCapture({
      db: database.db,
      sessions,
      activity: createPostgresActivity(deps.secrets),
      logger,
    }),
    audit: createAuditViewService(deps, () => sessions),
    whoCan: createWhoCanService(deps),
    authorizationIndex: createAuthorizationIndex(database, deps.clock, logger),
    accessReviews,
  };
}

export type Services = ReturnType<typeof buildServices>;
