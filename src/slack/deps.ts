import type { Logger } from 'pino';
import type { GrantService } from '../services/grant-service.js';
import type { RequestService } from '../services/request-service.js';
import type { ReviewService } from '../services/review-service.js';

/** What the Slack adapter needs: use cases only, never the database. */
export interface SlackDeps {
  requests: RequestService;
  reviews: ReviewService;
  grants: GrantService;
  logger: Logger;
  clock: { now(): Date };
}
