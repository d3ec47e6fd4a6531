import { createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';

/**
 * Google's OAuth 2.0 token endpoint for service accounts, as the double serves it: a JWT assertion
 * (RFC 7523) signed RS256 with the service account's key, exchanged for an opaque bearer token.
 * The checks and the error bodies are Google's: invalid_grant for a bad signature, an unknown
 * account or a token that is not short-lived.
 */
export const GOOGLE_TOKEN_AUDIENCE = 'https://oauth2.googleapis.com/token';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const TOKEN_LIFETIME_SECONDS = 3599;
/** Clock skew Google tolerates on iat; assertions may live 60 minutes at most. */
const SKEW_SECONDS = 300;

export interface IssuedToken {
  serviceAccount: string;
  scopes: string[];
  expiresAt: number;
}

export type TokenAnswer =
  | { status: 200; body: { access_token: string; expires_in: number; token_type: 'Bearer' } }
  | { status: 400 | 401; body: { error: string; error_description: string } };

const refuse = (error: string, description: string): TokenAnswer => ({
  status: 400,
  body: { error, error_description: description },
});

function decodeSegment(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function createTokenIssuer(accounts: { email: string; publicKeyPem: string }[], ownAudience: () => string) {
  const keys = new Map<string, KeyObject>(accounts.map((a) => [a.email, createPublicKey(a.publicKeyPem)]));
  const tokens = new Map<string, IssuedToken>();

  /** Answers one POST to the token endpoint (the form body already parsed). */
  function exchange(form: URLSearchParams, nowMs: number): TokenAnswer {
    const grantType = form.get('grant_type');
    if (grantType !== JWT_BEARER) return refuse('unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`);
    const assertion = form.get('assertion') ?? '';
    const parts = assertion.split('.');
    if (parts.length !== 3) return refuse('invalid_grant', 'Invalid JWT: the assertion is not a signed JWT.');
    const [h, p, sig] = parts as [string, string, string];
    const header = decodeSegment(h);
    const claims = decodeSegment(p);
    if (!header || !claims) return refuse('invalid_grant', 'Invalid JWT: the header or claims are not JSON.');
    if (header.alg !== 'RS256') return refuse('invalid_grant', 'Invalid JWT: only RS256 is accepted.');
    const key = typeof claims.iss === 'string' ? keys.get(claims.iss) : undefined;
    if (!key) return refuse('invalid_grant', 'Invalid grant: account not found');
    if (!verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(sig, 'base64url')))
      return refuse('invalid_grant', 'Invalid JWT Signature.');
    // Google's own token URL is the audience every client library signs for; the double's own URL
    // is accepted too, for clients that honour a key file's token_uri.
    if (claims.aud !== GOOGLE_TOKEN_AUDIENCE && claims.aud !== ownAudience())
      return refuse('invalid_grant', 'Invalid JWT: Failed audience check.');
    const now = Math.floor(nowMs / 1000);
    const { iat, exp } = claims;
    if (
      typeof iat !== 'number' ||
      typeof exp !== 'number' ||
      exp <= iat ||
      exp - iat > 3600 ||
      iat > now + SKEW_SECONDS ||
      exp < now - SKEW_SECONDS
    ) {
      return refuse(
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      );
    }
    if (typeof claims.scope !== 'string' || claims.scope.trim() === '')
      return refuse('invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    const token = `ya29.double-${randomBytes(24).toString('base64url')}`;
    tokens.set(token, {
      serviceAccount: claims.iss as string,
      scopes: claims.scope.split(/\s+/),
      expiresAt: nowMs + TOKEN_LIFETIME_SECONDS * 1000,
    });
    return { status: 200, body: { access_token: token, expires_in: TOKEN_LIFETIME_SECONDS, token_type: 'Bearer' } };
  }

  /** The token behind an Authorization header, if it was issued here and has not expired or been revoked. */
  function check(authorization: string | undefined, nowMs: number): IssuedToken | 'missing' | 'invalid' {
    const m = /^Bearer (\S+)$/i.exec(authorization ?? '');
    if (!m) return 'missing';
    const issued = tokens.get(m[1]!);
    if (!issued || issued.expiresAt <= nowMs) return 'invalid';
    return issued;
  }

  return {
    exchange,
    check,
    issuedCount: () => tokens.size,
    /** Test switch: every token issued so far stops working (as when an account's tokens are revoked). */
    revokeAll: () => tokens.clear(),
  };
}
