import { createHash } from 'node:crypto';
import { findLinkBySubject } from '../db/identity-queries.js';
import {
  DEVICE_TOKEN_DAYS,
  ID_TOKEN_MAX_AGE_SECONDS,
  type LoginMethodsDto,
  type TokenExchangeDto,
} from '../domain/device-login.js';
import { AppError } from '../domain/errors.js';
import type { ServiceDeps } from './deps.js';
import type { OidcProvider } from './ports.js';

/** The scope the CLI asks for: the subject is all the bot matches on (the link holds the rest). */
export const CLI_SCOPE = 'openid';

/** What issuing a personal token needs (services/personal-token-service.ts `issue`). */
export interface PersonalTokenIssuer {
  issue(input: {
    userId: string;
    name: string;
    createdVia: 'device';
    days: number;
    /** Makes the call idempotent per person: the same ID token never buys two tokens. */
    creationKey: string;
    /** Kept on the audit event: which company identity the token was issued for. */
    auditDetails: Record<string, unknown>;
  }): Promise<{ secret: string; id: string; name: string; expiresAt: Date }>;
}

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
  tokens: PersonalTokenIssuer | null,
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
    const person = await deps.directory.person(link.slackUserId, { fresh: true });
    if (person.deleted || person.isBot)
      throw new AppError('not_allowed', 'linked Slack user is deactivated', {
        reason: 'The Slack account linked to this company identity is deactivated; no token was made.',
      });
    const made = await tokens.issue({
      userId: link.slackUserId,
      name: (name ?? '').trim().slice(0, 80) || 'access-requests (device login)',
      createdVia: 'device',
      days: DEVICE_TOKEN_DAYS,
      creationKey: `device:${createHash('sha256').update(idToken).digest('base64url')}`,
      auditDetails: {
        issuer: claims.issuer,
        subject: claims.subject,
        id_token_issued_at: claims.issuedAt.toISOString(),
      },
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
