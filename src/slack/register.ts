import type { App } from '@slack/bolt';
import { register as registerAdmin } from './admin/listeners.js';
import { register as registerBreakGlass } from './break-glass/listeners.js';
import type { SlackDeps } from './deps.js';
import { register as registerCommand } from './follow/access-command.js';
import { register as registerHome } from './home/listeners.js';
import { register as registerMyRequests } from './request/my-request-listeners.js';
import { register as registerRequest } from './request/listeners.js';
import { register as registerReview } from './review/listeners.js';

/** Wires every Slack listener; unexpected errors that escape a listener end up in app.error. */
export function registerSlack(app: App, deps: SlackDeps) {
  registerCommand(app, deps);
  registerRequest(app, deps);
  registerMyRequests(app, deps);
  registerReview(app, deps);
  registerHome(app, deps);
  registerAdmin(app, deps);
  registerBreakGlass(app, deps);
  app.error(async (error) => {
    deps.logger.error({ err: error }, 'unhandled error in a Slack listener');
  });
}
