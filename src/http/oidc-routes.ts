import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { isAppError } from '../domain/errors.js';
import type { IdentityService } from '../services/identity-service.js';
import type { Route } from './server.js';
import type { SignInTokens } from './sign-in-token.js';

const COOKIE = 'oidc_state';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A plain page: one heading, one sentence. Never a stack trace, never a token. */
export function renderSignInPage(title: string, sentence: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1d1c1d}h1{font-size:1.4rem}</style></head>
<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(sentence)}</p></body></html>`;
}

function page(
  res: ServerResponse,
  status: number,
  title: string,
  sentence: string,
  headers: Record<string, string | string[]> = {},
) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    ...headers,
  });
  res.end(renderSignInPage(title, sentence));
}

function cookieOf(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return null;
}

/**
 * GET /oidc/start?token=… (a signed link the bot made for one Slack user) redirects to the provider;
 * GET /oidc/callback takes the provider's answer. A start link opens once (a forwarded link someone
 * already opened is refused); the state also travels in an HttpOnly cookie set at the start, so a
 * callback opened in another browser than the one that started fails.
 */
export function oidcRoutes(
  identity: IdentityService,
  tokens: SignInTokens,
  logger: Logger,
  secureCookie: () => boolean,
): Route[] {
  return [
    {
      method: 'GET',
      path: '/oidc/start',
      handler: async (_req, res, url) => {
        const check = tokens.verify(url.searchParams.get('token'));
        if (!check.ok)
          return page(
            res,
            check.reason === 'expired' ? 410 : 403,
            'Sign-in link not valid',
            check.reason === 'expired'
              ? 'This sign-in link has expired. Ask for a new one in Slack: /access link'
              : 'This sign-in link is not valid. Ask for a new one in Slack: /access link',
          );
        if (!identity.configured()) return page(res, 404, 'Not set up', 'Identity linking is not set up for this bot.');
        const { userId, purpose, requestId, linkId } = check.token;
        const begun = await identity.begin(userId, purpose, requestId, linkId);
        if (!begun)
          return page(
            res,
            409,
            'Sign-in link already used',
            purpose === 'step_up'
              ? 'This sign-in link was opened already; each link works once. Get a new one in Slack: try the approval (or the command) again.'
              : 'This sign-in link was opened already; each link works once. Ask for a new one in Slack: /access link',
          );
        const { state, url: target } = begun;
        const secure = secureCookie() ? '; Secure' : '';
        res.writeHead(302, {
          location: target,
          'cache-control': 'no-store',
          'set-cookie': `${COOKIE}=${state}; Path=/oidc; HttpOnly; SameSite=Lax; Max-Age=600${secure}`,
        });
        res.end();
      },
    },
    {
      method: 'GET',
      path: '/oidc/callback',
      handler: async (req, res, url) => {
        const clear = { 'set-cookie': `${COOKIE}=; Path=/oidc; HttpOnly; SameSite=Lax; Max-Age=0` };
        const providerError = url.searchParams.get('error');
        if (providerError)
          return page(
            res,
            400,
            'Not signed in',
            `The identity provider did not sign you in (${providerError.slice(0, 80)}). Start again from Slack.`,
            clear,
          );
        const state = url.searchParams.get('state');
        if (!state || cookieOf(req, COOKIE) !== state)
          return page(
            res,
            400,
            'Not signed in',
            'This sign-in was started in another browser or has expired. Start again from Slack.',
            clear,
          );
        try {
          const outcome = await identity.complete(url);
          const who = outcome.link.email ?? outcome.link.subject;
          if (outcome.purpose === 'step_up')
            return page(res, 200, 'Signed in', `Signed in as ${who}. Go back to Slack and click Approve again.`, clear);
          return page(res, 200, 'Linked', `Linked as ${who}. Go back to Slack.`, clear);
        } catch (error) {
          if (isAppError(error)) {
            const reason =
              typeof error.details?.reason === 'string'
                ? error.details.reason
                : 'The sign-in did not go through. Start again from Slack.';
            const status = error.code === 'identity_taken' ? 409 : error.code === 'identity_mismatch' ? 403 : 400;
            return page(res, status, 'Not linked', reason, clear);
          }
          logger.error({ err: error }, 'OIDC callback failed');
          return page(
            res,
            500,
            'Not linked',
            'Something went wrong on our side. Start again from Slack in a moment.',
            clear,
          );
        }
      },
    },
  ];
}
