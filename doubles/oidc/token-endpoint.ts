import type http from 'node:http';
import { readBody } from '../support/http-util.js';
import type { AuthorizationCodes } from './authorization-codes.js';
import { clientAuth } from './client-auth.js';
import { DEVICE_GRANT_TYPE, type DeviceGrants } from './device-grant.js';
import { json, type ProviderState, type RecordCall } from './provider-state.js';
import type { TokenIssuer } from './signing.js';
import type { OidcUser } from './types.js';

interface EndpointContext {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  state: ProviderState;
  tokens: TokenIssuer;
  record: RecordCall;
}

/**
 * `POST /token`: authenticates the client, then redeems an authorization code (once, for its client and
 * redirect URI, with the PKCE verifier) or answers a device grant's poll (RFC 8628 §3.5). `failNextToken`'s
 * status comes first, before the client is even checked.
 */
export async function tokenEndpoint(
  ctx: EndpointContext & { codes: AuthorizationCodes; devices: DeviceGrants },
): Promise<void> {
  const { req, res, state, tokens, codes, devices, record } = ctx;
  const form = new URLSearchParams(await readBody(req));
  const auth = clientAuth(state, req, form);
  const error = (status: number, code: string) => {
    record(status, { clientAuth: auth.how });
    json(res, status, { error: code }, status === 401 ? { 'www-authenticate': 'Basic realm="oidc-double"' } : {});
  };
  if (state.failToken) {
    const status = state.failToken;
    state.failToken = null;
    return error(status, 'server_error');
  }
  if (!auth.id) return error(401, 'invalid_client');
  if (form.get('grant_type') === DEVICE_GRANT_TYPE) {
    const polled = devices.poll(form.get('device_code') ?? '', auth.id);
    if (!polled.ok) return error(400, polled.error);
    record(200, { clientAuth: auth.how });
    // No nonce: there was no authorization request to carry one.
    const person = polled.user;
    const asUser: OidcUser = { sub: person.sub, email: person.email, amr: person.amr ?? ['pwd'] };
    if (person.emailVerified !== undefined) asUser.emailVerified = person.emailVerified;
    const grant = { clientId: polled.clientId, nonce: null, user: asUser, authTime: polled.authTime };
    return json(res, 200, await tokens.tokenResponse(grant, polled.scope));
  }
  if (form.get('grant_type') !== 'authorization_code') return error(400, 'unsupported_grant_type');
  const grant = codes.redeem(
    form.get('code') ?? '',
    auth.id,
    form.get('redirect_uri'),
    form.get('code_verifier') ?? '',
  );
  if (!grant) return error(400, 'invalid_grant');
  record(200, { clientAuth: auth.how });
  return json(res, 200, await tokens.tokenResponse(grant, 'openid email'));
}

/** `/userinfo` (GET or POST): the access token as a bearer in the Authorization header (RFC 6750). */
export function userInfoEndpoint(ctx: EndpointContext): void {
  const { req, res, state, tokens, record } = ctx;
  // Anything but a live access token /token issued is a 401.
  const header = req.headers.authorization ?? '';
  const held = /^Bearer ([A-Za-z0-9_-]+)$/.exec(header)?.[1];
  const user = tokens.holder(held);
  if (!user) {
    record(401);
    return json(
      res,
      401,
      { error: 'invalid_token' },
      { 'www-authenticate': `Bearer realm="oidc-double"${header ? ', error="invalid_token"' : ''}` },
    );
  }
  record(200);
  json(res, 200, {
    sub: state.userInfoFault === 'wrong_subject' ? `${user.sub}-someone-else` : user.sub,
    email: user.email,
    email_verified: user.emailVerified ?? true,
  });
}
