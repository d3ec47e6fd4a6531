import { FakeSlack, type FakeSlackOptions } from '../../doubles/slack/fake-slack.js';
import { SLACK_DEADLINES_AS_HANG_GUARDS } from '../../doubles/support/until.js';
import { APP_SCOPES } from './app-scopes.js';
import { GROUPS, USERS } from './workspace.js';

export const BOT_TOKEN = 'xoxb-1111-2222-testtokensecret';

/**
 * The suite's Slack double: the sample workspace's people and groups, the token's scopes as manifest.yml asks
 * for them, and Slack's 3 s deadlines as hang guards (doubles/support/until.ts). `extra` adds or overrides.
 */
export function startWorkspaceSlack(extra: Partial<FakeSlackOptions> = {}): Promise<FakeSlack> {
  return FakeSlack.start({
    ...SLACK_DEADLINES_AS_HANG_GUARDS,
    botToken: BOT_TOKEN,
    scopes: APP_SCOPES,
    users: USERS,
    usergroups: GROUPS,
    ...extra,
  });
}
