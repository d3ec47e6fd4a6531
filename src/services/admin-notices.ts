import type { OutboxHandlers } from '../domain/outbox.js';
import { adminIdsOf } from './identity.js';
import type { Messenger } from './ports-messengers.js';
import type { ServiceDeps } from './deps.js';

/**
 * What admins hear about each other's changes: a resource's target or credentials changed; and a changed
 * ACCESS_CONFIG that the running bot refused (every admin: nobody in Slack made that change). Sent from the
 * outbox after the change committed; the admin who made it is not told.
 */
export function createAdminNotices(deps: Pick<ServiceDeps, 'directory' | 'admins'>, messenger: Messenger) {
  const handlers: Pick<OutboxHandlers, 'admins.target_changed' | 'admins.config_refused'> = {
    async 'admins.target_changed'(item) {
      const change = item.payload;
      const others = (await adminIdsOf(deps.directory, deps.admins)).filter((id) => id !== change.actorId);
      for (const adminId of others) await messenger.postTargetChange(adminId, change);
    },
    async 'admins.config_refused'(item) {
      for (const adminId of await adminIdsOf(deps.directory, deps.admins))
        await messenger.postConfigRefused(adminId, item.payload);
    },
  };
  return { handlers };
}
