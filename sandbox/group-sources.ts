import type { EntraDouble } from '../doubles/entra/entra-double.js';
import type { OktaDouble } from '../doubles/okta/okta-double.js';
import { BadRequest } from '../doubles/support/http-util.js';
import { PROVIDER_NAMES, type GroupSourceKind } from '../src/domain/group-source.js';
import type { SourceSyncResult } from '../src/services/group-sync.js';
import type { GroupSourceStatus } from '../src/services/group-sync-status.js';

/**
 * The page's Group sources panel: for each group source of the catalogue, the groups in the sandbox's Okta or
 * Entra ID double, the resources the sync made of them, and how the last sync went; and what an identity
 * admin would do in the provider's console (add a group, delete one) plus "Sync now", which runs the sync
 * on demand as `npm run config -- sync` does.
 */

/** One identity-provider double as an admin's console edits it. */
export interface GroupDirectory {
  /** Whether a source's connection reaches this double (the sample's does; an ACCESS_CONFIG of one's own may not). */
  serves(connection: Record<string, unknown>): boolean;
  groups(): Array<{ id: string; name: string; members: string[] }>;
  add(name: string): void;
  remove(groupId: string): boolean;
}

export function sandboxGroupDirectories(
  okta: OktaDouble,
  entra: EntraDouble,
  /** A person's name from their e-mail. */
  nameOf: (email: string) => string,
): Record<GroupSourceKind, GroupDirectory> {
  const entraMail = (id: string) => entra.users().find((u) => u.id === id)?.mail ?? id;
  return {
    okta: {
      serves: (c) => c.org_url === okta.url,
      groups: () =>
        [...okta.directory.groups.values()].map((g) => ({
          id: g.id,
          name: g.name,
          members: okta.members(g.id).map(nameOf),
        })),
      add: (name) => void okta.addGroup({ name, description: `Added on the sandbox page` }),
      // As an Okta admin deleting it in the Admin Console: GET /api/v1/groups/{id} answers 404 from now on.
      remove: (id) => okta.directory.groups.delete(id),
    },
    entra: {
      serves: (c) => c.graph_url === entra.url,
      groups: () =>
        entra
          .groups()
          .map((g) => ({ id: g.id, name: g.displayName, members: g.members.map((m) => nameOf(entraMail(m))) })),
      add: (name) => void entra.addGroup({ displayName: name, description: 'Added on the sandbox page' }),
      remove: (id) => {
        if (!entra.groups().some((g) => g.id === id)) return false;
        entra.deleteGroup(id);
        return true;
      },
    },
  };
}

export interface GroupSourceRow {
  group: string;
  groupId: string;
  /** Who the group holds now (a grant of its resource adds the requester). */
  members: string[];
  resource: string | null;
  /** What a person reads beside it. */
  state: string;
  /** Still in the double, so the page offers to delete it there. */
  inDirectory: boolean;
}

export interface GroupSourceView {
  name: string;
  provider: string;
  filter: string;
  tags: string[];
  lastSync: { at: string; ok: boolean; text: string } | null;
  rows: GroupSourceRow[];
  /** Groups in the double the filter leaves out. */
  outside: string[];
  /** Whether the page can add and delete this source's groups (its connection reaches a sandbox double). */
  editable: boolean;
}

/** Names "Add a group" picks in turn, each under the source's prefix. */
const NEW_GROUPS = ['analytics', 'deploys', 'incident-review', 'payroll-read', 'search-admins'];

function lastSyncText(s: GroupSourceStatus): string {
  if (s.lastError) return s.lastError;
  const sum = (s.lastSummary ?? {}) as {
    created?: string[];
    updated?: string[];
    retired?: Array<{ name: string; reason: string }>;
    grantsEnded?: number;
    requestsCancelled?: number;
  };
  const parts = [
    sum.created?.length ? `made ${sum.created.join(', ')}` : '',
    sum.updated?.length ? `updated ${sum.updated.join(', ')}` : '',
    sum.retired?.length
      ? `retired ${sum.retired.map((r) => `${r.name} (group ${r.reason === 'gone' ? 'deleted' : 'left the filter'})`).join(', ')}`
      : '',
    sum.grantsEnded ? `${sum.grantsEnded} grant${sum.grantsEnded === 1 ? '' : 's'} ended` : '',
    sum.requestsCancelled ? `${sum.requestsCancelled} pending request(s) cancelled` : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join('; ') : 'nothing changed';
}

export function createSandboxGroupSources(deps: {
  directories: Record<GroupSourceKind, GroupDirectory>;
  status: () => Promise<GroupSourceStatus[]>;
  syncNow: (names?: readonly string[]) => Promise<SourceSyncResult[]>;
  /** Waits for the bot's scheduled pass under way (it holds the sources' leases while it runs). */
  scheduledPass: () => Promise<void>;
}) {
  const directoryOf = (s: GroupSourceStatus) => {
    const d = deps.directories[s.kind];
    return d.serves(s.connection) ? d : null;
  };
  const matches = (s: GroupSourceStatus, name: string) =>
    s.namePrefix !== null && name.toLowerCase().startsWith(s.namePrefix.toLowerCase());

  function view(s: GroupSourceStatus): GroupSourceView {
    const dir = directoryOf(s);
    const groups = dir?.groups() ?? [];
    const inDir = new Map(groups.map((g) => [g.id, g]));
    const made = new Map(s.resources.map((r) => [r.groupId, r]));
    const rows: GroupSourceRow[] = [];
    for (const r of s.resources) {
      const g = inDir.get(r.groupId);
      rows.push({
        group: g?.name ?? r.groupName,
        groupId: r.groupId,
        members: g?.members ?? [],
        resource: r.name,
        inDirectory: g !== undefined,
        state: r.retired ? 'retired: its grants ended' : g ? 'requestable' : 'group deleted: the next sync retires it',
      });
    }
    for (const g of groups)
      if (!made.has(g.id) && matches(s, g.name))
        rows.push({
          group: g.name,
          groupId: g.id,
          members: g.members,
          resource: null,
          inDirectory: true,
          state: 'not synced yet',
        });
    return {
      name: s.name,
      provider: PROVIDER_NAMES[s.kind],
      filter: s.namePrefix !== null ? `groups named ${s.namePrefix}*` : 'groups its filter picks',
      tags: s.tags,
      lastSync: s.lastRunAt ? { at: s.lastRunAt.toISOString(), ok: s.lastError === null, text: lastSyncText(s) } : null,
      rows,
      outside: groups.filter((g) => !matches(s, g.name) && !made.has(g.id)).map((g) => g.name),
      editable: dir !== null && s.namePrefix !== null,
    };
  }

  async function editable(name: string) {
    const s = (await deps.status()).find((x) => x.name === name);
    if (!s) throw new BadRequest(`no group source ${name} in the catalogue`);
    const dir = directoryOf(s);
    if (!dir || s.namePrefix === null)
      throw new BadRequest(`group source ${name} does not reach one of the sandbox's doubles by a name prefix`);
    return { s, dir, prefix: s.namePrefix };
  }

  return {
    view: async () => (await deps.status()).map(view),

    /** A new group under the source's prefix in its double, as an identity admin would make it. */
    async add(source: string): Promise<string> {
      const { dir, prefix } = await editable(source);
      const taken = new Set(dir.groups().map((g) => g.name.toLowerCase()));
      const words = [...NEW_GROUPS, ...Array.from({ length: 100 }, (_, i) => `extra-${i + 1}`)];
      const name = words.map((w) => `${prefix}${w}`).find((n) => !taken.has(n.toLowerCase()));
      if (!name) throw new BadRequest('enough groups for one sandbox: delete one first');
      dir.add(name);
      return name;
    },

    async remove(source: string, groupId: string): Promise<void> {
      const { dir } = await editable(source);
      if (!dir.remove(groupId)) throw new BadRequest(`no group ${groupId} in that directory`);
    },

    /** Every source now, whatever its interval; a source a scheduled pass held is tried again after it. */
    async sync(): Promise<SourceSyncResult[]> {
      const results = new Map<string, SourceSyncResult>();
      let names: string[] | undefined;
      for (let attempt = 0; attempt < 3; attempt++) {
        await deps.scheduledPass();
        for (const r of await deps.syncNow(names)) results.set(r.source, r);
        names = [...results.values()].filter((r) => r.status === 'skipped').map((r) => r.source);
        if (names.length === 0) break;
      }
      return [...results.values()];
    },
  };
}

export type SandboxGroupSources = ReturnType<typeof createSandboxGroupSources>;
