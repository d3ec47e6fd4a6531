import { createHash } from 'node:crypto';
import { findLinkBySubject } from '../db/identity-queries.js';
import {
  DEVICE_TOKEN_DAYS,
  ID_TOKEN_MAX_AGE_SECONDS,
  type LoginMethodsDto,
  type TokenExchangeDto,
} from '../domain/device-login.js';
import { AppError, isAppError } from '../domain/errors.js';
import type { ServiceDeps } from './deps.js';
import type { PersonalTokenService } from './personal-token-service.js';
import type { OidcProvider } from './ports.js';

/** The scope the CLI asks for: the subject is all the bot matches on (the link holds the rest). */
export const CLI_SCOPE = 'openid';

/**
 * The bot's half of the CLI's device login (docs/identity.md): it advertises where the CLI signs in (the
 * operator's public CLI client at the linking provider), and trades an ID token issued to that client for a
 * personal token of the Slack person the company identity is linked to. The ID token is checked by the
 * provider adapter (signature against the JWKS, issuer, audience = the CLI client, expiry, issued within
 * the last minutes); the person must be linked (`/access link`) and still in the workspace.
 */
export function createDeviceLoginService(
  deps: Pick<ServiceDeps, 'db' | 'directory'>,
  oidc: OidcProvider | null,
  cliClientId: string | null,
  tokens: Pick<PersonalTokenService, 'issue'> | null,
) {
  const enabled = () => Boolean(oidc && cliClientId && tokens);

  async function methods(): Promise<LoginMethodsDto> {
    if (!oidc || !cliClientId || !tokens) return { methods: ['token'] };
    // The discovered issuer: the one the ID tokens will carry (and the CLI discovers from).
    const issuer = await oidc.issuer().catch(() => null);
    if (!issuer) return { methods: ['token'] };
    return { methods: ['token', 'device'], device: { issuer, client_id: cliClientId, scope: CLI_SCOPE } };
  }

  async function exchange(idToken: string, name: string | null): Promise<TokenExchangeDto> {
    if (!oidc || !cliClientId || !tokens)
      throw new AppError('oidc_not_configured', 'device login is not configured', {
        reason:
          'This bot does not offer company sign-in for the CLI: make a personal token in Slack with /access token create.',
      });
    const claims = await oidc.verifyIdToken(idToken, cliClientId, ID_TOKEN_MAX_AGE_SECONDS);
    const link = await findLinkBySubject(deps.db, claims.issuer, claims.subject);
    if (!link)
      throw new AppError('not_linked', 'company identity not linked to a Slack user', {
        reason: 'Link your company identity first: /access link in Slack. Then run access-requests login again.',
        subject: claims.subject,
      });
    // Ask Slack now, not a cache: a person offboarded a minute ago gets no new token.
    const person = await deps.directory.person(link.slackUserId, { fresh: true });
    if (person.deleted || person.isBot || person.isGuest)
      throw new AppError('not_allowed', 'linked Slack user may not hold a token', {
        reason: person.isGuest
          ? 'Guests of the Slack workspace cannot request access, so no token was made.'
          : 'The Slack account linked to this company identity is deactivated; no token was made.',
      });
    const made = await tokens
      .issue(
        link.slackUserId,
        (name ?? '').trim() || 'access-requests (device login)',
        DEVICE_TOKEN_DAYS * 24 * 60,
        'device',
        // The same ID token never buys two tokens: a replay finds the first one's key.
        `device:${createHash('sha256').update(idToken).digest('base64url')}`,
        { issuer: claims.issuer, subject: claims.subject, idTokenIssuedAt: claims.issuedAt.toISOString() },
      )
      .catch((error: unknown) => {
        if (isAppError(error) && error.details?.reason === 'token_replayed')
          throw new AppError('name_taken', 'ID token exchanged already', {
            reason: 'This sign-in was used for a token already: run access-requests login again.',
            replayed: true,
          });
        throw error;
      });
    return {
      token: made.secret,
      id: made.id,
      name: made.name,
      expires_at: made.expiresAt.toISOString(),
      user: link.slackUserId,
    };
  }

  return { enabled, methods, exchange };
}

export type DeviceLoginService = ReturnType<typeof createDeviceLoginService>;
