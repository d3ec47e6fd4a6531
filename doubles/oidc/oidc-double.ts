import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../support/http-util.js';
import { authorizeEndpoint } from './authorize-endpoint.js';
import { createAuthorizationCodes } from './authorization-codes.js';
import { clientAuth } from './client-auth.js';
import { createDeviceGrants, type DevicePerson } from './device-grant.js';
import { deviceEndpoint } from './device-page.js';
import { discoveryDocument } from './discovery.js';
import { json, type ProviderState } from './provider-state.js';
import { createTokenIssuer } from './signing.js';
import { tokenEndpoint, userInfoEndpoint } from './token-endpoint.js';
import type { OidcCall, OidcDouble, OidcDoubleOptions } from './types.js';

export type { OidcCall, OidcDouble, OidcDoubleOptions, OidcUser, TokenFault, UserInfoFault } from './types.js';

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
 *
 * This file listens and routes; each endpoint lives in its own file (authorize-endpoint, token-endpoint,
 * device-page, discovery), the keys and tokens in signing.ts, the codes in authorization-codes.ts.
 */
export async function startOidcDouble(options: OidcDoubleOptions): Promise<OidcDouble> {
  // `now` is the world's clock (the sandbox's and the tests' movable one) for auth_time; iat and exp follow
  // real time, which is what openid-client checks them against.
  const now = () => Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
  const state: ProviderState = {
    options,
    clientSecret: options.clientSecret ?? null,
    issuer: '',
    user: options.user ?? null,
    tokenFault: null,
    thin: false,
    userInfoFault: null,
    lax: false,
    lastAuthorize: null,
    failToken: null,
  };
  const tokens = await createTokenIssuer(state);
  const codes = createAuthorizationCodes();
  const calls: OidcCall[] = [];
  const devices = createDeviceGrants({
    expiresIn: options.deviceExpiresIn ?? 600,
    interval: options.deviceInterval ?? 5,
    now: () => Date.now(),
  });
  /** Who may be picked on the device page: the sandbox's people, else the configured user. */
  const devicePeople = (): Array<DevicePerson & { name: string }> =>
    options.people?.map((p) => ({ ...p, amr: ['pwd'] })) ??
    (state.user ? [{ ...state.user, name: state.user.email }] : []);

  const server = http.createServer((req, res) => {
    void (async () => {
      const { issuer } = state;
      const url = new URL(req.url ?? '/', issuer);
      const record = (status: number, extra: Partial<OidcCall> = {}) =>
        calls.push({ path: url.pathname, status, ...extra });
      if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
        record(200);
        return json(res, 200, discoveryDocument(issuer));
      }
      if (req.method === 'GET' && url.pathname === '/jwks') {
        record(200);
        return json(res, 200, { keys: [tokens.publicJwk] });
      }
      if ((req.method === 'GET' || req.method === 'POST') && url.pathname === '/authorize')
        return authorizeEndpoint({ req, res, url, state, codes, now, record });
      if (req.method === 'POST' && url.pathname === '/token')
        return tokenEndpoint({ req, res, state, tokens, codes, devices, record });
      if (url.pathname === '/device_authorization' || url.pathname === '/device') {
        const form = req.method === 'POST' ? new URLSearchParams(await readBody(req)) : url.searchParams;
        const auth = url.pathname === '/device_authorization' ? clientAuth(state, req, form) : null;
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
      if ((req.method === 'GET' || req.method === 'POST') && url.pathname === '/userinfo')
        return userInfoEndpoint({ req, res, state, tokens, record });
      record(404);
      json(res, 404, { error: 'not_found' });
    })().catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { error: 'server_error', error_description: String(error) });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    issuer: state.issuer,
    clientId: options.clientId,
    clientSecret: state.clientSecret,
    calls,
    signInAs: (u) => void (state.user = u),
    fault: (f) => void (state.tokenFault = f),
    thinIdTokens: (on) => void (state.thin = on),
    userInfoFault: (f) => void (state.userInfoFault = f),
    ignoreReauthentication: (on) => void (state.lax = on),
    lastAuthorize: () => state.lastAuthorize,
    failNextToken: (status = 503) => void (state.failToken = status),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
