import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/**
 * GitHub App authentication as GitHub checks it: the app signs a JWT (RS256) with its private key,
 * `iss` its app id (or client id), `iat` and `exp` integers with `exp` at most ten minutes ahead; GitHub
 * verifies the signature against the app's registered public key and answers 401 with the sentences
 * below otherwise (the ones GitHub sends, as reported by Octokit's and others' issue trackers).
 */
export interface AppRegistration {
  appId: number;
  clientId?: string;
  publicKey: KeyObject;
}

export type JwtCheck = { ok: true } | { ok: false; message: string };

const b64json = (part: string): Record<string, unknown> | null => {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};

export const NOT_DECODED = 'A JSON web token could not be decoded';

export function checkAppJwt(app: AppRegistration, jwt: string, nowSeconds: number): JwtCheck {
  const parts = jwt.split('.');
  if (parts.length !== 3) return { ok: false, message: NOT_DECODED };
  const [h, p, s] = parts as [string, string, string];
  const header = b64json(h);
  const claims = b64json(p);
  if (!header || !claims || header.alg !== 'RS256') return { ok: false, message: NOT_DECODED };
  const signed = verify('RSA-SHA256', Buffer.from(`${h}.${p}`), app.publicKey, Buffer.from(s, 'base64url'));
  if (!signed) return { ok: false, message: NOT_DECODED };
  const iss = String(claims.iss ?? '');
  if (iss !== String(app.appId) && iss !== app.clientId) return { ok: false, message: 'Integration not found' };
  const { iat, exp } = claims;
  if (typeof iat !== 'number' || !Number.isInteger(iat) || iat > nowSeconds + 60)
    return {
      ok: false,
      message: "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
    };
  if (typeof exp !== 'number' || !Number.isInteger(exp) || exp <= nowSeconds)
    return {
      ok: false,
      message:
        "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
    };
  if (exp > nowSeconds + 600) return { ok: false, message: "'Expiration time' claim ('exp') is too far in the future" };
  return { ok: true };
}

export const publicKeyOf = (pem: string | KeyObject): KeyObject =>
  typeof pem === 'string' ? createPublicKey(pem) : pem;
