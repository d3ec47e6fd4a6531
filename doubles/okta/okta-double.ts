import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  OktaDirectory,
  parseGroupSearch,
  parseUserSearch,
  type OktaGroupRecord,
  type OktaUserRecord,
  type OktaUserStatus,
} from './directory.js';
import { OAuthServer, requiredScopes, type OAuthClientRegistration } from './oauth.js';

/**
 * A local stand-in for the parts of Okta's Management API the okta provisioner uses: user lookup
 * (`GET /api/v1/users/{idOrLogin}`, `GET /api/v1/users?search=`), groups and their members
 * (`GET /api/v1/groups/{id}`, `GET|PUT|DELETE /api/v1/groups/{id}/users[/{userId}]`), with Okta's
 * checks and answers: the `SSWS` token, Okta's error JSON, `X-Rate-Limit-*` headers and 429s,
 * `Link` header pagination. See README.md beside this file for what it does not model.
 */
export interface OktaRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Whether the request carried the right `SSWS` token or a live OAuth access token (neither is kept). */
  authorized: boolean;
  /** How it authenticated: `SSWS`, `Bearer`, or null for neither (or a wrong one). */
  scheme: 'SSWS' | 'Bearer' | null;
  /** The SDK marks its own 429 retries with X-Okta-Retry-Count. */
  retryCount: number;
  status: number;
}

export interface OktaDoubleOptions {
  /** The API token the double accepts (`Authorization: SSWS <token>`). */
  token: string;
  /** OAuth 2.0 service apps that may get access tokens (`private_key_jwt`), with their granted scopes. */
  oauthClients?: OAuthClientRegistration[];
  /** The most users one page holds, whatever `limit` asks (Okta's cap is larger; small here to exercise paging). */
  pageSize?: number;
  /** Requests per minute before Okta's rate limit answers 429 (Okta's own limits vary by endpoint). */
  rateLimitPerMinute?: number;
}

export interface OktaDouble {
  url: string;
  directory: OktaDirectory;
  requests: OktaRequest[];
  addUser(u: {
    login: string;
    email?: string;
    status?: OktaUserStatus;
    firstName?: string;
    lastName?: string;
    /** profile.managerId: an Okta user id or login (GET /api/v1/users/{id} returns it). */
    managerId?: string;
  }): OktaUserRecord;
  addGroup(g: {
    name: string;
    type?: OktaGroupRecord['type'];
    description?: string;
    attributes?: OktaGroupRecord['attributes'];
  }): OktaGroupRecord;
  /** The logins of a group's members, sorted. */
  members(groupId: string): string[];
  /** Hand edits, as an Okta admin would make them in the Admin Console (drift). */
  addMember(groupId: string, login: string): void;
  removeMember(groupId: string, login: string): void;
  setStatus(login: string, status: OktaUserStatus): void;
  /** 429 for every call until `resetInSeconds` from now (or for the next `calls` calls, whichever ends first). */
  rateLimit(resetInSeconds: number, calls?: number): void;
  /** The next `n` calls answer `status` (5xx) with Okta's error JSON. */
  failNext(n: number, status?: number): void;
  /** Every call answers 503 until set back to false: the org (or the network to it) is down. */
  setDown(down: boolean): void;
  /** Calls touching this group answer 403 E0000006, as for a token whose admin has no rights on it. */
  denyGroup(groupId: string, denied?: boolean): void;
  /** Ends every OAuth access token issued so far (as their expiry would). */
  revokeAccessTokens(): void;
  stop(): Promise<void>;
}

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

function oktaError(status: number, errorCode: string, errorSummary: string, headers?: Record<string, string>): Answer {
  const errorId = `oae${randomBytes(11).toString('base64url')}`;
  return { status, body: { errorCode, errorSummary, errorLink: errorCode, errorId, errorCauses: [] }, headers };
}

const notFound = (id: string, kind: 'User' | 'UserGroup') =>
  oktaError(404, 'E0000007', `Not found: Resource not found: ${id} (${kind})`);
const forbidden = () => oktaError(403, 'E0000006', 'You do not have permission to perform the requested action');

export async function startOktaDouble(options: OktaDoubleOptions): Promise<OktaDouble> {
  const directory = new OktaDirectory();
  const requests: OktaRequest[] = [];
  const pageSize = options.pageSize ?? 200;
  const perMinute = options.rateLimitPerMinute ?? 600;
  const denied = new Set<string>();
  const oauth = new OAuthServer(options.oauthClients ?? []);
  let failures = { left: 0, status: 503 };
  let down = false;
  let limited = { untilSecond: 0, calls: 0 };
  let window = { minute: 0, used: 0 };
  let base = '';

  /** Okta's headers on every API answer: the current window's limit, what is left, and when it resets. */
  function rateHeaders(nowMs: number): Record<string, string> {
    const minute = Math.floor(nowMs / 60_000);
    if (window.minute !== minute) window = { minute, used: 0 };
    window.used += 1;
    const limitedNow = nowMs < limited.untilSecond * 1000 && limited.calls > 0;
    const reset = limitedNow ? limited.untilSecond : (minute + 1) * 60;
    const remaining = limitedNow ? 0 : Math.max(0, perMinute - window.used);
    return {
      'x-rate-limit-limit': String(perMinute),
      'x-rate-limit-remaining': String(remaining),
      'x-rate-limit-reset': String(reset),
    };
  }

  function page(
    all: { id: string }[],
    path: string,
    query: Record<string, string>,
    extra: Record<string, string> = {},
    json: (item: { id: string }) => unknown = (u) => directory.userJson(u as OktaUserRecord, base),
  ): Answer {
    const asked = Number(query.limit ?? pageSize);
    const limit = Number.isInteger(asked) && asked > 0 ? Math.min(asked, pageSize) : pageSize;
    const sorted = [...all].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const rest = query.after ? sorted.filter((u) => u.id > query.after!) : sorted;
    const items = rest.slice(0, limit);
    const link = (q: Record<string, string>) =>
      `<${base}${path}?${new URLSearchParams({ ...extra, ...q }).toString()}>`;
    const links = [`${link({ limit: String(limit) })}; rel="self"`];
    if (rest.length > limit) links.push(`${link({ after: items.at(-1)!.id, limit: String(limit) })}; rel="next"`);
    return { status: 200, body: items.map(json), headers: { link: links.join(', ') } };
  }

  /**
   * `GET /api/v1/groups`: `search` (paged by `after`, as every list), `q` (a name prefix, for pickers: Okta
   * does not page it and gives at most `limit`, default 300, without a next link), or every group.
   */
  function listGroups(path: string, query: Record<string, string>): Answer {
    const groupJson = (g: { id: string }) => directory.groupJson(g as OktaGroupRecord, base);
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
    if (query.search === undefined) return page(all, path, query, {}, groupJson);
    const matches = parseGroupSearch(query.search);
    if (!matches) return oktaError(400, 'E0000031', 'Invalid search criteria.');
    return page(all.filter(matches), path, query, { search: query.search }, groupJson);
  }

  function route(method: string, path: string, query: Record<string, string>): Answer {
    const parts = path
      .split('/')
      .filter(Boolean)
      .map((p) => decodeURIComponent(p));
    if (parts[0] !== 'api' || parts[1] !== 'v1')
      return oktaError(404, 'E0000007', `Not found: Resource not found: ${path} (Endpoint)`);
    const [, , collection, id, sub, subId] = parts;

    if (collection === 'users' && method === 'GET' && id === undefined) {
      if (query.search === undefined)
        return page(
          [...directory.users.values()].filter((u) => u.status !== 'DEPROVISIONED'),
          path,
          query,
        );
      const matches = parseUserSearch(query.search);
      if (!matches) return oktaError(400, 'E0000031', 'Invalid search criteria.');
      return page([...directory.users.values()].filter(matches), path, query, { search: query.search });
    }
    if (collection === 'users' && method === 'GET' && id !== undefined && sub === undefined) {
      const user = directory.findUser(id);
      return user ? { status: 200, body: directory.userJson(user, base) } : notFound(id, 'User');
    }
    if (collection === 'groups' && id === undefined && method === 'GET') return listGroups(path, query);
    if (collection !== 'groups' || id === undefined)
      return oktaError(405, 'E0000022', 'The endpoint does not support the provided HTTP method');

    const group = directory.groups.get(id);
    if (denied.has(id)) return forbidden();
    if (!group) return notFound(id, 'UserGroup');
    if (sub === undefined && method === 'GET') return { status: 200, body: directory.groupJson(group, base) };
    if (sub !== 'users') return oktaError(405, 'E0000022', 'The endpoint does not support the provided HTTP method');
    if (subId === undefined && method === 'GET')
      return page([...group.members].map((m) => directory.users.get(m)!).filter(Boolean), path, query);
    if (subId === undefined)
      return oktaError(405, 'E0000022', 'The endpoint does not support the provided HTTP method');

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
    return oktaError(405, 'E0000022', 'The endpoint does not support the provided HTTP method');
  }

  function answer(req: http.IncomingMessage, body: string): Answer {
    const url = new URL(req.url ?? '/', base);
    const query = Object.fromEntries(url.searchParams);
    const now = Date.now();
    const ssws = req.headers.authorization === `SSWS ${options.token}`;
    const bearer = ssws ? null : oauth.bearer(req.headers.authorization, now);
    const authorized = ssws || bearer !== null;
    const scheme = ssws ? 'SSWS' : bearer ? 'Bearer' : null;
    const record: OktaRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query,
      authorized,
      scheme,
      retryCount: Number(req.headers['x-okta-retry-count'] ?? 0),
      status: 0,
    };
    requests.push(record);
    const headers = rateHeaders(now);
    const result = ((): Answer => {
      if (down) return oktaError(503, 'E0000009', 'Internal Server Error');
      if (failures.left > 0) {
        failures.left -= 1;
        return oktaError(failures.status, 'E0000009', 'Internal Server Error');
      }
      if (url.pathname === '/oauth2/v1/token' && req.method === 'POST') {
        const [status, json] = oauth.token(new URLSearchParams(body), `${base}/oauth2/v1/token`, now);
        return { status, body: json };
      }
      if (!authorized) return oktaError(401, 'E0000011', 'Invalid token provided');
      if (bearer && !requiredScopes(req.method ?? 'GET', url.pathname).some((scope) => bearer.scopes.includes(scope))) {
        const needed = requiredScopes(req.method ?? 'GET', url.pathname).at(-1)!;
        return oktaError(403, 'E0000006', 'You do not have permission to perform the requested action', {
          'www-authenticate': `Bearer realm="${base}", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", scope="${needed}"`,
        });
      }
      if (now < limited.untilSecond * 1000 && limited.calls > 0) {
        limited.calls -= 1;
        return oktaError(429, 'E0000047', 'API call exceeded rate limit due to too many requests.');
      }
      if (window.used > perMinute)
        return oktaError(429, 'E0000047', 'API call exceeded rate limit due to too many requests.');
      return route(req.method ?? 'GET', url.pathname, query);
    })();
    record.status = result.status;
    return { ...result, headers: { ...headers, ...result.headers } };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const a = answer(req, Buffer.concat(chunks).toString('utf8'));
      const headers: Record<string, string> = {
        'x-okta-request-id': randomBytes(12).toString('base64url'),
        ...a.headers,
      };
      if (a.body !== undefined) headers['content-type'] = 'application/json';
      res.writeHead(a.status, headers).end(a.body === undefined ? undefined : JSON.stringify(a.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const byLogin = (login: string) => {
    const user = directory.userByLogin(login);
    if (!user) throw new Error(`no Okta user ${login}`);
    return user;
  };

  return {
    url: base,
    directory,
    requests,
    addUser: (u) => directory.addUser(u),
    addGroup: (g) => directory.addGroup(g),
    members: (groupId) =>
      [...(directory.groups.get(groupId)?.members ?? [])].map((id) => directory.users.get(id)?.login ?? id).sort(),
    addMember: (groupId, login) => directory.setMember(groupId, byLogin(login).id, true),
    removeMember: (groupId, login) => directory.setMember(groupId, byLogin(login).id, false),
    setStatus: (login, status) => void (byLogin(login).status = status),
    rateLimit: (resetInSeconds, calls = Number.POSITIVE_INFINITY) =>
      void (limited = { untilSecond: Math.floor(Date.now() / 1000) + resetInSeconds, calls }),
    failNext: (n, status = 503) => void (failures = { left: n, status }),
    setDown: (value) => void (down = value),
    denyGroup: (groupId, value = true) => void (value ? denied.add(groupId) : denied.delete(groupId)),
    revokeAccessTokens: () => oauth.tokens.clear(),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
