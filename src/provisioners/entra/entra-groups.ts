import type { GraphError } from '@microsoft/microsoft-graph-client';
import { PLACEHOLDER_GROUP_ID, type GroupSource } from '../../domain/group-source.js';
import type { GroupLister, ListedGroup, SettingSecrets } from '../../services/ports.js';
import { readSettings, type Settings } from './entra-provisioner.js';
import { graphConnections, type GraphClientOptions, type GraphConnection } from './graph-client.js';
import { describeTokenFailure, graphFailure, statusOf } from './graph-errors.js';

/**
 * The Entra ID side of a group source, through the Graph client: `GET /groups?$filter=…` followed by
 * `@odata.nextLink` page by page, then `GET /groups/{id}` to confirm a group that left the listing.
 *
 * `startswith(displayName, …)` and `eq` on a directory extension work by default; `startswith(description,
 * …)` is an advanced query: Graph answers 400 Request_UnsupportedQuery unless the request carries
 * `ConsistencyLevel: eventual` and `$count=true`, and its index is eventually consistent (hence the direct
 * read before a group is retired). Needs the application permission `GroupMember.Read.All` (or
 * `Group.Read.All`; the provisioner's `GroupMember.ReadWrite.All` covers it too).
 */
const PAGE = 999;
// Graph's least privileged application permission for listing and reading groups; the provisioner's
// GroupMember.ReadWrite.All covers it too.
const PERMISSION = 'GroupMember.Read.All (or Group.Read.All)';

interface GraphGroup {
  id: string;
  displayName: string | null;
  description: string | null;
  groupTypes?: string[];
  mailEnabled?: boolean;
  securityEnabled?: boolean;
  [extension: string]: unknown;
}

/** An OData literal: strings quoted with '' for a quote, booleans and numbers bare. */
const odata = (v: string | number | boolean) => (typeof v === 'string' ? `'${v.replace(/'/g, "''")}'` : String(v));

export function graphFilterOf(source: GroupSource): { filter: string; advanced: boolean } {
  const f = source.filter;
  const clauses: string[] = [];
  if (f.namePrefix !== null) clauses.push(`startswith(displayName,${odata(f.namePrefix)})`);
  if (f.descriptionPrefix !== null) clauses.push(`startswith(description,${odata(f.descriptionPrefix)})`);
  if (f.attribute) clauses.push(`${f.attribute.name} eq ${odata(f.attribute.equals)}`);
  return { filter: clauses.join(' and '), advanced: f.descriptionPrefix !== null };
}

/** Groups whose members the bot cannot change through Graph. */
function unmanageable(g: GraphGroup): string | undefined {
  if (g.groupTypes?.includes('DynamicMembership')) return 'it is a dynamic group (its rule decides its members)';
  if (g.mailEnabled && !g.groupTypes?.includes('Unified'))
    return 'it is a distribution list or mail-enabled security group (members are changed in Exchange)';
  return undefined;
}

function matches(source: GroupSource, g: GraphGroup): boolean {
  const f = source.filter;
  // Graph's startswith compares without regard to case.
  const starts = (v: string | null, prefix: string) => (v ?? '').toLowerCase().startsWith(prefix.toLowerCase());
  if (f.namePrefix !== null && !starts(g.displayName, f.namePrefix)) return false;
  if (f.descriptionPrefix !== null && !starts(g.description, f.descriptionPrefix)) return false;
  if (f.attribute && g[f.attribute.name] !== f.attribute.equals) return false;
  return true;
}

const listed = (g: GraphGroup): ListedGroup => {
  const why = unmanageable(g);
  return {
    id: g.id.toLowerCase(),
    name: g.displayName ?? g.id,
    description: g.description ?? '',
    ...(why ? { unmanageable: why } : {}),
  };
};

export function createEntraGroupListers(opts: GraphClientOptions = {}) {
  const connections = graphConnections(opts);

  return function listerFor(source: GroupSource, secrets: SettingSecrets): GroupLister {
    const select = ['id', 'displayName', 'description', 'groupTypes', 'mailEnabled', 'securityEnabled'];
    if (source.filter.attribute) select.push(source.filter.attribute.name);
    let opened: Promise<{ conn: GraphConnection; s: Settings; redact: (t: string) => string }> | undefined;

    async function connect() {
      const s = readSettings(secrets.resolveSettings({ ...source.connection, group_id: PLACEHOLDER_GROUP_ID.entra }));
      const conn = await connections(s);
      const redact = (text: string) => text.split(s.clientSecret).join('[redacted]');
      try {
        await conn.credential.getToken(conn.scope, { abortSignal: AbortSignal.timeout(opts.timeoutMs ?? 15_000) });
      } catch (error) {
        throw new Error(describeTokenFailure(error, s, redact).message);
      }
      return { conn, s, redact };
    }
    const open = () => (opened ??= connect());
    const fail = (error: unknown, doing: string, redact: (t: string) => string) =>
      new Error(graphFailure(error as GraphError, doing, PERMISSION, redact).message);

    return {
      async list() {
        const { conn, redact } = await open();
        const { filter, advanced } = graphFilterOf(source);
        const groups: ListedGroup[] = [];
        let next: string | undefined = '/groups';
        let query: string | undefined =
          `$filter=${encodeURIComponent(filter)}&$select=${select.join(',')}&$top=${PAGE}${advanced ? '&$count=true' : ''}`;
        while (next) {
          let page: { value: GraphGroup[]; '@odata.nextLink'?: string };
          try {
            let request = conn.client.api(next);
            if (query) request = request.query(query);
            // Every page of an advanced query carries the header, the next links included.
            if (advanced) request = request.header('ConsistencyLevel', 'eventual');
            page = (await request.get()) as typeof page;
          } catch (error) {
            throw fail(error, `listing the groups matching ${filter}`, redact);
          }
          groups.push(...page.value.map(listed));
          next = page['@odata.nextLink'];
          query = undefined;
        }
        return groups;
      },

      async get(groupId) {
        const { conn, redact } = await open();
        try {
          const group = (await conn.client
            .api(`/groups/${encodeURIComponent(groupId)}`)
            .query(`$select=${select.join(',')}`)
            .get()) as GraphGroup;
          return { group: listed(group), matches: matches(source, group) };
        } catch (error) {
          if (statusOf(error) === 404) return null;
          throw fail(error, `reading Entra ID group ${groupId}`, redact);
        }
      },
    };
  };
}
