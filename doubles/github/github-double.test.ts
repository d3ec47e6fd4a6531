import { generateKeyPairSync, sign } from 'node:crypto';
import { request } from 'node:http';
import { Octokit } from '@octokit/rest';
import { createAppAuth } from '@octokit/auth-app';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubDouble, type GitHubDouble } from './github-double.js';

/** The double's own rules, through plain HTTP (what GitHub answers) and the real Octokit (what the bot sees). */
let gh: GitHubDouble;
let privateKey: string;

function jwt(claims: Record<string, unknown>, key = privateKey): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const data = `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}`;
  return `${data}.${sign('RSA-SHA256', Buffer.from(data), key).toString('base64url')}`;
}
const now = () => Math.floor(Date.now() / 1000);
const call = (path: string, init: { method?: string; auth?: string; body?: unknown } = {}) =>
  fetch(`${gh.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      'user-agent': 'test',
      ...(init.auth ? { authorization: init.auth } : {}),
      ...(init.body ? { 'content-type': 'application/json' } : {}),
    },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
async function installationToken(): Promise<string> {
  const res = await call(`/app/installations/${gh.installationId}/access_tokens`, {
    method: 'POST',
    auth: `Bearer ${jwt({ iat: now() - 30, exp: now() + 540, iss: String(gh.appId) })}`,
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { token: string }).token;
}

beforeAll(async () => {
  gh = await startGitHubDouble({ org: 'acme', maxPerPage: 2 });
  privateKey = gh.privateKeyPem!;
  const repo = gh.org.addRepo('api');
  for (const login of ['ann', 'bob', 'cat', 'dan', 'eve']) {
    gh.org.addMember(login);
    repo.collaborators.set(login, 'read');
  }
  gh.org.addUser('outsider');
});
afterAll(async () => gh?.stop());

describe('GitHub App authentication', () => {
  it('exchanges a JWT signed with the app key for an installation token, and refuses every other JWT', async () => {
    const tokenPath = `/app/installations/${gh.installationId}/access_tokens`;
    const post = (token: string) => call(tokenPath, { method: 'POST', auth: `Bearer ${token}` });
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    const cases: [string, string][] = [
      [
        jwt({ iat: now(), exp: now() + 60, iss: String(gh.appId) }, other.toString()),
        'A JSON web token could not be decoded',
      ],
      [
        jwt({ iat: now(), exp: now() + 660, iss: String(gh.appId) }),
        "'Expiration time' claim ('exp') is too far in the future",
      ],
      [
        jwt({ iat: now() - 700, exp: now() - 60, iss: String(gh.appId) }),
        "'Expiration time' claim ('exp') must be a numeric",
      ],
      [jwt({ iat: now(), exp: now() + 60, iss: '1' }), 'Integration not found'],
      ['not-a-jwt', 'A JSON web token could not be decoded'],
    ];
    for (const [token, message] of cases) {
      const res = await post(token);
      expect(res.status).toBe(401);
      const body = (await res.json()) as Record<string, string>;
      expect(body.message).toContain(message);
      expect(body).toMatchObject({ documentation_url: 'https://docs.github.com/rest', status: '401' });
    }
    const wrongInstallation = await call('/app/installations/1/access_tokens', {
      method: 'POST',
      auth: `Bearer ${jwt({ iat: now(), exp: now() + 60, iss: String(gh.appId) })}`,
    });
    expect(wrongInstallation.status).toBe(404);
    expect(await wrongInstallation.json()).toMatchObject({ message: 'Not Found', status: '404' });

    const token = await installationToken();
    expect(token).toMatch(/^ghs_[A-Za-z0-9]{36}$/);
    expect((await call('/repos/acme/api/collaborators', { auth: `token ${token}` })).status).toBe(200);
    expect((await call('/repos/acme/api/collaborators', { auth: `Bearer ${token}` })).status).toBe(200);
  });

  it('an API call needs an installation token: none, the JWT itself, or a revoked one is Bad credentials', async () => {
    const appJwt = jwt({ iat: now(), exp: now() + 60, iss: String(gh.appId) });
    const token = await installationToken();
    gh.revokeTokens();
    for (const auth of [undefined, `Bearer ${appJwt}`, `token ${token}`]) {
      const res = await call('/repos/acme/api/collaborators', { auth });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ message: 'Bad credentials', status: '401' });
    }
  });

  it('refuses a request without a User-Agent, as GitHub does', async () => {
    // fetch always sends one; node:http sends none unless told.
    const token = await installationToken();
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        `${gh.url}/repos/acme/api/collaborators`,
        { headers: { authorization: `token ${token}` } },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
    expect(text).toContain('User-Agent');
  });
});

describe('the REST API', () => {
  it('pages by Link header (next, last, prev, first) and Octokit follows it to the end', async () => {
    const auth = `token ${await installationToken()}`;
    const first = await call('/repos/acme/api/collaborators?affiliation=direct&per_page=100', { auth });
    expect(((await first.json()) as unknown[]).length).toBe(2);
    expect(first.headers.get('link')).toMatch(/page=2>; rel="next", <[^>]*page=3>; rel="last"$/);
    const middle = await call('/repos/acme/api/collaborators?affiliation=direct&per_page=2&page=2', { auth });
    expect(middle.headers.get('link')).toMatch(/rel="prev".*rel="next".*rel="last".*rel="first"/);
    const octokit = new Octokit({
      baseUrl: gh.url,
      authStrategy: createAppAuth,
      auth: { appId: gh.appId, privateKey, installationId: gh.installationId },
    });
    const all = await octokit.paginate(octokit.rest.repos.listCollaborators, {
      owner: 'acme',
      repo: 'api',
      affiliation: 'direct',
    });
    expect(all.map((c) => c.login)).toEqual(['ann', 'bob', 'cat', 'dan', 'eve']);
    expect(all[0]).toMatchObject({ role_name: 'read', permissions: { pull: true, push: false } });
  });

  it('adding someone outside the organization invites them (201); accepting makes them a collaborator', async () => {
    const auth = `token ${await installationToken()}`;
    const res = await call('/repos/acme/api/collaborators/outsider', {
      method: 'PUT',
      auth,
      body: { permission: 'push' },
    });
    expect(res.status).toBe(201);
    const invitation = (await res.json()) as { id: number; permissions: string; invitee: { login: string } };
    expect(invitation).toMatchObject({ permissions: 'write', invitee: { login: 'outsider' } });
    expect(gh.invitations('api')).toEqual([{ id: invitation.id, login: 'outsider', role: 'write' }]);
    gh.org.accept(gh.org.repos.get('api')!, 'outsider');
    expect(gh.collaborators('api').outsider).toBe('write');
    const member = await call('/repos/acme/api/collaborators/ann', {
      method: 'PUT',
      auth,
      body: { permission: 'triage' },
    });
    expect(member.status).toBe(204);
    expect(gh.collaborators('api').ann).toBe('triage');
  });

  it('answers 404 and 422 with GitHub’s error JSON', async () => {
    const auth = `token ${await installationToken()}`;
    const missing = await call('/repos/acme/nope/collaborators/ann', { method: 'PUT', auth, body: {} });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest',
      status: '404',
    });
    const bad = await call('/repos/acme/api/collaborators/ann', { method: 'PUT', auth, body: { permission: 'owner' } });
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({
      message: 'Validation Failed',
      errors: [{ resource: 'Repository', field: 'permission', code: 'invalid' }],
      documentation_url: expect.stringContaining('add-a-repository-collaborator'),
    });
  });

  it('enforces the installation’s permissions: 403 Resource not accessible by integration', async () => {
    const narrow = await startGitHubDouble({ org: 'acme', permissions: { administration: 'read' } });
    try {
      narrow.org.addRepo('api');
      narrow.org.addMember('ann');
      const octokit = new Octokit({
        baseUrl: narrow.url,
        authStrategy: createAppAuth,
        auth: { appId: narrow.appId, privateKey: narrow.privateKeyPem!, installationId: narrow.installationId },
      });
      const error = await octokit.rest.repos
        .addCollaborator({ owner: 'acme', repo: 'api', username: 'ann', permission: 'pull' })
        .catch((e: unknown) => e as { status: number; message: string });
      expect(error).toMatchObject({
        status: 403,
        message: expect.stringContaining('Resource not accessible by integration'),
      });
      expect((await octokit.rest.repos.listInvitations({ owner: 'acme', repo: 'api' })).status).toBe(200);
    } finally {
      await narrow.stop();
    }
  });
});

describe('rate limits', () => {
  it('secondary: 403 (or 429) with retry-after and GitHub’s message, then answers again', async () => {
    const auth = `token ${await installationToken()}`;
    for (const status of [403, 429] as const) {
      gh.secondaryRateLimit(7, 1, status);
      const res = await call('/repos/acme/api/invitations', { auth });
      expect(res.status).toBe(status);
      expect(res.headers.get('retry-after')).toBe('7');
      expect(await res.json()).toMatchObject({
        message: expect.stringContaining('You have exceeded a secondary rate limit'),
        documentation_url: expect.stringContaining('secondary-rate-limits'),
      });
      expect((await call('/repos/acme/api/invitations', { auth })).status).toBe(200);
    }
  });

  it('primary: every answer counts down x-ratelimit-remaining; used up, 403 with remaining 0 until the reset', async () => {
    const auth = `token ${await installationToken()}`;
    const a = await call('/repos/acme/api/invitations', { auth });
    const b = await call('/repos/acme/api/invitations', { auth });
    expect(Number(b.headers.get('x-ratelimit-remaining'))).toBe(Number(a.headers.get('x-ratelimit-remaining')) - 1);
    gh.exhaustRateLimit(120);
    const limited = await call('/repos/acme/api/invitations', { auth });
    expect(limited.status).toBe(403);
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(limited.headers.get('x-ratelimit-reset'))).toBeGreaterThan(now() + 100);
    expect(await limited.json()).toMatchObject({ message: expect.stringContaining('API rate limit exceeded') });
    gh.exhaustRateLimit(0);
  });
});
