import type { Logger } from 'pino';
import type { Database } from '../db/client.js';
import { createPostgresActivity } from '../provisioners/postgres/activity.js';
import { createAccessReviewService } from '../services/access-review-service.js';
import { createAdminService } from '../services/admin-service.js';
import { createBundleAdmin } from '../services/bundle-admin.js';
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
import { createPersonalTokenService } from '../services/personal-token-service.js';
import { createProfileService } from '../services/profile-service.js';
import { createRequestActions } from '../services/request-actions.js';
import { createRequestApi } from '../services/request-api.js';
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
  const actions = createRequestActions(deps);
  const grants = createGrantService(deps);
  const extensions = createExtensionService(deps);
  const personalTokens = createPersonalTokenService(deps);
  return {
    identity: createIdentityService(deps, signIn.provider, signIn.link),
    deviceLogin: createDeviceLoginService(deps, signIn.provider, signIn.cliClientId, personalTokens),
    requests,
    reviews: createReviewService(deps),
    grants,
    offboarding: createOffboardingService(deps),
    breakGlass,
    admin,
    bundleAdmin: createBundleAdmin(deps),
    home: createHomeService(deps, requests, admin, breakGlass, accessReviews, personalTokens),
    profile: createProfileService(deps),
    actions,
    extensions,
    apiKeys: createApiKeyService(database, admin, deps.clock, logger),
    personalTokens,
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
    /** The request API as one person sees it (HTTP routes, MCP): `requestApi(principal)`. */
    requestApi: createRequestApi({
      deps,
      requests,
      actions,
      grants,
      extensions,
      listen: (channel, onMessage) => database.listen(channel, onMessage),
      logger,
    }),
  };
}

export type Services = ReturnType<typeof buildServices>;
