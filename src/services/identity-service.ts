import { randomBytes } from 'node:crypto';
import { appendAudit } from '../db/audit-queries.js';
import {
  deleteLink,
  findLink,
  findLinkBySubject,
  insertLogin,
  pruneLogins,
  saveLink,
  takeLogin,
} from '../db/identity-queries.js';
import { AppError } from '../domain/errors.js';
import { stepUpClaims, type IdentityLink } from '../domain/identity-link.js';
import type { OidcProvider, ServiceDeps } from './ports.js';
import { isAdmin } from './identity.js';

/** A sign-in's state is usable once, for this long. */
export const LOGIN_TTL_MINUTES = 10;

export type SignInPurpose = 'link' | 'step_up';

export interface SignInOutcome {
  purpose: SignInPurpose;
  requestId: string | null;
  link: IdentityLink;
}

const random = () => randomBytes(32).toString('base64url');

/**
 * Identity linking and step-up sign-ins (docs/identity.md). `signInUrl` makes the signed, short-lived
 * link the bot hands a Slack user (http/sign-in-token.ts); `oidc` is null when OIDC_ISSUER is unset.
 */
export function createIdentityService(
  deps: Pick<ServiceDeps, 'db' | 'clock' | 'admins' | 'directory'>,
  oidc: OidcProvider | null,
  signInUrl: (userId: string, purpose: SignInPurpose, requestId: string | null) => string,
) {
  const { db, clock } = deps;

  function configured(): OidcProvider {
    if (!oidc) throw new AppError('oidc_not_configured', 'OIDC_ISSUER is not set');
    return oidc;
  }

  async function linkOf(userId: string): Promise<(IdentityLink & { provider: string }) | null> {
    const link = await findLink(db, userId);
    return link ? { ...link, provider: oidc?.name ?? link.issuer } : null;
  }

  /** The link a Slack user opens to sign in (nothing is stored until they open it). */
  function signInLink(userId: string, purpose: SignInPurpose, requestId: string | null = null): string {
    configured();
    return signInUrl(userId, purpose, requestId);
  }

  /** Opens a sign-in for the user the signed link named: its state, nonce and PKCE verifier, and the provider's URL. */
  async function begin(
    userId: string,
    purpose: SignInPurpose,
    requestId: string | null,
  ): Promise<{ state: string; url: string }> {
    const provider = configured();
    const now = clock.now();
    const login = {
      state: random(),
      nonce: random(),
      codeVerifier: random(),
      slackUserId: userId,
      purpose,
      requestId,
      createdAt: now,
    };
    await pruneLogins(db, new Date(now.getTime() - 24 * 3600_000));
    await insertLogin(db, login);
    return { state: login.state, url: await provider.authorizationUrl(login, purpose === 'step_up') };
  }

  /**
   * The provider's redirect back: the state is taken once (replays and stale ones refused), the code
   * exchanged and the ID token verified, then the link stored and audited. Tokens are never stored.
   */
  async function complete(callbackUrl: URL): Promise<SignInOutcome> {
    const provider = configured();
    const state = callbackUrl.searchParams.get('state') ?? '';
    const now = clock.now();
    const login = state ? await takeLogin(db, state, new Date(now.getTime() - LOGIN_TTL_MINUTES * 60_000), now) : null;
    if (!login)
      throw new AppError('sign_in_failed', 'unknown, used or stale state', {
        reason: 'This sign-in link was already used or is too old. Start again from Slack.',
      });
    const claims = await provider.exchange(callbackUrl, login);
    // A refusal is audited and committed, then thrown (a throw inside would roll its audit event back).
    const outcome = await db.transaction(async (tx): Promise<SignInOutcome | AppError> => {
      const owner = await findLinkBySubject(tx, claims.issuer, claims.subject);
      if (owner && owner.slackUserId !== login.slackUserId) {
        await appendAudit(tx, {
          requestId: null,
          actor: login.slackUserId,
          action: 'identity.link_refused',
          createdAt: now,
          details: { issuer: claims.issuer, subject: claims.subject, reason: 'linked_to_another_user' },
        });
        return new AppError('identity_taken', 'subject linked to another Slack user', {
          reason: 'This company identity is already linked to another Slack user.',
        });
      }
      const mine = await findLink(tx, login.slackUserId);
      if (mine && (mine.issuer !== claims.issuer || mine.subject !== claims.subject)) {
        // A link changes only through an admin: otherwise a stolen Slack session could re-link the victim
        // to the thief's own company account and pass every step-up with it.
        await appendAudit(tx, {
          requestId: login.requestId,
          actor: login.slackUserId,
          action: 'identity.link_refused',
          createdAt: now,
          details: { issuer: claims.issuer, subject: claims.subject, reason: 'another_identity_linked' },
        });
        return new AppError('sign_in_failed', 'sign-in with another identity than the linked one', {
          reason:
            'You signed in as a different company identity than the one linked to your Slack user. Sign in as the linked one, or ask an admin to unlink it first.',
        });
      }
      const same = mine && mine.issuer === claims.issuer && mine.subject === claims.subject;
      const link: IdentityLink = {
        slackUserId: login.slackUserId,
        issuer: claims.issuer,
        subject: claims.subject,
        email: claims.email,
        emailVerified: claims.emailVerified,
        linkedAt: same ? mine.linkedAt : now,
        authTime: claims.authTime,
        amr: claims.amr,
        acr: claims.acr,
        signedInAt: now,
      };
      await saveLink(tx, link);
      if (!same || mine.email !== link.email || mine.emailVerified !== link.emailVerified) {
        await appendAudit(tx, {
          requestId: null,
          actor: login.slackUserId,
          action: 'identity.linked',
          createdAt: now,
          details: {
            issuer: link.issuer,
            subject: link.subject,
            email: link.email,
            email_verified: link.emailVerified,
          },
        });
      }
      if (login.purpose === 'step_up') {
        await appendAudit(tx, {
          requestId: login.requestId,
          actor: login.slackUserId,
          action: 'identity.signed_in',
          createdAt: now,
          details: stepUpClaims(link),
        });
      }
      return { purpose: login.purpose, requestId: login.requestId, link };
    });
    if (outcome instanceof AppError) throw outcome;
    return outcome;
  }

  /** Admins only (see complete): the person's own Slack session is not enough to change their link. */
  async function unlink(actorId: string, userId: string): Promise<boolean> {
    if (!(await isAdmin(deps.directory, deps.admins, actorId)))
      throw new AppError('not_admin', 'only admins unlink identities');
    return db.transaction(async (tx) => {
      const gone = await deleteLink(tx, userId);
      if (gone)
        await appendAudit(tx, {
          requestId: null,
          actor: actorId,
          action: 'identity.unlinked',
          createdAt: clock.now(),
          details: { slack_user: userId, issuer: gone.issuer, subject: gone.subject },
        });
      return gone !== null;
    });
  }

  return {
    configured: () => oidc !== null,
    providerName: () => oidc?.name ?? null,
    linkOf,
    signInLink,
    begin,
    complete,
    unlink,
  };
}

export type IdentityService = ReturnType<typeof createIdentityService>;
