import { PLACEHOLDER_GROUP_ID, type GroupSource } from '../../domain/group-source.js';
import type { Directory, ManagerDirectory, SettingSecrets } from '../../services/ports.js';
import { readSettings, type Settings } from './entra-provisioner.js';
import { graphConnections, type GraphClientOptions, type GraphConnection } from './graph-client.js';
import { statusOf } from './graph-errors.js';

/** Graph's least privileged application permission for reading another user's manager. */
export const MANAGER_PERMISSION = 'User.Read.All';

const SELECT = '$select=id,mail,userPrincipalName,displayName';

interface GraphPerson {
  id: string;
  mail?: string | null;
  userPrincipalName?: string | null;
}

/** Graph's 404 for a user without a manager names the property; for an unknown user it names the key. */
const noManager = (error: unknown) =>
  statusOf(error) === 404 && /Resource 'manager'/.test(String((error as { message?: unknown }).message));

/**
 * The requester's manager from Entra ID, with a group source's connection (its app registration):
 * `GET /users/{e-mail as userPrincipalName}/manager`, or, when no user has that UPN, the user whose
 * `mail` is the e-mail and then its manager; the manager's mail (else UPN) is matched to a Slack user by
 * e-mail. A failure is an answer with `failure`, never a throw: the request goes to the fallback.
 */
export function entraManagers(
  source: GroupSource,
  secrets: SettingSecrets,
  directory: Directory,
  options: GraphClientOptions = {},
): ManagerDirectory {
  const connections = graphConnections(options);
  let settings: Settings | undefined;
  const none = { slackId: null, source: 'Entra ID' as const };

  async function managerByKey(conn: GraphConnection, key: string): Promise<GraphPerson | null> {
    try {
      return (await conn.client
        .api(`/users/${encodeURIComponent(key)}/manager`)
        .query(SELECT)
        .get()) as GraphPerson;
    } catch (error) {
      if (noManager(error)) return null;
      throw error;
    }
  }

  async function managerOfEmail(conn: GraphConnection, email: string): Promise<GraphPerson | null> {
    try {
      return await managerByKey(conn, email);
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
    // No user has the e-mail as UPN (a UPN on another domain): find the one whose mail it is.
    const found = (await conn.client
      .api('/users')
      .query(`$filter=${encodeURIComponent(`mail eq '${email.replace(/'/g, "''")}'`)}&$select=id`)
      .get()) as { value: GraphPerson[] };
    const user = found.value[0];
    return user ? managerByKey(conn, user.id) : null;
  }

  return {
    async managerOf(userId) {
      const email = (await directory.person(userId)).email;
      if (!email) return none;
      try {
        settings ??= readSettings(
          secrets.resolveSettings({ ...source.connection, group_id: PLACEHOLDER_GROUP_ID.entra }),
        );
        const manager = await managerOfEmail(await connections(settings), email);
        if (!manager) return none;
        for (const address of [manager.mail, manager.userPrincipalName]) {
          const slackId = address ? await directory.userIdByEmail?.(address) : null;
          if (slackId) return { slackId, source: 'Entra ID' };
        }
        return none;
      } catch (error) {
        // A status, never the message: it may carry the tenant's URLs or a token.
        const status = statusOf(error);
        const signIn = /Authentication|Credential/.test((error as { name?: string }).name ?? '');
        return { ...none, failure: status > 0 ? `HTTP ${status}` : signIn ? 'sign-in refused' : 'not reachable' };
      }
    },
  };
}
