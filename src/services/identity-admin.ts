import { appendAudit } from '../db/audit-queries.js';
import { deleteLink, findLink, findLinkBySubject, saveLink } from '../db/identity-queries.js';
import { AppError } from '../domain/errors.js';
import type { IdentityLink } from '../domain/identity-link.js';
import { isAdmin } from './identity.js';
import type { ServiceDeps } from './deps.js';

/**
 * What only admins do to a person's company identity: link it by hand (when a first sign-in was refused)
 * and unlink it. The person's own Slack session is never enough to change their link.
 */
export function createIdentityAdmin(
  deps: Pick<ServiceDeps, 'db' | 'clock' | 'admins' | 'directory'>,
  /** The configured provider's issuer (throws when OpenID Connect is not set up). */
  issuerOf: () => Promise<string>,
) {
  const { db, clock } = deps;

  async function requireAdmin(actorId: string, what: string) {
    if (!(await isAdmin(deps.directory, deps.admins, actorId)))
      throw new AppError('not_admin', `only admins ${what}`, { reason: 'identity' });
  }

  /**
   * An admin links a person to a company identity (its subject, as the provider names it) without a
   * sign-in: for a person whose first link was refused (another e-mail at the provider, none in Slack).
   * The link carries no e-mail until the person signs in with it; then their sign-ins refresh it as usual.
   */
  async function linkByHand(
    actorId: string,
    userId: string,
    subject: string,
  ): Promise<'linked' | 'already' | 'another_linked'> {
    await requireAdmin(actorId, 'link by hand');
    const issuer = await issuerOf();
    const now = clock.now();
    const outcome = await db.transaction(async (tx) => {
      const owner = await findLinkBySubject(tx, issuer, subject);
      if (owner && owner.slackUserId !== userId)
        return new AppError('identity_taken', 'subject linked to another Slack user');
      const mine = await findLink(tx, userId);
      if (mine) return mine.issuer === issuer && mine.subject === subject ? 'already' : 'another_linked';
      const link: IdentityLink = {
        slackUserId: userId,
        issuer,
        subject,
        email: null,
        emailVerified: false,
        linkedAt: now,
        authTime: null,
        amr: [],
        acr: null,
        signedInAt: null,
      };
      await saveLink(tx, link);
      await appendAudit(tx, {
        requestId: null,
        actor: actorId,
        action: 'identity.linked',
        createdAt: now,
        details: { slack_user: userId, issuer, subject, email: null, email_verified: false, by_hand: true },
      });
      return 'linked' as const;
    });
    if (outcome instanceof AppError) throw outcome;
    return outcome;
  }

  /** Admins only (see complete): the person's own Slack session is not enough to change their link. */
  async function unlink(actorId: string, userId: string): Promise<boolean> {
    await requireAdmin(actorId, 'unlink identities');
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

  return { linkByHand, unlink };
}
