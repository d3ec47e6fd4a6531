import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { HOME_TABS, type HomeTab } from '../../services/home-service.js';
import type { SlackDeps } from '../deps.js';
import { TOKEN_ID } from '../../domain/personal-token.js';
import { HomeNav, TokenIds } from '../ids.js';
import { describeFailure } from '../reply.js';
import { publishHome, sawHome } from './publish.js';

export { publishHome } from './publish.js';

/** "flows:2" -> { tab: 'flows', page: 2 }; anything else -> the person's own tab. */
export function parsePlace(value: string | undefined): { tab: HomeTab; page: number } {
  const [tab, page] = (value ?? '').split(':');
  const known = (HOME_TABS as readonly string[]).includes(tab ?? '') ? (tab as HomeTab) : 'mine';
  return { tab: known, page: /^\d{1,5}$/.test(page ?? '') ? Number(page) : 0 };
}

export function register(app: App, deps: SlackDeps) {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    // The event carries the view now shown (Slack sends its hash, the type leaves it out).
    sawHome(deps, event.user, (event.view as { hash?: string } | undefined)?.hash);
    try {
      await publishHome(deps, client, event.user, { opened: true });
    } catch (error) {
      describeFailure(deps.logger, error, { action: 'home.open', slack_user: event.user });
    }
  });

  // Tabs and pages: the home service shows admin tabs to admins only, whatever the click says.
  app.action<BlockAction<ButtonAction>>(
    { action_id: new RegExp(`^(${HomeNav.tabPrefix.replace('.', '\\.')}|home\\.page\\.)`) },
    async ({ ack, body, action, client }) => {
      await ack();
      if (body.view?.type === 'home') sawHome(deps, body.user.id, body.view.hash);
      try {
        const place = parsePlace(action.action_id.startsWith(HomeNav.tabPrefix) ? `${action.value}:0` : action.value);
        await deps.home.go(body.user.id, place.tab, place.page);
        await publishHome(deps, client, body.user.id);
      } catch (error) {
        describeFailure(deps.logger, error, { action: 'home.navigate', slack_user: body.user.id });
      }
    },
  );

  // Revoke in "Your tokens": the button carries the token's id only; the service re-checks that the clicker
  // owns it (or is an admin), and a second click (or a stale view) changes nothing.
  app.action<BlockAction<ButtonAction>>(TokenIds.revokeButton, async ({ ack, body, action, client }) => {
    await ack();
    if (body.view?.type === 'home') sawHome(deps, body.user.id, body.view.hash);
    try {
      if (TOKEN_ID.test(action.value ?? '')) await deps.personalTokens.revoke(body.user.id, action.value!);
      await publishHome(deps, client, body.user.id);
    } catch (error) {
      describeFailure(deps.logger, error, { action: 'home.token_revoke', slack_user: body.user.id });
    }
  });
}
