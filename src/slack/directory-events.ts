import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { OffboardingService } from '../services/offboarding.js';
import type { SlackDirectory } from './directory.js';

/** What the bot reads of a user_change event: the user object (the same as users.info's). */
const UserChangeSchema = z.object({ user: z.object({ id: z.string().min(1), deleted: z.boolean().optional() }) });

/**
 * user_change (users:read): a profile or account changed. The directory forgets the person, so the
 * next check asks Slack; on `deleted: true` the offboarding service ends their access (it asks Slack
 * again itself: the event is a hint, not authority). Slack retries an event it did not see acked; the
 * service finds nothing left to do the second time.
 */
export function userChangeHandler(
  directory: SlackDirectory,
  offboarding: Pick<OffboardingService, 'personLeft'>,
  logger: Logger,
) {
  return async ({ event }: { event: unknown }): Promise<void> => {
    const parsed = UserChangeSchema.safeParse(event);
    if (!parsed.success) return;
    const { id, deleted } = parsed.data.user;
    directory.personChanged(id);
    if (!deleted) return;
    const result = await offboarding.personLeft(id);
    logger.info({ slack_user: id, ...result }, 'user_change: a deactivated member was offboarded');
  };
}

const ids = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/**
 * Keeps the directory's user-group cache in step with Slack: subteam_members_changed and
 * subteam_updated (both come with the usergroups:read scope) say who joined or left, so a person
 * added to an approver group can approve at once instead of after the cache's minute, and the bot
 * does not have to ask usergroups.users.list (Tier 2) again to find out.
 */
export function registerDirectoryEvents(
  app: App,
  directory: SlackDirectory,
  logger: Logger,
  offboarding: Pick<OffboardingService, 'personLeft'>,
): void {
  app.event('user_change', userChangeHandler(directory, offboarding, logger));
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
    directory.groupChanged(
      s.id,
      s.date_delete ? { users: [] } : Array.isArray(s.users) ? { users: ids(s.users) } : null,
    );
  });
}
