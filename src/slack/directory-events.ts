import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import type { SlackDirectory } from './directory.js';

const ids = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/**
 * Keeps the directory's user-group cache in step with Slack: subteam_members_changed and
 * subteam_updated (both come with the usergroups:read scope) say who joined or left, so a person
 * added to an approver group can approve at once instead of after the cache's minute, and the bot
 * does not have to ask usergroups.users.list (Tier 2) again to find out.
 */
export function registerDirectoryEvents(app: App, directory: SlackDirectory, logger: Logger): void {
  app.event('subteam_members_changed', async ({ event }) => {
    const e = event as unknown as { subteam_id?: string; added_users?: unknown; removed_users?: unknown };
    if (!e.subteam_id) return;
    directory.groupChanged(e.subteam_id, { added: ids(e.added_users), removed: ids(e.removed_users) });
    logger.debug({ group: e.subteam_id }, 'user group members changed');
  });
  app.event('subteam_updated', async ({ event }) => {
    const s = (event as unknown as { subteam?: { id?: string; users?: unknown; date_delete?: number } }).subteam;
    if (!s?.id) return;
    // A disabled group matches nobody; without a member list the next check asks Slack.
    directory.groupChanged(s.id, s.date_delete ? { users: [] } : Array.isArray(s.users) ? { users: ids(s.users) } : null);
  });
}
