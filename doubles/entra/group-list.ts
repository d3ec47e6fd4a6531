import type { IncomingHttpHeaders } from 'node:http';
import type { DoubleGroup } from './state.js';

/**
 * `GET /v1.0/groups` and the properties of a group as Graph answers them: `$filter` (the clauses a group
 * source sends), `$select`, `$top`, `$count`, `@odata.nextLink`, and the advanced-query rule: a clause
 * Graph supports only in advanced queries (`startswith(description, …)`) needs the `ConsistencyLevel:
 * eventual` header *and* `$count=true`, else 400 Request_UnsupportedQuery; `$count=true` without the header
 * is ignored, as Graph does.
 */
export interface GroupListAnswer {
  status: number;
  body?: unknown;
  error?: { code: string; message: string };
}

/** What `GET /groups/{id}` returns without `$select` (a subset of Graph's default set). */
const DEFAULT_PROPS = [
  'id',
  'displayName',
  'description',
  'groupTypes',
  'mailEnabled',
  'securityEnabled',
  'isAssignableToRole',
];
const DEFAULT_PAGE = 100;
const MAX_PAGE = 999;
const EXTENSION = /^extension_[0-9a-f]{32}_[A-Za-z0-9_]+$/;

const unsupported = (message: string): GroupListAnswer => ({
  status: 400,
  error: { code: 'Request_UnsupportedQuery', message },
});
const badRequest = (message: string): GroupListAnswer => ({ status: 400, error: { code: 'BadRequest', message } });

function propertyOf(g: DoubleGroup, prop: string): unknown {
  if (EXTENSION.test(prop)) return g.extensions?.[prop] ?? null;
  const value = (g as unknown as Record<string, unknown>)[prop];
  return value === undefined ? null : value;
}

/** The group as Graph shows it for `$select` (or the default properties); null and a sentence for an unknown one. */
export function groupJson(g: DoubleGroup, select: string | null): Record<string, unknown> | string {
  const props = select ? select.split(',').map((p) => p.trim()) : DEFAULT_PROPS;
  const out: Record<string, unknown> = {};
  for (const p of props) {
    if (!DEFAULT_PROPS.includes(p) && !EXTENSION.test(p))
      return `Could not find a property named '${p}' on type 'microsoft.graph.group'.`;
    // Graph leaves out extension properties a group has no value for.
    if (EXTENSION.test(p) && g.extensions?.[p] === undefined) continue;
    out[p] = propertyOf(g, p);
  }
  return out;
}

type Clause = (g: DoubleGroup) => boolean;

/** One `$filter` clause; `advanced` says whether Graph serves it only in advanced queries. */
function parseClause(text: string): { test: Clause; advanced: boolean } | string {
  const literal = `'((?:[^']|'')*)'`;
  const starts = new RegExp(`^startswith\\((\\w+)\\s*,\\s*${literal}\\)$`, 'i').exec(text);
  if (starts) {
    const [, prop, raw] = starts as unknown as [string, string, string];
    const prefix = raw.replace(/''/g, "'").toLowerCase();
    if (prop !== 'displayName' && prop !== 'description' && prop !== 'mailNickname')
      return `Unsupported or invalid query filter clause specified for property '${prop}' of resource 'Group'.`;
    return {
      test: (g) =>
        String(propertyOf(g, prop) ?? '')
          .toLowerCase()
          .startsWith(prefix),
      advanced: prop === 'description',
    };
  }
  const eq = new RegExp(`^(\\w+)\\s+eq\\s+(?:${literal}|(true|false|-?\\d+(?:\\.\\d+)?))$`, 'i').exec(text);
  if (eq) {
    const [, prop, str, bare] = eq as unknown as [string, string, string | undefined, string | undefined];
    if (!['id', 'displayName', 'securityEnabled', 'mailEnabled'].includes(prop) && !EXTENSION.test(prop))
      return `Unsupported or invalid query filter clause specified for property '${prop}' of resource 'Group'.`;
    const wanted =
      str !== undefined ? str.replace(/''/g, "'") : bare === 'true' ? true : bare === 'false' ? false : Number(bare);
    return {
      test: (g) => {
        const value = propertyOf(g, prop);
        return typeof wanted === 'string' && typeof value === 'string'
          ? value.toLowerCase() === wanted.toLowerCase()
          : value === wanted;
      },
      advanced: prop === 'description',
    };
  }
  return 'Invalid filter clause: syntax error.';
}

export function listGroups(
  groups: Iterable<DoubleGroup>,
  query: URLSearchParams,
  headers: IncomingHttpHeaders,
  origin: string,
  /** Graph pages on its own terms too (server-driven paging): at most this many a page, whatever $top says. */
  serverPage = MAX_PAGE,
): GroupListAnswer {
  const filter = query.get('$filter');
  const clauses: Clause[] = [];
  let needsAdvanced = false;
  for (const part of filter ? filter.trim().split(/\s+and\s+/i) : []) {
    const clause = parseClause(part.trim());
    if (typeof clause === 'string') return clause.startsWith('Invalid') ? badRequest(clause) : unsupported(clause);
    clauses.push(clause.test);
    needsAdvanced ||= clause.advanced;
  }
  const eventual = String(headers.consistencylevel ?? '').toLowerCase() === 'eventual';
  const count = query.get('$count') === 'true' && eventual;
  if (needsAdvanced && !count)
    return unsupported(
      "Unsupported or invalid query filter clause specified for property 'description' of resource 'Group'.",
    );
  const top = query.get('$top');
  const size = top === null ? DEFAULT_PAGE : Number(top);
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE)
    return unsupported(`Invalid page size specified: '${top}'. Must be between 1 and ${MAX_PAGE} inclusive.`);
  const pageSize = Math.min(size, serverPage);
  const token = query.get('$skiptoken');
  const skip = token ? Number(Buffer.from(token, 'base64url').toString()) : 0;
  if (!Number.isInteger(skip) || skip < 0) return badRequest('The $skiptoken is not valid.');
  const all = [...groups].filter((g) => clauses.every((c) => c(g))).sort((a, b) => a.id.localeCompare(b.id));
  const select = query.get('$select');
  const value: Record<string, unknown>[] = [];
  for (const g of all.slice(skip, skip + pageSize)) {
    const json = groupJson(g, select);
    if (typeof json === 'string') return badRequest(json);
    value.push(json);
  }
  const body: Record<string, unknown> = { '@odata.context': `${origin}/v1.0/$metadata#groups` };
  if (count) body['@odata.count'] = all.length;
  body.value = value;
  if (skip + pageSize < all.length) {
    // The next link repeats the query with a $skiptoken; an advanced query's pages need the header again.
    const next = new URLSearchParams(query);
    next.set('$skiptoken', Buffer.from(String(skip + pageSize)).toString('base64url'));
    body['@odata.nextLink'] = `${origin}/v1.0/groups?${next.toString().replace(/%24/g, '$')}`;
  }
  return { status: 200, body };
}
