import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { authenticate, scopeRefusal } from './api-auth.js';
import { OktaDirectory, type OktaGroupRecord, type OktaUserRecord, type OktaUserStatus } from './directory.js';
import { oktaError, rateLimited, serverError, type Answer } from './errors.js';
import { OAuthServer, type OAuthClientRegistration } from './oauth.js';
import { RateLimit } from './rate-limit.js';
import { route } from './routes.js';

/**
 * A local stand-in for the parts of Okta's Management API the okta provisioner uses: user lookup
 * (`GET /api/v1/users/{idOrLogin}`, `GET /api/v1/users?search=`), groups and their members
 * (`GET /api/v1/groups/{id}`, `GET|PUT|DELETE /api/v1/groups/{id}/users[/{userId}]`), with Okta's
 * checks and answers: the `SSWS` token, Okta's error JSON, `X-Rate-Limit-*` headers and 429s,
 * `Link` header pagination. See README.md beside this file for what it does not model.
 *
 * This file listens, keeps the switches and applies Okta's order of checks; the calls themselves are in
 * routes.ts, paging in pagination.ts, authentication in api-auth.ts (the token server in oauth.ts), the rate
 * limit in rate-limit.ts, the error answers in errors.ts and the org's data in directory.ts.
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

export async function startOktaDouble(options: OktaDoubleOptions): Promise<OktaDouble> {
  const directory = new OktaDirectory();
  const requests: OktaRequest[] = [];
  const pageSize = options.pageSize ?? 200;
  const rate = new RateLimit(options.rateLimitPerMinute ?? 600);
  const denied = new Set<string>();
  const oauth = new OAuthServer(options.oauthClients ?? []);
  let failures = { left: 0, status: 503 };
  let down = false;
  let base = '';

  /** Okta's order of checks: the org is up, faults, the token endpoint, authentication, scope, rate limits. */
  function answer(req: http.IncomingMessage, body: string): Answer {
    const url = new URL(req.url ?? '/', base);
    const query = Object.fromEntries(url.searchParams);
    const now = Date.now();
    const caller = authenticate(req, options.token, oauth, now);
    const record: OktaRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query,
      authorized: caller.authorized,
      scheme: caller.scheme,
      retryCount: Number(req.headers['x-okta-retry-count'] ?? 0),
      status: 0,
    };
    requests.push(record);
    const headers = rate.count(now);
    const result = ((): Answer => {
      if (down) return serverError(503);
      if (failures.left > 0) {
        failures.left -= 1;
        return serverError(failures.status);
      }
      if (url.pathname === '/oauth2/v1/token' && req.method === 'POST') {
        const [status, json] = oauth.token(new URLSearchParams(body), `${base}/oauth2/v1/token`, now);
        return { status, body: json };
      }
      if (!caller.authorized) return oktaError(401, 'E0000011', 'Invalid token provided');
      const refused = scopeRefusal(caller, req.method ?? 'GET', url.pathname, base);
      if (refused) return refused;
      if (rate.refuses(now)) return rateLimited();
      return route({ directory, denied, pageSize, base }, req.method ?? 'GET', url.pathname, query);
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
    rateLimit: (resetInSeconds, calls = Number.POSITIVE_INFINITY) => rate.limit(resetInSeconds, calls),
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
