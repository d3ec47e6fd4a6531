import {
  parseGroupSearch,
  parseUserSearch,
  type OktaDirectory,
  type OktaGroupRecord,
  type OktaUserRecord,
} from './directory.js';
import { invalidSearch, methodNotSupported, notFound, forbidden, type Answer } from './errors.js';
import { page } from './pagination.js';

/** What the routes read: the org's data, the groups `denyGroup` closed, the page cap, and the double's URL. */
export interface RouteContext {
  directory: OktaDirectory;
  denied: Set<string>;
  pageSize: number;
  base: string;
}

/**
 * The Management API calls the double answers, once the call is authenticated and not refused (rate limit,
 * faults): users (`GET /api/v1/users[?search=]`, `GET /api/v1/users/{idOrLogin}`), groups
 * (`GET /api/v1/groups[?search=|?q=]`, `GET /api/v1/groups/{id}`) and memberships
 * (`GET /api/v1/groups/{id}/users`, `PUT|DELETE /api/v1/groups/{id}/users/{userId}`).
 */
export function route(ctx: RouteContext, method: string, path: string, query: Record<string, string>): Answer {
  const { directory, denied, base } = ctx;
  const at = { base, path, pageSize: ctx.pageSize };
  const userJson = (u: OktaUserRecord) => directory.userJson(u, base);
  const parts = path
    .split('/')
    .filter(Boolean)
    .map((p) => decodeURIComponent(p));
  if (parts[0] !== 'api' || parts[1] !== 'v1') return notFound(path, 'Endpoint');
  const [, , collection, id, sub, subId] = parts;

  if (collection === 'users' && method === 'GET' && id === undefined) {
    if (query.search === undefined)
      return page(
        [...directory.users.values()].filter((u) => u.status !== 'DEPROVISIONED'),
        at,
        query,
        userJson,
      );
    const matches = parseUserSearch(query.search);
    if (!matches) return invalidSearch();
    return page([...directory.users.values()].filter(matches), at, query, userJson, { search: query.search });
  }
  if (collection === 'users' && method === 'GET' && id !== undefined && sub === undefined) {
    const user = directory.findUser(id);
    return user ? { status: 200, body: directory.userJson(user, base) } : notFound(id, 'User');
  }
  if (collection === 'groups' && id === undefined && method === 'GET') return listGroups(ctx, path, query);
  if (collection !== 'groups' || id === undefined) return methodNotSupported();

  const group = directory.groups.get(id);
  if (denied.has(id)) return forbidden();
  if (!group) return notFound(id, 'UserGroup');
  if (sub === undefined && method === 'GET') return { status: 200, body: directory.groupJson(group, base) };
  if (sub !== 'users') return methodNotSupported();
  if (subId === undefined && method === 'GET')
    return page([...group.members].map((m) => directory.users.get(m)!).filter(Boolean), at, query, userJson);
  if (subId === undefined) return methodNotSupported();

  // Membership calls take the user's id only (not a login), as Okta's do.
  const user = directory.users.get(subId);
  if (!user) return notFound(subId, 'User');
  if (method === 'PUT') {
    directory.setMember(group.id, user.id, true);
    return { status: 204 };
  }
  if (method === 'DELETE') {
    directory.setMember(group.id, user.id, false);
    return { status: 204 };
  }
  return methodNotSupported();
}

/**
 * `GET /api/v1/groups`: `search` (paged by `after`, as every list), `q` (a name prefix, for pickers: Okta
 * does not page it and gives at most `limit`, default 300, without a next link), or every group.
 */
function listGroups(ctx: RouteContext, path: string, query: Record<string, string>): Answer {
  const { directory, base } = ctx;
  const at = { base, path, pageSize: ctx.pageSize };
  const groupJson = (g: OktaGroupRecord) => directory.groupJson(g, base);
  const all = [...directory.groups.values()];
  if (query.q !== undefined) {
    const prefix = query.q.toLowerCase();
    const limit = Math.min(Number(query.limit ?? 300) || 300, 10_000);
    const found = all
      .filter((g) => g.name.toLowerCase().startsWith(prefix))
      .sort((a, b) => a.name.localeCompare(b.name))
      .slice(0, limit);
    return { status: 200, body: found.map(groupJson) };
  }
  if (query.search === undefined) return page(all, at, query, groupJson);
  const matches = parseGroupSearch(query.search);
  if (!matches) return invalidSearch();
  return page(all.filter(matches), at, query, groupJson, { search: query.search });
}
