import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { AppError } from '../domain/errors.js';
import type { Directory, Person, UserGroup } from '../services/ports.js';

interface Cached<T> {
  value: T;
  until: number;
}

/**
 * Users and user groups from Slack, cached briefly: membership changes show up within `ttlMs`, and a
 * busy approval queue does not spend Slack's Tier 2 budget for usergroups.users.list.
 */
export function createSlackDirectory(client: WebClient, opts: { ttlMs?: number; now?: () => number; logger?: Pick<Logger, 'warn'> } = {}): Directory {
  const ttlMs = opts.ttlMs ?? 60_000;
  const now = opts.now ?? (() => Date.now());
  const people = new Map<string, Cached<Person>>();
  const groups = new Map<string, Cached<string[]>>();
  const groupList = new Map<string, Cached<UserGroup[]>>();
  // Free workspaces have no user groups (usergroups.* answer plan_upgrade_required): every group is
  // empty, so flows naming one match nobody through it and people named by user id still get through.
  let groupsUnavailable = false;
  const noUserGroups = (e: unknown): boolean => {
    if (errorCode(e) !== 'plan_upgrade_required') return false;
    if (!groupsUnavailable) opts.logger?.warn({ slack_error: 'plan_upgrade_required' }, 'This Slack workspace has no user groups (they need a paid plan): flows match people by user id only');
    groupsUnavailable = true;
    return true;
  };

  async function cached<T>(map: Map<string, Cached<T>>, key: string, load: () => Promise<T>): Promise<T> {
    const hit = map.get(key);
    if (hit && hit.until > now()) return hit.value;
    const value = await load();
    map.set(key, { value, until: now() + ttlMs });
    return value;
  }

  const directory: Directory = {
    person: (userId) =>
      cached(people, userId, async () => {
        try {
          const { user } = await client.users.info({ user: userId });
          if (!user?.id) throw new AppError('not_allowed', `Unknown user ${userId}`);
          return {
            id: user.id,
            name: user.real_name || user.name || user.id,
            isGuest: Boolean(user.is_restricted || user.is_ultra_restricted),
            isWorkspaceAdmin: Boolean(user.is_admin || user.is_owner || user.is_primary_owner),
            deleted: Boolean(user.deleted),
            isBot: Boolean(user.is_bot),
            email: user.profile?.email ?? null,
          };
        } catch (e) {
          if ((e as { data?: { error?: string } }).data?.error === 'user_not_found') throw new AppError('not_allowed', `Unknown user ${userId}`);
          throw e;
        }
      }),
    groupMembers: (groupId) =>
      cached(groups, groupId, async () => {
        try {
          const res = await client.usergroups.users.list({ usergroup: groupId });
          return res.users ?? [];
        } catch (e) {
          // A deleted or unknown group has no members; a flow naming it simply matches nobody.
          if (errorCode(e) === 'no_such_subteam' || noUserGroups(e)) return [];
          throw e;
        }
      }),
    groups: () =>
      cached(groupList, 'all', async () => {
        try {
          const res = await client.usergroups.list({ include_disabled: false });
          groupsUnavailable = false;
          return (res.usergroups ?? []).filter((g) => g.id).map((g) => ({ id: g.id!, handle: g.handle ?? '', name: g.name ?? g.handle ?? g.id! }));
        } catch (e) {
          if (noUserGroups(e)) return [];
          throw e;
        }
      }),
    userGroupsAvailable: async () => {
      await directory.groups();
      return !groupsUnavailable;
    },
  };
  return directory;
}

const errorCode = (e: unknown) => (e as { data?: { error?: string } }).data?.error;
