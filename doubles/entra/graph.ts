import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { groupJson, listGroups } from './group-list.js';
import { EntraState, type DoubleUser, type TokenClaims } from './state.js';
import {
  BASIC_USER_PROPS,
  denied,
  FULL_USERS,
  need,
  GraphFailure,
  notFound,
  pageSize,
  parseFilter,
  project,
  READ_GROUPS,
  READ_USERS,
  selectedProps,
  WRITE_MEMBERS,
} from './graph-query.js';
import { managerOf } from './manager.js';

/**
 * The Microsoft Graph v1.0 endpoints a group-membership provisioner needs: users by filter or key,
 * a group, its direct members (paged with @odata.nextLink), adding and removing a member by $ref.
 * Every call needs a valid bearer token and the application permission Graph would demand.
 */

export interface GraphDeps {
  state: EntraState;
  origin: string;
  nowSeconds(): number;
}

function sendGraph(
  res: ServerResponse,
  status: number,
  body: unknown,
  requestId: string,
  headers: Record<string, string> = {},
) {
  const common = { 'request-id': requestId, 'client-request-id': requestId, 'cache-control': 'no-cache', ...headers };
  if (body === undefined) {
    res.writeHead(status, common);
    res.end();
    return;
  }
  res.writeHead(status, {
    'content-type':
      'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8',
    ...common,
  });
  res.end(JSON.stringify(body));
}

function errorBody(f: GraphFailure, requestId: string) {
  return {
    error: {
      code: f.code,
      message: f.message,
      innerError: {
        date: new Date().toISOString().slice(0, 19),
        'request-id': requestId,
        'client-request-id': requestId,
      },
    },
  };
}

function route(
  deps: GraphDeps,
  claims: TokenClaims,
  method: string,
  path: string,
  query: URLSearchParams,
  body: string,
  headers: IncomingHttpHeaders,
): { status: number; body?: unknown } {
  const { state, origin } = deps;
  const seg = path.split('/').slice(2).map(decodeURIComponent); // after /v1.0
  if (method === 'GET' && seg.length === 1 && seg[0] === 'users') {
    need(claims, READ_USERS);
    const props = selectedProps(query, claims);
    const filter = query.get('$filter');
    const clauses = filter === null ? [] : parseFilter(filter);
    if (clauses.some((c) => !BASIC_USER_PROPS.includes(c.prop)) && !claims.roles.some((r) => FULL_USERS.includes(r)))
      throw denied();
    const matches = [...state.users.values()].filter(
      (u) =>
        clauses.length === 0 ||
        clauses.some((c) => String(u[c.prop as keyof DoubleUser] ?? '').toLowerCase() === c.value.toLowerCase()),
    );
    return {
      status: 200,
      body: {
        '@odata.context': `${origin}/v1.0/$metadata#users(${props.join(',')})`,
        value: matches.slice(0, pageSize(query)).map((u) => project(u, props)),
      },
    };
  }
  if (method === 'GET' && seg.length === 3 && seg[0] === 'users' && seg[2] === 'manager')
    return managerOf(state, origin, claims, seg[1]!, query);
  if (method === 'GET' && seg.length === 2 && seg[0] === 'users') {
    need(claims, READ_USERS);
    const props = selectedProps(query, claims);
    const user = state.userByKey(seg[1]!);
    if (!user) throw notFound(seg[1]!);
    return {
      status: 200,
      body: { '@odata.context': `${origin}/v1.0/$metadata#users(${props.join(',')})/$entity`, ...project(user, props) },
    };
  }
  if (method === 'GET' && seg.length === 1 && seg[0] === 'groups') {
    need(claims, READ_GROUPS);
    const listed = listGroups(state.groups.values(), query, headers, origin, state.groupPageSize);
    if (listed.error) throw new GraphFailure(listed.status, listed.error.code, listed.error.message);
    return listed;
  }
  if (seg[0] !== 'groups' || seg.length < 2)
    throw new GraphFailure(400, 'BadRequest', `Resource not found for the segment '${seg[0] ?? ''}'.`);
  const groupId = seg[1]!;
  if (method === 'GET' && seg.length === 2) {
    need(claims, READ_GROUPS);
    const group = state.groups.get(groupId);
    if (!group) throw notFound(groupId);
    const json = groupJson(group, query.get('$select'));
    if (typeof json === 'string') throw new GraphFailure(400, 'BadRequest', json);
    return { status: 200, body: { '@odata.context': `${origin}/v1.0/$metadata#groups/$entity`, ...json } };
  }
  if (seg[2] !== 'members')
    throw new GraphFailure(400, 'BadRequest', `Resource not found for the segment '${seg[2] ?? ''}'.`);
  const group = state.groups.get(groupId);
  if (method === 'GET' && seg.length === 3) {
    need(claims, READ_GROUPS);
    if (!group) throw notFound(groupId);
    const size = pageSize(query);
    const skip = query.get('$skiptoken') ? Number(Buffer.from(query.get('$skiptoken')!, 'base64url').toString()) : 0;
    const page = group.members.slice(skip, skip + size);
    const out: Record<string, unknown> = {
      '@odata.context': `${origin}/v1.0/$metadata#directoryObjects(id)`,
      value: page.map((id) => ({ '@odata.type': '#microsoft.graph.user', id })),
    };
    if (skip + size < group.members.length) {
      // Graph writes the $ of its system query options literally in next links.
      const select = encodeURIComponent(query.get('$select') ?? 'id');
      const token = Buffer.from(String(skip + size)).toString('base64url');
      out['@odata.nextLink'] =
        `${origin}/v1.0/groups/${groupId}/members?$select=${select}&$top=${size}&$skiptoken=${token}`;
    }
    return { status: 200, body: out };
  }
  const writing =
    (method === 'POST' && seg.length === 4 && seg[3] === '$ref') ||
    (method === 'DELETE' && seg.length === 5 && seg[4] === '$ref');
  if (!writing)
    throw new GraphFailure(
      405,
      'Request_BadRequest',
      `The request method '${method}' is not supported for this resource.`,
    );
  need(claims, WRITE_MEMBERS);
  if (!group) throw notFound(groupId);
  if (group.isAssignableToRole && !claims.roles.includes('RoleManagement.ReadWrite.Directory')) throw denied();
  if (method === 'DELETE') {
    const userId = seg[3]!;
    const at = group.members.indexOf(userId);
    if (at < 0) throw notFound(userId);
    group.members.splice(at, 1);
    return { status: 204 };
  }
  let ref: unknown;
  try {
    ref = (JSON.parse(body) as Record<string, unknown>)['@odata.id'];
  } catch {
    throw new GraphFailure(400, 'BadRequest', 'Unable to read JSON request payload.');
  }
  const id = typeof ref === 'string' ? /\/v1\.0\/directoryObjects\/([^/?#]+)$/.exec(ref)?.[1] : undefined;
  if (!id) throw new GraphFailure(400, 'Request_BadRequest', 'Invalid URL format specified in @odata.id for members.');
  if (!state.users.has(id)) throw notFound(id);
  if (group.members.includes(id))
    throw new GraphFailure(
      400,
      'Request_BadRequest',
      "One or more added object references already exist for the following modified properties: 'members'.",
    );
  group.members.push(id);
  return { status: 204 };
}

/** Handles a Graph request (path starting /v1.0/), checking the bearer token first. */
export function handleGraph(
  deps: GraphDeps,
  method: string,
  url: URL,
  headers: IncomingHttpHeaders,
  body: string,
  res: ServerResponse,
): void {
  const requestId = String(headers['client-request-id'] ?? randomUUID());
  try {
    const auth = String(headers.authorization ?? '');
    if (!auth.startsWith('Bearer ') || auth.length <= 7)
      throw new GraphFailure(401, 'InvalidAuthenticationToken', 'Access token is empty.', {
        'www-authenticate': 'Bearer realm=""',
      });
    const claims = deps.state.verifyToken(auth.slice(7), deps.nowSeconds());
    if (typeof claims === 'string')
      throw new GraphFailure(401, 'InvalidAuthenticationToken', claims, {
        'www-authenticate': 'Bearer realm="", error="invalid_token"',
      });
    const fault = EntraState.takeFault(deps.state.graphFaults, method, url.pathname);
    if (fault)
      throw new GraphFailure(
        fault.status,
        fault.code,
        fault.message,
        fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) },
      );
    const out = route(deps, claims, method, url.pathname, url.searchParams, body, headers);
    sendGraph(res, out.status, out.body, requestId);
  } catch (e) {
    if (!(e instanceof GraphFailure)) throw e;
    sendGraph(res, e.status, errorBody(e, requestId), requestId, e.headers);
  }
}
