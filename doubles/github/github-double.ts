import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkAppJwt, publicKeyOf, type AppRegistration } from './app-auth.js';
import { answerGraphql } from './graphql.js';
import { DOCS, ghError, notFound, type Answer } from './errors.js';
import { routeRest, type Scope } from './routes.js';
import { GitHubOrg, installationToken, type RepoRole } from './state.js';

/**
 * A local GitHub (github.com, or GitHub Enterprise Server under `/api/v3`) for the parts of the REST API
 * the github provisioner uses, speaking to the real Octokit: a GitHub App's JWT exchanged for an
 * installation token (`POST /app/installations/{id}/access_tokens`, signature checked against the app's
 * public key), that token required everywhere else, the installation's permissions enforced, `Link`
 * paging, GitHub's error JSON, and its primary and secondary rate limits. README.md says what it does not model.
 */
export interface GitHubRequest {
  method: string;
  path: string;
  status: number;
  /** How it authenticated: the app's JWT, an installation token, or neither (nor a valid one). */
  auth: 'jwt' | 'installation' | null;
}

export interface GitHubDoubleOptions {
  /** The GitHub App's id and its public key (PEM or KeyObject); without a key one is made (see `privateKeyPem`). */
  appId?: number;
  publicKey?: string | KeyObject;
  org: string;
  /** What the installation was granted (default: organization members write, repository administration write, metadata read). */
  permissions?: Partial<Record<Scope, 'read' | 'write'>>;
  /** The most items a page holds, whatever `per_page` asks (GitHub's cap is 100). */
  maxPerPage?: number;
  /** Serve GitHub Enterprise Server's paths: REST under /api/v3, GraphQL at /api/graphql. */
  enterprise?: boolean;
  /** Requests per hour an installation may make (GitHub's floor for installations is 5,000). */
  rateLimitPerHour?: number;
}

export interface GitHubDouble {
  /** The base URL to give Octokit (`…/api/v3` with `enterprise`). */
  url: string;
  appId: number;
  installationId: number;
  /** The app's private key as PEM, when the double made the key pair. */
  privateKeyPem: string | null;
  org: GitHubOrg;
  requests: GitHubRequest[];
  /** Installation tokens issued so far (each exchange of a JWT). */
  tokensIssued(): number;
  collaborators(repo: string): Record<string, RepoRole>;
  invitations(repo: string): { id: number; login: string; role: RepoRole }[];
  teamMembers(slug: string): { login: string; role: string; state: string }[];
  /** GitHub's secondary rate limit for the next `calls` calls: `status` 403 (or 429) with `retry-after`. */
  secondaryRateLimit(retryAfterSeconds: number, calls?: number, status?: 403 | 429): void;
  /** Uses up the installation's hourly budget until `resetInSeconds` from now (primary limit: 403, remaining 0). */
  exhaustRateLimit(resetInSeconds: number): void;
  /** The next `n` calls answer `status` (5xx). */
  failNext(n: number, status?: number): void;
  setDown(down: boolean): void;
  /** Ends every installation token issued so far (as an hour passing would). */
  revokeTokens(): void;
  stop(): Promise<void>;
}

const DEFAULT_PERMISSIONS: Record<Scope, 'read' | 'write'> = {
  members: 'write',
  administration: 'write',
  metadata: 'read',
};

export async function startGitHubDouble(options: GitHubDoubleOptions): Promise<GitHubDouble> {
  let privateKeyPem: string | null = null;
  let publicKey: KeyObject;
  if (options.publicKey) publicKey = publicKeyOf(options.publicKey);
  else {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    publicKey = pair.publicKey;
    privateKeyPem = pair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  }
  const app: AppRegistration = { appId: options.appId ?? 424242, publicKey };
  const installationId = 40_000_000 + Math.floor(Math.random() * 1_000_000);
  const permissions = { ...DEFAULT_PERMISSIONS, ...options.permissions };
  const org = new GitHubOrg(options.org);
  const requests: GitHubRequest[] = [];
  const tokens = new Map<string, number>(); // token -> expiry (ms)
  const prefix = options.enterprise ? '/api/v3' : '';
  const perHour = options.rateLimitPerHour ?? 5000;
  let issued = 0;
  let secondary = { calls: 0, retryAfter: 0, status: 403 as 403 | 429 };
  let primary = { used: 0, resetAt: Math.floor(Date.now() / 1000) + 3600 };
  let failures = { left: 0, status: 502 };
  let down = false;
  let origin = '';

  function rateHeaders(): Record<string, string> {
    const now = Math.floor(Date.now() / 1000);
    if (now >= primary.resetAt) primary = { used: 0, resetAt: now + 3600 };
    return {
      'x-ratelimit-limit': String(perHour),
      'x-ratelimit-remaining': String(Math.max(0, perHour - primary.used)),
      'x-ratelimit-reset': String(primary.resetAt),
      'x-ratelimit-used': String(primary.used),
      'x-ratelimit-resource': 'core',
    };
  }

  function answer(req: http.IncomingMessage, path: string, body: string, record: GitHubRequest): Answer {
    if (down) return ghError(503, 'Service Unavailable', DOCS.rest);
    if (!req.headers['user-agent'])
      return {
        status: 403,
        text: 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.\n',
      };
    if (failures.left > 0) {
      failures.left -= 1;
      return ghError(failures.status, 'Server Error', DOCS.rest);
    }
    const [scheme, credential] = String(req.headers.authorization ?? '').split(/\s+/, 2);
    const rest = prefix && path.startsWith(prefix) ? path.slice(prefix.length) : prefix ? null : path;
    const graphqlPath = options.enterprise ? '/api/graphql' : '/graphql';
    const nowS = Math.floor(Date.now() / 1000);

    const tokenExchange = rest?.match(/^\/app\/installations\/(\d+)\/access_tokens$/);
    if (tokenExchange && req.method === 'POST') {
      if (!/^bearer$/i.test(scheme ?? '') || !credential)
        return ghError(401, 'A JSON web token could not be decoded', DOCS.rest);
      const check = checkAppJwt(app, credential, nowS);
      if (!check.ok) return ghError(401, check.message, DOCS.rest);
      record.auth = 'jwt';
      if (Number(tokenExchange[1]) !== installationId) return notFound(DOCS.accessTokens);
      const token = installationToken();
      const expiresAt = Date.now() + 3600_000;
      tokens.set(token, expiresAt);
      issued += 1;
      return {
        status: 201,
        body: {
          token,
          expires_at: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          permissions,
          repository_selection: 'all',
        },
      };
    }

    // Everything else needs an installation token (`token …` or `Bearer …`, GitHub takes both).
    const expiry = credential && /^(token|bearer)$/i.test(scheme ?? '') ? tokens.get(credential) : undefined;
    if (!expiry || expiry <= Date.now()) return ghError(401, 'Bad credentials', DOCS.rest);
    record.auth = 'installation';
    const headers = rateHeaders();
    if (secondary.calls > 0) {
      secondary.calls -= 1;
      return {
        ...ghError(
          secondary.status,
          `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${randomBytes(4).toString('hex').toUpperCase()}:${randomBytes(3).toString('hex').toUpperCase()}.`,
          DOCS.secondary,
        ),
        headers: { ...headers, 'retry-after': String(secondary.retryAfter) },
      };
    }
    if (primary.used >= perHour)
      return {
        ...ghError(403, `API rate limit exceeded for installation ID ${installationId}.`, DOCS.primary),
        headers: { ...headers, 'x-ratelimit-remaining': '0' },
      };
    primary.used += 1;
    const withRate = (a: Answer): Answer => ({ ...a, headers: { ...rateHeaders(), ...a.headers } });

    if (path === graphqlPath && req.method === 'POST') return withRate(answerGraphql(org, body, permissions));
    if (rest === null) return withRate(notFound(DOCS.rest));
    const url = new URL(rest, 'http://x');
    const query = Object.fromEntries(url.searchParams);
    const parts = url.pathname
      .split('/')
      .filter(Boolean)
      .map((p) => decodeURIComponent(p));
    let json: Record<string, unknown> = {};
    if (body) {
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        return withRate(ghError(400, 'Problems parsing JSON', DOCS.rest));
      }
    }
    const link = (q: Record<string, string>) => `${origin}${prefix}${url.pathname}?${new URLSearchParams(q)}`;
    return withRate(
      routeRest(
        { org, permissions, base: origin + prefix, maxPerPage: options.maxPerPage ?? 100, link },
        req.method ?? 'GET',
        parts,
        query,
        json,
      ),
    );
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const record: GitHubRequest = { method: req.method ?? 'GET', path, status: 0, auth: null };
      let a: Answer;
      try {
        a = answer(req, path, Buffer.concat(chunks).toString('utf8'), record);
      } catch (error) {
        a = ghError(500, `double: ${(error as Error).message}`, DOCS.rest);
      }
      record.status = a.status;
      requests.push(record);
      const common = {
        'x-github-request-id': `${randomBytes(4).toString('hex').toUpperCase()}:${randomBytes(3).toString('hex').toUpperCase()}`,
        'x-github-media-type': 'github.v3; format=json',
        'x-github-api-version-selected': '2022-11-28',
      };
      if (a.text !== undefined) {
        res.writeHead(a.status, { 'content-type': 'text/plain; charset=utf-8', ...common, ...a.headers });
        res.end(a.text);
      } else if (a.body === undefined) {
        res.writeHead(a.status, { ...common, ...a.headers });
        res.end();
      } else {
        res.writeHead(a.status, { 'content-type': 'application/json; charset=utf-8', ...common, ...a.headers });
        res.end(JSON.stringify(a.body));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const repoOf = (name: string) => {
    const repo = org.repos.get(name.toLowerCase());
    if (!repo) throw new Error(`GitHub double: no repository ${name}`);
    return repo;
  };
  return {
    url: origin + prefix,
    appId: app.appId,
    installationId,
    privateKeyPem,
    org,
    requests,
    tokensIssued: () => issued,
    collaborators: (name) =>
      Object.fromEntries([...repoOf(name).collaborators].map(([login, role]) => [org.user(login)!.login, role])),
    invitations: (name) =>
      [...repoOf(name).invitations.values()].map((i) => ({ id: i.id, login: i.login, role: i.role })),
    teamMembers: (slug) =>
      [...(org.teams.get(slug)?.members ?? new Map())].map(([login, m]) => ({
        login: org.user(login)!.login,
        role: m.role as string,
        state: m.state as string,
      })),
    secondaryRateLimit(retryAfter, calls = 1, status = 403) {
      secondary = { calls, retryAfter, status };
    },
    exhaustRateLimit(resetInSeconds) {
      primary = { used: perHour, resetAt: Math.floor(Date.now() / 1000) + resetInSeconds };
    },
    failNext(n, status = 502) {
      failures = { left: n, status };
    },
    setDown(value) {
      down = value;
    },
    revokeTokens() {
      tokens.clear();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
