import { createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';

/**
 * The double's org authorization server for API service apps: `POST /oauth2/v1/token` with the
 * client credentials grant and a `private_key_jwt` client assertion (RFC 7523), as Okta requires for
 * service apps calling the Management API. It checks the assertion's signature against the app's
 * registered public key, its `iss`/`sub` (the client id), `aud` (the token endpoint) and `exp`, and
 * grants only scopes the app was granted. Access tokens are opaque here (Okta's are JWTs) and last
 * an hour. DPoP is not modelled: the SDK's DPoP header is ignored.
 */
export interface OAuthClientRegistration {
  clientId: string;
  /** The app's public key (PEM or a KeyObject); Okta keeps it as a JWK. */
  publicKey: string | KeyObject;
  /** The Okta API scopes granted to the app (its *Okta API Scopes* tab). */
  scopes: string[];
}

export interface AccessToken {
  clientId: string;
  scopes: string[];
  expiresAt: number;
}

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

function decodePart(part: string | undefined): Record<string, unknown> | null {
  try {
    const value = JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as unknown;
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export class OAuthServer {
  readonly tokens = new Map<string, AccessToken>();
  private readonly clients: Map<string, { key: KeyObject; scopes: string[] }>;

  constructor(registrations: OAuthClientRegistration[]) {
    this.clients = new Map(
      registrations.map((r) => [
        r.clientId,
        { key: typeof r.publicKey === 'string' ? createPublicKey(r.publicKey) : r.publicKey, scopes: r.scopes },
      ]),
    );
  }

  /** Answers a token request: [status, OAuth JSON body]. */
  token(form: URLSearchParams, endpoint: string, nowMs: number): [number, Record<string, unknown>] {
    const fail = (status: number, error: string, description: string): [number, Record<string, unknown>] => [
      status,
      { error, error_description: description },
    ];
    if (form.get('grant_type') !== 'client_credentials')
      return fail(
        400,
        'unsupported_grant_type',
        'The authorization grant type is not supported by the authorization server.',
      );
    if (form.get('client_assertion_type') !== ASSERTION_TYPE)
      return fail(401, 'invalid_client', 'Client authentication failed.');
    const [head, body, signature] = (form.get('client_assertion') ?? '').split('.');
    const header = decodePart(head);
    const claims = decodePart(body);
    if (!header || !claims || signature === undefined)
      return fail(401, 'invalid_client', 'The client_assertion is not a valid JWT.');
    const client = typeof claims.iss === 'string' ? this.clients.get(claims.iss) : undefined;
    if (!client || claims.sub !== claims.iss)
      return fail(401, 'invalid_client', 'The client_assertion token has an invalid issuer or subject.');
    if (claims.aud !== endpoint)
      return fail(
        401,
        'invalid_client',
        'The audience claim for client_assertion must be the endpoint invoked for the request.',
      );
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= nowMs)
      return fail(401, 'invalid_client', 'The client_assertion token is expired.');
    const alg = header.alg;
    const data = Buffer.from(`${head}.${body}`);
    const sig = Buffer.from(signature, 'base64url');
    const valid =
      alg === 'RS256'
        ? verify('sha256', data, client.key, sig)
        : alg === 'ES256'
          ? verify('sha256', data, { key: client.key, dsaEncoding: 'ieee-p1363' }, sig)
          : false;
    if (!valid) return fail(401, 'invalid_client', 'The client_assertion signature is invalid.');
    const asked = (form.get('scope') ?? '').split(' ').filter(Boolean);
    const refused = asked.filter((s) => !client.scopes.includes(s));
    if (asked.length === 0 || refused.length > 0)
      return fail(400, 'invalid_scope', `The following scopes are not allowed: ${refused.join(' ') || '(none asked)'}`);
    const accessToken = randomBytes(32).toString('base64url');
    this.tokens.set(accessToken, { clientId: claims.iss as string, scopes: asked, expiresAt: nowMs + 3600_000 });
    return [200, { token_type: 'Bearer', expires_in: 3600, access_token: accessToken, scope: asked.join(' ') }];
  }

  /** The live access token a `Bearer` header carries, if any. */
  bearer(authorization: string | undefined, nowMs: number): AccessToken | null {
    const m = /^Bearer (\S+)$/.exec(authorization ?? '');
    const token = m ? this.tokens.get(m[1]!) : undefined;
    return token && token.expiresAt > nowMs ? token : null;
  }
}

/** The scope a Management API call needs: reading users, reading groups, or changing memberships. */
export function requiredScopes(method: string, path: string): string[] {
  if (path.startsWith('/api/v1/users')) return ['okta.users.read', 'okta.users.manage'];
  if (method === 'GET') return ['okta.groups.read', 'okta.groups.manage'];
  return ['okta.groups.manage'];
}
