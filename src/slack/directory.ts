import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { AppError } from '../domain/errors.js';
import type { Directory, Person, UserGroup } from '../services/ports.js';
import { slackErrorCode } from './slack-error.js';

interface Cached<T> {
  value: T;
  until: number;
}

/** What a subteam_updated / subteam_members_changed event says about a group's members. */
/** `null`: something changed, the event did not say what (the next check asks Slack). */
export type GroupChange = { users: string[] } | { added: string[]; removed: string[] } | null;

export interface SlackDirectory extends Directory {
  /** Applies a membership change Slack announced, so the next check sees it without waiting for the cache. */
  groupChanged(groupId: string, change: GroupChange): void;
  /** Forgets what it knew of a person (a user_change event): the next check asks Slack. */
  personChanged(userId: string): void;
}

/**
 * Users and user groups from Slack, cached briefly: membership changes show up within `ttlMs` (at
 * once when the subteam events arrive), and a busy approval queue does not spend Slack's Tier 2
 * budget for usergroups.users.list (about 20 a minute per workspace). Simultaneous misses for one key
 * share one call. An answer older than `ttlMs` but younger than `staleMs` is used once more while a
 * refresh runs (so a check can be a step behind Slack when the subteam events are not delivered).
 * When a refresh fails (a 429 that outlasted WebClient's retry, a 500) the last answer is used: a
 * person's modal should not fail because Slack asked us to slow down.
 */
export function createSlackDirectory(
  client: WebClient,
  opts: { ttlMs?: number; now?: () => number; staleMs?: number; logger?: Pick<Logger, 'warn'> } = {},
): SlackDirectory {
  const ttlMs = opts.ttlMs ?? 60_000;
  const now = opts.now ?? (() => Date.now());
  const staleMs = opts.staleMs ?? 10 * 60_000;
  const people = new Map<string, Cached<Person>>();
  const groups = new Map<string, Cached<string[]>>();
  const groupList = new Map<string, Cached<UserGroup[]>>();
  const byEmail = new Map<string, Cached<string | null>>();
  const inFlight = new Map<Map<string, unknown>, Map<string, Promise<unknown>>>();
  // Bumped by an event: a lookup that started before it must not overwrite what the event said.
  const generation = new Map<string, number>();
  // Free workspaces have no user groups (usergroups.* answer plan_upgrade_required): every group is
  // empty, so flows naming one match nobody through it and people named by user id still get through.
  let groupsUnavailable = false;
  const noUserGroups = (e: unknown): boolean => {
    if (slackErrorCode(e) !== 'plan_upgrade_required') return false;
    if (!groupsUnavailable)
      opts.logger?.warn(
        { slack_error: 'plan_upgrade_required' },
        'This Slack workspace has no user groups (they need a paid plan): flows match people by user id only',
      );
    groupsUnavailable = true;
    return true;
  };

  function cached<T>(map: Map<string, Cached<T>>, key: string, fresh: boolean, load: () => Promise<T>): Promise<T> {
    const hit = map.get(key);
    if (fresh) return fetchShared(map, key, hit, load);
    if (hit && hit.until > now()) return Promise.resolve(hit.value);
    const refresh = fetchShared(map, key, hit, load);
    if (hit && hit.until + staleMs > now()) {
      // Stale but recent: answer now and refresh behind it. The checks on a modal's submit run before
      // Slack's 3 s ack and must not wait on Slack; the form open before them filled the cache.
      refresh.catch(() => undefined);
      return Promise.resolve(hit.value);
    }
    return refresh;
  }

  function fetchShared<T>(
    map: Map<string, Cached<T>>,
    key: string,
    hit: Cached<T> | undefined,
    load: () => Promise<T>,
  ): Promise<T> {
    let pending = inFlight.get(map);
    if (!pending) inFlight.set(map, (pending = new Map()));
    const shared = pending.get(key) as Promise<T> | undefined;
    if (shared) return shared;
    const startedAt = generation.get(key) ?? 0;
    const call = (async () => {
      try {
        const value = await load();
        if ((generation.get(key) ?? 0) === startedAt) map.set(key, { value, until: now() + ttlMs });
        return value;
      } catch (error) {
        if (hit && !(error instanceof AppError)) return hit.value;
        throw error;
      } finally {
        pending.delete(key);
      }
    })();
    pending.set(key, call);
    return call;
  }

  const fieldIds = new Map<string, Cached<Map<string, string>>>();
  /** A custom profile field's id by its label (team.profile.get, cached like the rest); null when none. */
  async function fieldIdOf(label: string): Promise<string | null> {
    const byLabel = await cached(fieldIds, 'all', false, async () => {
      const { profile } = await client.team.profile.get();
      return new Map((profile?.fields ?? []).flatMap((f) => (f.id && f.label ? [[f.label.toLowerCase(), f.id]] : [])));
    });
    return byLabel.get(label.trim().toLowerCase()) ?? null;
  }

  const directory: SlackDirectory = {
    person: (userId, opts) =>
      cached(people, userId, opts?.fresh === true, async () => {
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
          if (slackErrorCode(e) === 'user_not_found') throw new AppError('not_allowed', `Unknown user ${userId}`);
          throw e;
        }
      }),
    groupMembers: (groupId) =>
      cached(groups, groupId, false, async () => {
        try {
          const res = await client.usergroups.users.list({ usergroup: groupId });
          return res.users ?? [];
        } catch (e) {
          // A deleted or unknown group has no members; a flow naming it simply matches nobody.
          if (slackErrorCode(e) === 'no_such_subteam' || noUserGroups(e)) return [];
          throw e;
        }
      }),
    groups: () =>
      cached(groupList, 'all', false, async () => {
        try {
          // Disabled ones too (date_delete > 0), marked: App Home says which flows name a disabled group.
          const res = await client.usergroups.list({ include_disabled: true });
          groupsUnavailable = false;
          return (res.usergroups ?? [])
            .filter((g) => g.id)
            .map((g) => ({
              id: g.id!,
              handle: g.handle ?? '',
              name: g.name ?? g.handle ?? g.id!,
              ...(g.date_delete ? { disabled: true } : {}),
            }));
        } catch (e) {
          if (noUserGroups(e)) return [];
          throw e;
        }
      }),
    // On-call people map to Slack users by e-mail (users:read.email); an unknown e-mail is nobody.
    userIdByEmail: (email) =>
      cached(byEmail, email.toLowerCase(), false, async () => {
        try {
          const { user } = await client.users.lookupByEmail({ email });
          return user?.id && !user.deleted ? user.id : null;
        } catch (e) {
          if (slackErrorCode(e) === 'users_not_found') return null;
          throw e;
        }
      }),
    async profileField(userId, field) {
      const id = /^Xf[A-Z0-9]+$/.test(field) ? field : await fieldIdOf(field);
      if (!id) return null;
      try {
        // Without include_labels: Slack rate-limits that hard; labels come from team.profile.get, cached.
        const { profile } = await client.users.profile.get({ user: userId });
        const value = (profile?.fields as Record<string, { value?: string }> | undefined)?.[id]?.value?.trim();
        return value ? value : null;
      } catch (e) {
        if (slackErrorCode(e) === 'user_not_found') throw new AppError('not_allowed', `Unknown user ${userId}`);
        throw e;
      }
    },
    userGroupsAvailable: async () => {
      await directory.groups();
      return !groupsUnavailable;
    },
    personChanged(userId) {
      generation.set(userId, (generation.get(userId) ?? 0) + 1);
      people.delete(userId);
    },
    groupChanged(groupId, change) {
      generation.set(groupId, (generation.get(groupId) ?? 0) + 1);
      groupList.delete('all');
      const hit = groups.get(groupId);
      if (change === null) {
        groups.delete(groupId);
      } else if ('users' in change) {
        groups.set(groupId, { value: [...change.users], until: now() + ttlMs });
      } else if (hit) {
        const removed = new Set(change.removed);
        const value = [...new Set([...hit.value.filter((u) => !removed.has(u)), ...change.added])];
        groups.set(groupId, { value, until: hit.until });
      }
      // Not cached: nothing to correct; the next check asks Slack.
    },
  };
  return directory;
}
