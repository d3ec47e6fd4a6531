import { createHash, randomBytes } from 'node:crypto';
import { appendAudit } from '../db/audit-queries.js';
import { findLink, findLinkBySubject, insertLogin, pruneLogins, saveLink, takeLogin } from '../db/identity-queries.js';
import { AppError } from '../domain/errors.js';
import {
  firstLinkRefusal,
  reauthenticated,
  stepUpClaims,
  type FirstLinkRefusal,
  type IdentityLink,
} from '../domain/identity-link.js';
import type { OidcProvider } from './ports.js';
import type { ServiceDeps } from './deps.js';
import { createIdentityAdmin } from './identity-admin.js';

/** A sign-in's state is usable once, for this long. */
export const LOGIN_TTL_MINUTES = 10;

export type SignInPurpose = 'link' | 'step_up';

export interface SignInOutcome {
  purpose: SignInPurpose;
  requestId: string | null;
  link: IdentityLink;
}

const random = () => randomBytes(32).toString('base64url');

/** What the person who opened the link reads when a first link is refused (never the Slack profile's e-mail). */
const FIRST_LINK_REFUSED: Record<FirstLinkRefusal, string> = {
  no_verified_email:
    'The identity provider did not give a verified e-mail for this sign-in, so it cannot be matched to the Slack user this link was made for. Nothing was linked.',
  no_slack_email:
    'The Slack user this link was made for has no e-mail in its profile to compare with your company identity. Nothing was linked.',
  email_mismatch:
    'The company identity you signed in as does not have the e-mail of the Slack user this link was made for. Nothing was linked.',
};
const byHand = (subject: string) =>
  ` If that Slack user is you, ask an admin to link you by hand to your company identity ${subject}.`;

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

  /**
   * The e-mail the provider may pre-fill: the linked identity's, else the Slack profile's. A hint is not
   * worth failing a sign-in over, so a directory that cannot answer just leaves it out.
   */
  async function hintFor(userId: string): Promise<string | null> {
    const link = await findLink(db, userId);
    if (link?.email) return link.email;
    return deps.directory
      .person(userId)
      .then((p) => p.email)
      .catch(() => null);
  }

  /**
   * Opens a sign-in for the user the signed link named: its state, nonce and PKCE verifier, and the
   * provider's URL. Null when this link was opened before: the state is derived from the link's id, so a
   * second opening collides with the first's row (kept a day, well past the link's 10 minutes).
   */
  async function begin(
    userId: string,
    purpose: SignInPurpose,
    requestId: string | null,
    linkId: string,
  ): Promise<{ state: string; url: string } | null> {
    const provider = configured();
    const now = clock.now();
    const login = {
      // Unguessable as the link id is (16 random bytes), and one per link.
      state: createHash('sha256').update(`oidc-state:${linkId}`).digest('base64url'),
      nonce: random(),
      codeVerifier: random(),
      slackUserId: userId,
      purpose,
      requestId,
      createdAt: now,
    };
    await pruneLogins(db, new Date(now.getTime() - 24 * 3600_000));
    if (!(await insertLogin(db, login))) return null;
    return {
      state: login.state,
      url: await provider.authorizationUrl(login, purpose === 'step_up', await hintFor(userId)),
    };
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
    if (login.purpose === 'step_up' && !reauthenticated(claims.authTime, login.createdAt))
      throw new AppError('sign_in_failed', 'step-up sign-in without re-authentication', {
        reason:
          'The identity provider did not ask you to sign in again (its answer carries an earlier sign-in time), so this does not count as a recent sign-in. Try again; if it keeps happening, tell an admin.',
      });
    // Read before the transaction: no Slack call while the audit chain's lock is held.
    const slackEmail = (await deps.directory.person(login.slackUserId)).email;
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
      const refusal = mine ? null : firstLinkRefusal(claims, slackEmail);
      if (refusal) {
        await appendAudit(tx, {
          requestId: login.requestId,
          actor: login.slackUserId,
          action: 'identity.link_refused',
          createdAt: now,
          details: { issuer: claims.issuer, subject: claims.subject, email: claims.email, reason: refusal },
        });
        return new AppError('identity_mismatch', 'first link with an e-mail that is not the Slack profile one', {
          reason: FIRST_LINK_REFUSED[refusal] + byHand(claims.subject),
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

  return {
    configured: () => oidc !== null,
    providerName: () => oidc?.name ?? null,
    linkOf,
    signInLink,
    begin,
    complete,
    ...createIdentityAdmin(deps, async () => configured().issuer()),
  };
}

export type IdentityService = ReturnType<typeof createIdentityService>;
