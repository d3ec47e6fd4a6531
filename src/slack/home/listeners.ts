import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { SlackDeps } from '../deps.js';
import { describeFailure } from '../reply.js';
import { buildHomeView } from './home-view.js';

export async function publishHome(deps: SlackDeps, client: WebClient, userId: string) {
  const [mine, toReview] = await Promise.all([deps.requests.listMine(userId, 30), deps.requests.pendingFor(userId, 21)]);
  await client.views.publish({ user_id: userId, view: buildHomeView({ mine, toReview }) });
}

export function register(app: App, deps: SlackDeps) {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    try {
      await publishHome(deps, client, event.user);
    } catch (error) {
      describeFailure(deps.logger, error, { action: 'home.open', slack_user: event.user });
    }
  });
}
