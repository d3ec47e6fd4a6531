import { randomUUID } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { handleGraph } from './graph.js';
import { handleLogin } from './login.js';
import { selfSignedCertificate } from './self-signed.js';
import { EntraState, type DoubleApp, type DoubleGroup, type DoubleUser, type RecordedRequest } from './state.js';

export type { DoubleApp, DoubleGroup, DoubleUser, RecordedRequest } from './state.js';

/**
 * A local stand-in for Microsoft Entra ID: the identity platform's token endpoint (client
 * credentials) and the Microsoft Graph calls that manage group membership, over TLS with a
 * certificate made at start (`ca` is what a client must trust). See README.md in this folder.
 */
export interface EntraDoubleOptions {
  tenantId?: string;
  apps?: DoubleApp[];
  users?: Partial<DoubleUser>[];
  groups?: GroupSeed[];
  /** The most groups a `GET /groups` page holds, whatever `$top` asks (Graph's server-driven paging). */
  groupPageSize?: number;
  /** The double's clock in seconds (token lifetimes); defaults to the real one. */
  nowSeconds?: () => number;
}

/** A group as a test seeds it; the rest as Entra's defaults for a security group. */
export type GroupSeed = { displayName: string } & Partial<Omit<DoubleGroup, 'displayName'>>;

export interface GraphFaultOptions {
  status: number;
  code?: string;
  message?: string;
  /** Sent as Retry-After (seconds). */
  retryAfter?: number;
  /** Only requests whose `METHOD /path` matches. */
  match?: RegExp;
}

export interface EntraDouble {
  /** Origin of both the authority (`/{tenant}/oauth2/v2.0/token`) and Graph (`/v1.0/...`). */
  url: string;
  /** The PEM certificate the double serves: a client trusts it as its CA. */
  ca: string;
  tenantId: string;
  requests: RecordedRequest[];
  /** Graph requests only (token requests left out). */
  graphRequests(): RecordedRequest[];
  tokensIssued(): number;
  users(): DoubleUser[];
  groups(): DoubleGroup[];
  /** Direct member object ids of a group. */
  members(groupId: string): string[];
  /** Hand edits, as an admin in the Entra portal would make them (drift). */
  addMember(groupId: string, userId: string): void;
  removeMember(groupId: string, userId: string): void;
  addUser(user: Partial<DoubleUser>): DoubleUser;
  /** Sets (or, with null, removes) a user's manager, as an admin would in the portal or HR sync. */
  setManager(userId: string, managerId: string | null): void;
  addGroup(group: GroupSeed): DoubleGroup;
  /** Deleted in the portal: Graph answers 404 for it from now on. */
  deleteGroup(groupId: string): void;
  setAppRoles(clientId: string, roles: string[]): void;
  /** The next `count` Graph requests (matching `match`) fail with this status and Graph error. */
  failGraph(count: number, fault: GraphFaultOptions): void;
  /** The next `count` Graph requests answer 429 with Retry-After. */
  throttle(count: number, retryAfterSeconds: number, match?: RegExp): void;
  /** The next `count` token requests fail with this status. */
  failToken(count: number, status: number, message?: string): void;
  clearFaults(): void;
  stop(): Promise<void>;
}

export const DOUBLE_TENANT = '8f0e6c1d-2b4a-4c5e-9d7f-1a2b3c4d5e6f';
export const DOUBLE_CLIENT_ID = '3c2b1a09-8f7e-4d6c-b5a4-0f1e2d3c4b5a';
export const DOUBLE_CLIENT_SECRET = 'dbl~Q8w.secret-value-not-the-id';
export const LEAST_PRIVILEGE = ['GroupMember.ReadWrite.All', 'User.ReadBasic.All'];

const DEFAULT_CODES: Record<number, string> = {
  403: 'Authorization_RequestDenied',
  404: 'Request_ResourceNotFound',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

function completeUser(u: Partial<DoubleUser>): DoubleUser {
  const upn = u.userPrincipalName ?? u.mail ?? `user-${randomUUID().slice(0, 8)}@contoso.onmicrosoft.com`;
  return {
    id: u.id ?? randomUUID(),
    mail: u.mail === undefined ? upn : u.mail,
    userPrincipalName: upn,
    displayName: u.displayName ?? upn.split('@')[0]!,
    accountEnabled: u.accountEnabled ?? true,
    managerId: u.managerId ?? null,
  };
}

export async function startEntraDouble(options: EntraDoubleOptions = {}): Promise<EntraDouble> {
  const tls = selfSignedCertificate('Entra ID double');
  const state = new EntraState(options.tenantId ?? DOUBLE_TENANT, '', '');
  const nowSeconds = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  if (options.groupPageSize) state.groupPageSize = options.groupPageSize;
  for (const app of options.apps ?? [
    { clientId: DOUBLE_CLIENT_ID, secret: DOUBLE_CLIENT_SECRET, roles: LEAST_PRIVILEGE },
  ])
    state.apps.set(app.clientId, { ...app, roles: [...app.roles] });
  const addUser = (u: Partial<DoubleUser>) => {
    const user = completeUser(u);
    state.users.set(user.id, user);
    return user;
  };
  const addGroup = (g: GroupSeed) => {
    const group: DoubleGroup = {
      id: g.id ?? randomUUID(),
      displayName: g.displayName,
      isAssignableToRole: g.isAssignableToRole ?? false,
      members: [...(g.members ?? [])],
      description: g.description ?? null,
      groupTypes: [...(g.groupTypes ?? [])],
      mailEnabled: g.mailEnabled ?? false,
      securityEnabled: g.securityEnabled ?? true,
      extensions: { ...g.extensions },
    };
    state.groups.set(group.id, group);
    return group;
  };
  for (const u of options.users ?? []) addUser(u);
  for (const g of options.groups ?? []) addGroup(g);

  let origin = '';
  const server = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const method = req.method ?? 'GET';
      const url = new URL(req.url ?? '/', origin);
      state.requests.push({ method, path: `${url.pathname}${url.search}`, headers: req.headers, body });
      try {
        if (url.pathname.startsWith('/v1.0/'))
          return handleGraph({ state, origin, nowSeconds }, method, url, req.headers, body, res);
        if (handleLogin({ state, origin, nowSeconds }, method, url.pathname, body, res)) return;
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'BadRequest', message: `Invalid version or path: ${url.pathname}` } }));
      } catch (e) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'InternalServerError', message: (e as Error).message } }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.audience = origin;
  state.issuerBase = origin;

  const group = (id: string) => {
    const g = state.groups.get(id);
    if (!g) throw new Error(`the double has no group ${id}`);
    return g;
  };

  return {
    url: origin,
    ca: tls.cert,
    tenantId: state.tenantId,
    requests: state.requests,
    graphRequests: () => state.requests.filter((r) => r.path.startsWith('/v1.0/')),
    tokensIssued: () => state.tokensIssued,
    users: () => [...state.users.values()],
    groups: () => [...state.groups.values()],
    members: (id) => [...group(id).members],
    addMember(groupId, userId) {
      const g = group(groupId);
      if (!g.members.includes(userId)) g.members.push(userId);
    },
    removeMember(groupId, userId) {
      const g = group(groupId);
      g.members = g.members.filter((m) => m !== userId);
    },
    addUser,
    setManager(userId, managerId) {
      const user = state.users.get(userId);
      if (!user) throw new Error(`the double has no user ${userId}`);
      user.managerId = managerId;
    },
    addGroup,
    deleteGroup: (id) => void state.groups.delete(group(id).id),
    setAppRoles(clientId, roles) {
      const app = state.apps.get(clientId);
      if (!app) throw new Error(`the double has no app ${clientId}`);
      app.roles = [...roles];
    },
    failGraph(count, f) {
      state.graphFaults.push({
        left: count,
        status: f.status,
        code: f.code ?? DEFAULT_CODES[f.status] ?? 'UnknownError',
        message:
          f.message ??
          (f.status === 403
            ? 'Insufficient privileges to complete the operation.'
            : `The service answered ${f.status}.`),
        retryAfter: f.retryAfter,
        match: f.match,
      });
    },
    throttle(count, retryAfterSeconds, match) {
      state.graphFaults.push({
        left: count,
        status: 429,
        code: 'TooManyRequests',
        message: 'Too many requests. Please retry after the time given in Retry-After.',
        retryAfter: retryAfterSeconds,
        match,
      });
    },
    failToken(count, status, message) {
      state.tokenFaults.push({
        left: count,
        status,
        code: status >= 500 ? 'temporarily_unavailable' : 'invalid_request',
        message: message ?? `The token service answered ${status}.`,
      });
    },
    clearFaults() {
      state.graphFaults.length = 0;
      state.tokenFaults.length = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
