import type { Client, User } from '@okta/okta-sdk-nodejs';
import { PLACEHOLDER_GROUP_ID, type GroupSource } from '../../domain/group-source.js';
import type { Directory, ManagerDirectory, SettingSecrets } from '../../services/ports.js';
import { oktaClients, type OktaClientOptions } from './okta-client.js';
import { readSettings, type Settings } from './okta-provisioner.js';

/** Reading a user's profile is all the manager look-up does. */
export const MANAGER_SCOPES = ['okta.users.read'];

const status = (e: unknown) => Number((e as { status?: unknown }).status);

/**
 * The requester's manager from Okta, with a group source's connection (its credentials): the requester's
 * Okta user by their Slack e-mail (as login), its profile's `managerId` (an Okta user id or login; the
 * `manager` attribute when no id is set), that user's e-mail, and the Slack user with that e-mail.
 * A failure is an answer with `failure`, never a throw: the request goes to the fallback.
 */
export function oktaManagers(
  source: GroupSource,
  secrets: SettingSecrets,
  directory: Directory,
  options: OktaClientOptions = {},
): ManagerDirectory {
  const clientFor = oktaClients({ ...options, scopes: MANAGER_SCOPES });
  let settings: Settings | undefined;
  const none = { slackId: null, source: 'Okta' as const };

  async function user(client: Client, idOrLogin: string): Promise<User | null> {
    try {
      return await client.userApi.getUser({ userId: idOrLogin });
    } catch (error) {
      if (status(error) === 404) return null;
      throw error;
    }
  }

  return {
    async managerOf(userId) {
      const email = (await directory.person(userId)).email;
      if (!email) return none;
      try {
        settings ??= readSettings(
          secrets.resolveSettings({ ...source.connection, group_id: PLACEHOLDER_GROUP_ID.okta }),
        );
        const client = await clientFor(settings);
        const profile = ((await user(client, email))?.profile ?? {}) as Record<string, unknown>;
        const ref = [profile.managerId, profile.manager].find((v): v is string => typeof v === 'string' && v !== '');
        if (!ref) return none;
        const manager = await user(client, ref);
        const managerEmail = manager?.profile?.email;
        if (!managerEmail) return none;
        return { slackId: (await directory.userIdByEmail?.(managerEmail)) ?? null, source: 'Okta' };
      } catch (error) {
        // A status, never the message: it may carry the org's URL with a token in a header dump.
        return { ...none, failure: status(error) ? `HTTP ${status(error)}` : 'not reachable' };
      }
    },
  };
}
