import type http from 'node:http';
import { forbidden, type Answer } from './errors.js';
import { requiredScopes, type AccessToken, type OAuthServer } from './oauth.js';

export interface Caller {
  /** Whether the request carried the right `SSWS` token or a live OAuth access token. */
  authorized: boolean;
  scheme: 'SSWS' | 'Bearer' | null;
  /** The access token, for a Bearer call. */
  bearer: AccessToken | null;
}

/** How a Management API call authenticates: the org's API token (`SSWS`), else an OAuth access token. */
export function authenticate(req: http.IncomingMessage, token: string, oauth: OAuthServer, nowMs: number): Caller {
  const ssws = req.headers.authorization === `SSWS ${token}`;
  const bearer = ssws ? null : oauth.bearer(req.headers.authorization, nowMs);
  return { authorized: ssws || bearer !== null, scheme: ssws ? 'SSWS' : bearer ? 'Bearer' : null, bearer };
}

/** A Bearer call whose token has none of the scopes the call needs: 403 with `insufficient_scope`. */
export function scopeRefusal(caller: Caller, method: string, path: string, base: string): Answer | null {
  const { bearer } = caller;
  if (!bearer || requiredScopes(method, path).some((scope) => bearer.scopes.includes(scope))) return null;
  const needed = requiredScopes(method, path).at(-1)!;
  return forbidden({
    'www-authenticate': `Bearer realm="${base}", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", scope="${needed}"`,
  });
}
