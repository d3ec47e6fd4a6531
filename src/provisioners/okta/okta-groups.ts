import type { Client, Group } from '@okta/okta-sdk-nodejs';
import { PLACEHOLDER_GROUP_ID, type GroupSource } from '../../domain/group-source.js';
import type { GroupLister, ListedGroup, SettingSecrets } from '../../services/ports.js';
import { classifyOktaError, oktaClients, type OktaClientOptions } from './okta-client.js';
import { readSettings, type Settings } from './okta-provisioner.js';

/**
 * The Okta side of a group source, through the official SDK: `GET /api/v1/groups?search=…` (Okta's
 * filter expression, paged by the `Link` header, which the SDK's collection follows), then
 * `GET /api/v1/groups/{id}` to confirm a group that left the listing (search is eventually consistent).
 *
 * `q=` (name prefix) is not used: Okta does not page it (at most 300 results). Only `OKTA_GROUP` groups
 * are asked for: the bot can manage members of no other kind. A service app needs only `okta.groups.read`.
 */
export const GROUP_SYNC_SCOPES = ['okta.groups.read'];
const PAGE = 200;

/** An Okta filter literal: strings in double quotes (`"` and `\` escaped), booleans and numbers bare. */
const literal = (v: string | number | boolean) =>
  typeof v === 'string' ? `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"` : String(v);

export function oktaSearchOf(source: GroupSource): string {
  const clauses = ['type eq "OKTA_GROUP"'];
  if (source.filter.namePrefix !== null) clauses.push(`profile.name sw ${literal(source.filter.namePrefix)}`);
  const attribute = source.filter.attribute;
  if (attribute) clauses.push(`profile.${attribute.name} eq ${literal(attribute.equals)}`);
  return clauses.join(' and ');
}

/** The same filter on a group read directly: Okta compares strings in search without regard to case. */
function matches(source: GroupSource, group: Group): boolean {
  const profile = (group.profile ?? {}) as Record<string, unknown>;
  const lower = (v: unknown) => String(v ?? '').toLowerCase();
  if (group.type !== 'OKTA_GROUP') return false;
  if (source.filter.namePrefix !== null && !lower(profile.name).startsWith(source.filter.namePrefix.toLowerCase()))
    return false;
  const attribute = source.filter.attribute;
  if (attribute) {
    const value = profile[attribute.name];
    if (
      typeof attribute.equals === 'string'
        ? lower(value) !== attribute.equals.toLowerCase()
        : value !== attribute.equals
    )
      return false;
  }
  return true;
}

const listed = (g: Group): ListedGroup => ({
  id: g.id ?? '',
  name: String(g.profile?.name ?? g.id),
  description: String(g.profile?.description ?? ''),
});

export function createOktaGroupListers(options: OktaClientOptions = {}) {
  const clientFor = oktaClients({ ...options, scopes: GROUP_SYNC_SCOPES });

  return function listerFor(source: GroupSource, secrets: SettingSecrets): GroupLister {
    let settings: Settings | undefined;
    const open = async (): Promise<{ client: Client; s: Settings }> => {
      settings ??= readSettings(secrets.resolveSettings({ ...source.connection, group_id: PLACEHOLDER_GROUP_ID.okta }));
      return { client: await clientFor(settings), s: settings };
    };
    const forbidden = (s: Settings) =>
      `${s.auth.kind === 'token' ? "the API token's admin" : 'the OAuth service app'} may not list groups: it needs okta.groups.read (a read-only admin role, or a custom role with okta.groups.read)`;
    const fail = (error: unknown, doing: string, s: Settings) =>
      new Error(classifyOktaError(error, doing, s, { forbidden: forbidden(s), scopes: GROUP_SYNC_SCOPES }).message);

    return {
      async list() {
        const { client, s } = await open();
        const search = oktaSearchOf(source);
        const groups: ListedGroup[] = [];
        try {
          const collection = await client.groupApi.listGroups({ search, limit: PAGE });
          for await (const group of collection) if (group?.id) groups.push(listed(group));
        } catch (error) {
          throw fail(error, `listing the groups matching ${search}`, s);
        }
        return groups;
      },

      async get(groupId) {
        const { client, s } = await open();
        try {
          const group = await client.groupApi.getGroup({ groupId });
          return { group: listed(group), matches: matches(source, group) };
        } catch (error) {
          if (Number((error as { status?: unknown }).status) === 404) return null;
          throw fail(error, `reading Okta group ${groupId}`, s);
        }
      },
    };
  };
}
