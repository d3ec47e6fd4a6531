import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { readBody } from '../support/http-util.js';
import { createDeviceGrants, DEVICE_GRANT_TYPE, type DevicePerson } from './device-grant.js';
import { deviceEndpoint } from './device-page.js';
import { signInForm } from './sign-in-page.js';

/**
 * A local OpenID Connect provider that speaks the real protocol to openid-client: discovery
 * (`/.well-known/openid-configuration`), JWKS, `/authorize` (authorization code, PKCE S256 required,
 * auto-consent as the configured user), `/token` (client_secret_basic, client_secret_post or a public
 * client; the code once, the redirect URI and the PKCE verifier checked), RS256 ID tokens with
 * `auth_time`, `amr`, `acr`, `nonce`, `email`, `email_verified`, and `/userinfo` (bearer access token).
 * Switches issue expired tokens, tokens signed by a key not in the JWKS, or for another audience; thin ID
 * tokens (the e-mail only in UserInfo, as Okta's are); a UserInfo answer about someone else; a provider that
 * ignores `prompt=login` and `max_age`. The device authorization grant (RFC 8628) for public clients such as a
 * CLI: `/device_authorization`, a verification page at `/device` where a person picks who they are and
 * approves or denies, and `/token` polling with the RFC's answers. See README.md for what it does not model.
 */
export interface OidcUser {
  sub: string;
  email: string;
  emailVerified?: boolean;
  /** RFC 8176 methods of the sign-in, e.g. ['pwd', 'mfa'] (default ['pwd']). */
  amr?: string[];
  acr?: string;
  /** How long ago the person authenticated, in seconds (default 0: now; a `prompt=login` resets it to 0). */
  authAgeSeconds?: number;
}

export type TokenFault = 'expired' | 'wrong_key' | 'wrong_audience' | 'wrong_issuer' | 'wrong_nonce';

export interface OidcCall {
  path: string;
  status: number;
  /** For /token: how the client authenticated. */
  clientAuth?: 'basic' | 'post' | 'none' | 'bad';
}

/** `wrong_subject`: /userinfo answers with another person's `sub` than the ID token's (a mix-up to detect). */
export type UserInfoFault = 'wrong_subject';

export interface OidcDouble {
  issuer: string;
  clientId: string;
  clientSecret: string | null;
  calls: OidcCall[];
  /** Who /authorize signs in (auto-consent); null: it answers error=login_required. */
  signInAs(user: OidcUser | null): void;
  /** The next ID tokens carry this fault (null: none). */
  fault(fault: TokenFault | null): void;
  /** On: ID tokens carry no `email` / `email_verified`; only /userinfo gives them (OIDC Core 5.4, Okta). */
  thinIdTokens(on: boolean): void;
  /** /userinfo answers with this fault (null: none). */
  userInfoFault(fault: UserInfoFault | null): void;
  /** On: `prompt=login` and `max_age` are ignored, `auth_time` stays the earlier sign-in's (a lax provider). */
  ignoreReauthentication(on: boolean): void;
  /** The parameters of the last /authorize (to check state, nonce, PKCE and prompt were sent). */
  lastAuthorize(): URLSearchParams | null;
  /** The next /token answers 5xx. */
  failNextToken(status?: number): void;
  stop(): Promise<void>;
}

interface Grant {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce: string | null;
  user: OidcUser;
  authTime: number;
  used: boolean;
}

/** An access token /token issued: whom it is about, until when (UserInfo's bearer). */
interface AccessToken {
  user: OidcUser;
  expiresAt: number;
}

export async function startOidcDouble(options: {
  clientId: string;
  clientSecret?: string | null;
  user?: OidcUser | null;
  now?: () => Date;
  /** With nobody signed in, /authorize shows a tiny form to pick one of these people (the sandbox). */
  people?: Array<{ sub: string; email: string; name: string }>;
  /**
   * The client's registered redirect URIs, read at each /authorize (the sandbox learns its port late); any
   * other is refused on a page, never redirected to (RFC 6749 §3.1.2.4). Absent: any is accepted (the tests').
   */
  redirectUris?: () => string[];
  /** Public clients (no secret) that may use the device authorization grant: a CLI's client id. */
  deviceClients?: string[];
  /** Seconds the device grant's client is told to wait between polls (RFC 8628 `interval`; default 5). */
  deviceInterval?: number;
  /** Seconds a device code lives (RFC 8628 `expires_in`; default 600). */
  deviceExpiresIn?: number;
}): Promise<OidcDouble> {
  // `now` is the world's clock (the sandbox's and the tests' movable one) for auth_time; iat and exp follow
  // real time, which is what openid-client checks them against.
  const now = () => Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
  const realNow = () => Math.floor(Date.now() / 1000);
  const signing = await generateKeyPair('RS256', { extractable: true });
  const stranger = await generateKeyPair('RS256');
  const kid = randomBytes(8).toString('hex');
  const publicJwk: JWK = { ...(await exportJWK(signing.publicKey)), kid, alg: 'RS256', use: 'sig' };
  const clientSecret = options.clientSecret ?? null;
  const codes = new Map<string, Grant>();
  const accessTokens = new Map<string, AccessToken>();
  const calls: OidcCall[] = [];
  let user = options.user ?? null;
  let tokenFault: TokenFault | null = null;
  let thin = false;
  let userInfoFault: UserInfoFault | null = null;
  let lax = false;
  let lastAuthorize: URLSearchParams | null = null;
  let failToken: number | null = null;
  let issuer = '';
  const devices = createDeviceGrants({
    expiresIn: options.deviceExpiresIn ?? 600,
    interval: options.deviceInterval ?? 5,
    now: () => Date.now(),
  });
  /** Who may be picked on the device page: the sandbox's people, else the configured user. */
  const devicePeople = (): Array<DevicePerson & { name: string }> =>
    options.people?.map((p) => ({ ...p, amr: ['pwd'] })) ?? (user ? [{ ...user, name: user.email }] : []);

  const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    res.end(JSON.stringify(body));
  };

  function clientAuth(
    req: http.IncomingMessage,
    form: URLSearchParams,
  ): { id: string | null; how: OidcCall['clientAuth'] } {
    const header = req.headers.authorization;
    const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
    if (header?.startsWith('Basic ')) {
      const [id, secret] = Buffer.from(header.slice(6), 'base64')
        .toString('utf8')
        .split(':')
        .map((x) => decodeURIComponent(x));
      return clientSecret && id === options.clientId && same(secret ?? '', clientSecret)
        ? { id: id!, how: 'basic' }
        : { id: null, how: 'bad' };
    }
    if (form.has('client_secret')) {
      return clientSecret &&
        form.get('client_id') === options.clientId &&
        same(form.get('client_secret')!, clientSecret)
        ? { id: options.clientId, how: 'post' }
        : { id: null, how: 'bad' };
    }
    // A public client proves nothing but its id; PKCE (or the device code) is what binds the grant to it.
    const id = form.get('client_id');
    if (id && options.deviceClients?.includes(id)) return { id, how: 'none' };
    return !clientSecret && id === options.clientId ? { id: options.clientId, how: 'none' } : { id: null, how: 'bad' };
  }

  async function idToken(grant: Pick<Grant, 'clientId' | 'nonce' | 'user' | 'authTime'>): Promise<string> {
    const t = realNow();
    const claims: Record<string, unknown> = {
      ...(thin ? {} : { email: grant.user.email, email_verified: grant.user.emailVerified ?? true }),
      auth_time: grant.authTime,
      amr: grant.user.amr ?? ['pwd'],
      ...(grant.user.acr ? { acr: grant.user.acr } : {}),
      ...(grant.nonce ? { nonce: tokenFault === 'wrong_nonce' ? 'someone-elses-nonce' : grant.nonce } : {}),
    };
    const exp = tokenFault === 'expired' ? t - 600 : t + 300;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(tokenFault === 'wrong_issuer' ? `${issuer}/other` : issuer)
      .setSubject(grant.user.sub)
      .setAudience(tokenFault === 'wrong_audience' ? 'another-client' : grant.clientId)
      .setIssuedAt(tokenFault === 'expired' ? t - 900 : t)
      .setExpirationTime(exp)
      .sign((tokenFault === 'wrong_key' ? stranger.privateKey : signing.privateKey) as CryptoKey);
  }

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', issuer);
      const record = (status: number, extra: Partial<OidcCall> = {}) =>
        calls.push({ path: url.pathname, status, ...extra });
      if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
        record(200);
        return json(res, 200, {
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          userinfo_endpoint: `${issuer}/userinfo`,
          jwks_uri: `${issuer}/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          scopes_supported: ['openid', 'email', 'profile'],
          device_authorization_endpoint: `${issuer}/device_authorization`,
          grant_types_supported: ['authorization_code', DEVICE_GRANT_TYPE],
          token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
          code_challenge_methods_supported: ['S256'],
          claims_supported: [
            'sub',
            'iss',
            'aud',
            'exp',
            'iat',
            'auth_time',
            'nonce',
            'email',
            'email_verified',
            'amr',
            'acr',
          ],
        });
      }
      if (req.method === 'GET' && url.pathname === '/jwks') {
        record(200);
        return json(res, 200, { keys: [publicJwk] });
      }
      if ((req.method === 'GET' || req.method === 'POST') && url.pathname === '/authorize') {
        // POST: the sandbox's sign-in form, carrying the original parameters and who signs in.
        const q = req.method === 'POST' ? new URLSearchParams(await readBody(req)) : url.searchParams;
        lastAuthorize = q;
        const redirectUri = q.get('redirect_uri');
        // An unknown client or a missing redirect URI is shown, never redirected (RFC 6749 §4.1.2.1).
        const registered = options.redirectUris?.();
        if (
          q.get('client_id') !== options.clientId ||
          !redirectUri ||
          !URL.canParse(redirectUri) ||
          (registered && !registered.includes(redirectUri))
        ) {
          record(400);
          res.writeHead(400, { 'content-type': 'text/plain' });
          return res.end('invalid client_id or redirect_uri');
        }
        const back = new URL(redirectUri);
        const state = q.get('state');
        if (state) back.searchParams.set('state', state);
        const fail = (error: string) => {
          back.searchParams.set('error', error);
          record(302);
          res.writeHead(302, { location: back.href });
          res.end();
        };
        if (q.get('response_type') !== 'code') return fail('unsupported_response_type');
        if (!(q.get('scope') ?? '').split(' ').includes('openid')) return fail('invalid_scope');
        if (q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) return fail('invalid_request');
        let signedIn = user;
        const picked = options.people?.find((p) => p.sub === q.get('who'));
        if (req.method === 'POST' && picked)
          signedIn = { sub: picked.sub, email: picked.email, amr: q.get('mfa') === 'on' ? ['pwd', 'otp'] : ['pwd'] };
        if (!signedIn && options.people?.length && req.method === 'GET') {
          record(200);
          res.writeHead(200, {
            'content-type': 'text/html; charset=utf-8',
            'cache-control': 'no-store',
            // The form posts here and the answer redirects to the client's redirect URI: browsers apply
            // form-action to that redirect too (CSP3), so its origin (checked above) is allowed as well.
            'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${back.origin}`,
          });
          return res.end(signInForm(q, options.people));
        }
        if (!signedIn) return fail('login_required');
        // max_age (seconds): a sign-in older than that is made again, as prompt=login always is.
        const maxAge = q.has('max_age') ? Number(q.get('max_age')) : null;
        const stale = maxAge !== null && (signedIn.authAgeSeconds ?? 0) > maxAge;
        const fresh = (!lax && (q.get('prompt') === 'login' || stale)) || req.method === 'POST';
        const code = randomBytes(24).toString('base64url');
        codes.set(code, {
          clientId: options.clientId,
          redirectUri,
          challenge: q.get('code_challenge')!,
          nonce: q.get('nonce'),
          user: signedIn,
          authTime: now() - (fresh ? 0 : (signedIn.authAgeSeconds ?? 0)),
          used: false,
        });
        back.searchParams.set('code', code);
        back.searchParams.set('iss', issuer);
        record(302);
        res.writeHead(302, { location: back.href });
        return res.end();
      }
      if (req.method === 'POST' && url.pathname === '/token') {
        const form = new URLSearchParams(await readBody(req));
        const auth = clientAuth(req, form);
        const error = (status: number, code: string) => {
          record(status, { clientAuth: auth.how });
          json(res, status, { error: code }, status === 401 ? { 'www-authenticate': 'Basic realm="oidc-double"' } : {});
        };
        if (failToken) {
          const status = failToken;
          failToken = null;
          return error(status, 'server_error');
        }
        if (!auth.id) return error(401, 'invalid_client');
        if (form.get('grant_type') === DEVICE_GRANT_TYPE) {
          const polled = devices.poll(form.get('device_code') ?? '', auth.id);
          if (!polled.ok) return error(400, polled.error);
          record(200, { clientAuth: auth.how });
          return json(res, 200, await tokensFor(polled.clientId, polled.user, polled.authTime, polled.scope));
        }
        if (form.get('grant_type') !== 'authorization_code') return error(400, 'unsupported_grant_type');
        const grant = codes.get(form.get('code') ?? '');
        if (!grant || grant.clientId !== auth.id || grant.redirectUri !== form.get('redirect_uri'))
          return error(400, 'invalid_grant');
        if (grant.used) {
          codes.delete(form.get('code')!);
          return error(400, 'invalid_grant');
        }
        grant.used = true;
        const challenge = createHash('sha256')
          .update(form.get('code_verifier') ?? '')
          .digest('base64url');
        if (challenge !== grant.challenge) return error(400, 'invalid_grant');
        record(200, { clientAuth: auth.how });
        const accessToken = randomBytes(24).toString('base64url');
        accessTokens.set(accessToken, { user: grant.user, expiresAt: realNow() + 300 });
        return json(res, 200, {
          access_token: accessToken,
          token_type: 'Bearer',
          expires_in: 300,
          id_token: await idToken(grant),
          scope: 'openid email',
        });
      }
      if (url.pathname === '/device_authorization' || url.pathname === '/device') {
        const form = req.method === 'POST' ? new URLSearchParams(await readBody(req)) : url.searchParams;
        const auth = url.pathname === '/device_authorization' ? clientAuth(req, form) : null;
        return deviceEndpoint({
          req,
          res,
          url,
          form,
          auth,
          issuer,
          devices,
          people: devicePeople(),
          now: now(),
          record,
        });
      }
      if ((req.method === 'GET' || req.method === 'POST') && url.pathname === '/userinfo') {
        // RFC 6750: the access token as a bearer in the Authorization header; anything else is a 401.
        const header = req.headers.authorization ?? '';
        const held = /^Bearer ([A-Za-z0-9_-]+)$/.exec(header)?.[1];
        const token = held ? accessTokens.get(held) : undefined;
        if (!token || token.expiresAt < realNow()) {
          record(401);
          return json(
            res,
            401,
            { error: 'invalid_token' },
            { 'www-authenticate': `Bearer realm="oidc-double"${header ? ', error="invalid_token"' : ''}` },
          );
        }
        record(200);
        return json(res, 200, {
          sub: userInfoFault === 'wrong_subject' ? `${token.user.sub}-someone-else` : token.user.sub,
          email: token.user.email,
          email_verified: token.user.emailVerified ?? true,
        });
      }
      record(404);
      json(res, 404, { error: 'not_found' });
    })().catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { error: 'server_error', error_description: String(error) });
    });
  });
  /** A token response for a device grant: no nonce (there was no authorization request to carry one). */
  async function tokensFor(clientId: string, person: DevicePerson, authTime: number, scope: string) {
    const accessToken = randomBytes(24).toString('base64url');
    const asUser: OidcUser = { sub: person.sub, email: person.email, amr: person.amr ?? ['pwd'] };
    if (person.emailVerified !== undefined) asUser.emailVerified = person.emailVerified;
    accessTokens.set(accessToken, { user: asUser, expiresAt: realNow() + 300 });
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: 300,
      id_token: await idToken({ clientId, nonce: null, user: asUser, authTime }),
      scope,
    };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    issuer,
    clientId: options.clientId,
    clientSecret,
    calls,
    signInAs: (u) => void (user = u),
    fault: (f) => void (tokenFault = f),
    thinIdTokens: (on) => void (thin = on),
    userInfoFault: (f) => void (userInfoFault = f),
    ignoreReauthentication: (on) => void (lax = on),
    lastAuthorize: () => lastAuthorize,
    failNextToken: (status = 503) => void (failToken = status),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
