import type { Logger } from 'pino';
import type { AccessReviewService } from '../services/access-review-service.js';
import type { AdminService } from '../services/admin-service.js';
import type { BundleAdmin } from '../services/bundle-admin.js';
import type { ApiKeyService } from '../services/api-key-service.js';
import type { AuditViewService } from '../services/audit-view-service.js';
import type { BreakGlassService } from '../services/break-glass-service.js';
import type { GrantService } from '../services/grant-service.js';
import type { HomeService } from '../services/home-service.js';
import type { IdentityService } from '../services/identity-service.js';
import type { PersonalTokenService } from '../services/personal-token-service.js';
import type { ProfileService } from '../services/profile-service.js';
import type { ExtensionService } from '../services/extension-service.js';
import type { RequestActions } from '../services/request-actions.js';
import type { RequestService } from '../services/request-service.js';
import type { ReviewService } from '../services/review-service.js';
import type { WhoCanService } from '../services/who-can-service.js';

/** What the Slack adapter needs: use cases only, never the database. */
export interface SlackDeps {
  requests: RequestService;
  reviews: ReviewService;
  grants: GrantService;
  admin: AdminService;
  /** Bundles made and changed in App Home (services/bundle-admin.ts). */
  bundleAdmin: BundleAdmin;
  home: HomeService;
  profile: ProfileService;
  actions: RequestActions;
  extensions: ExtensionService;
  breakGlass: BreakGlassService;
  apiKeys: ApiKeyService;
  /** People's own tokens for the request API, the CLI and MCP (`/access token`, App Home). */
  personalTokens: PersonalTokenService;
  audit: AuditViewService;
  /** Who may request and approve a resource, and why (`/access whocan|explain`, App Home). */
  whoCan: WhoCanService;
  /** Identity linking and step-up sign-ins (OpenID Connect). */
  identity: IdentityService;
  /** Access reviews: decisions and pages of the reviewers' DMs, the lists App Home shows. */
  accessReviews: AccessReviewService;
  /** A signed, short-lived link to a request's full audit record. */
  auditLink: (requestId: string) => string;
  logger: Logger;
  clock: { now(): Date };
}
