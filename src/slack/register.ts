import type { App } from '@slack/bolt';
import { register as registerAccessReviews } from './access-review/listeners.js';
import { register as registerAdmin } from './admin/listeners.js';
import { register as registerBundleAdmin } from './admin/bundle-listeners.js';
import { register as registerBreakGlass } from './break-glass/listeners.js';
import type { SlackDeps } from './deps.js';
import { register as registerCommand } from './access-command/access-command.js';
import { register as registerHome } from './home/listeners.js';
import { register as registerIdentity } from './identity/sign-in-prompt.js';
import { register as registerMyRequests } from './request/my-request-listeners.js';
import { register as registerRequest } from './request/listeners.js';
import { register as registerReview } from './review/listeners.js';
import { register as registerWhoCan } from './home/who-can-modal.js';

/** Wires every Slack listener; unexpected errors that escape a listener end up in app.error. */
export function registerSlack(app: App, deps: SlackDeps) {
  registerCommand(app, deps);
  registerRequest(app, deps);
  registerMyRequests(app, deps);
  registerReview(app, deps);
  registerHome(app, deps);
  registerAdmin(app, deps);
  registerBundleAdmin(app, deps);
  registerBreakGlass(app, deps);
  registerIdentity(app, deps);
  registerWhoCan(app, deps);
  registerAccessReviews(app, deps);
  // Slack sends block_actions for link buttons too ("Open the full record" in the audit modal); with no
  // listener Bolt answered 404 after 3 s and Slack marked the click as failed (test/hostile/fuzz-payloads).
  app.action('audit.open_page', async ({ ack }) => ack());
  app.error(async (error) => {
    deps.logger.error({ err: error }, 'unhandled error in a Slack listener');
  });
}
