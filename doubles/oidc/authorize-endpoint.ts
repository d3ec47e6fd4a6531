import type http from 'node:http';
import { readBody } from '../support/http-util.js';
import type { AuthorizationCodes } from './authorization-codes.js';
import type { ProviderState, RecordCall } from './provider-state.js';
import { signInForm } from './sign-in-page.js';

/**
 * `/authorize`: checks the client and its redirect URI (refused on a page, never redirected), then the code
 * flow's parameters (PKCE S256 required), and signs in the configured user, or the person picked on the sign-in
 * page (GET shows it when nobody is signed in and there are `people`; its POST carries the choice). Redirects
 * back with a fresh code, or with an error. `now` is the world's clock in seconds (auth_time).
 */
export async function authorizeEndpoint(ctx: {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  url: URL;
  state: ProviderState;
  codes: AuthorizationCodes;
  now: () => number;
  record: RecordCall;
}): Promise<void> {
  const { req, res, url, state, codes, record } = ctx;
  const { options } = state;
  // POST: the sandbox's sign-in form, carrying the original parameters and who signs in.
  const q = req.method === 'POST' ? new URLSearchParams(await readBody(req)) : url.searchParams;
  state.lastAuthorize = q;
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
    return void res.end('invalid client_id or redirect_uri');
  }
  const back = new URL(redirectUri);
  const stateParam = q.get('state');
  if (stateParam) back.searchParams.set('state', stateParam);
  const fail = (error: string) => {
    back.searchParams.set('error', error);
    record(302);
    res.writeHead(302, { location: back.href });
    res.end();
  };
  if (q.get('response_type') !== 'code') return fail('unsupported_response_type');
  if (!(q.get('scope') ?? '').split(' ').includes('openid')) return fail('invalid_scope');
  if (q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) return fail('invalid_request');
  let signedIn = state.user;
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
    return void res.end(signInForm(q, options.people));
  }
  if (!signedIn) return fail('login_required');
  // max_age (seconds): a sign-in older than that is made again, as prompt=login always is.
  const maxAge = q.has('max_age') ? Number(q.get('max_age')) : null;
  const stale = maxAge !== null && (signedIn.authAgeSeconds ?? 0) > maxAge;
  const fresh = (!state.lax && (q.get('prompt') === 'login' || stale)) || req.method === 'POST';
  const code = codes.issue({
    clientId: options.clientId,
    redirectUri,
    challenge: q.get('code_challenge')!,
    nonce: q.get('nonce'),
    user: signedIn,
    authTime: ctx.now() - (fresh ? 0 : (signedIn.authAgeSeconds ?? 0)),
  });
  back.searchParams.set('code', code);
  back.searchParams.set('iss', state.issuer);
  record(302);
  res.writeHead(302, { location: back.href });
  res.end();
}
