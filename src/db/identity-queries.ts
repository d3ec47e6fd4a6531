import { and, eq, gt, isNull, lt } from 'drizzle-orm';
import type { IdentityLink } from '../domain/identity-link.js';
import type { Executor } from './client.js';
import { identityLinks, oidcLogins } from './schema/index.js';

const linkColumns = {
  slackUserId: identityLinks.slackUserId,
  issuer: identityLinks.issuer,
  subject: identityLinks.subject,
  email: identityLinks.email,
  emailVerified: identityLinks.emailVerified,
  linkedAt: identityLinks.linkedAt,
  authTime: identityLinks.authTime,
  amr: identityLinks.amr,
  acr: identityLinks.acr,
  signedInAt: identityLinks.signedInAt,
};

export async function findLink(db: Executor, slackUserId: string): Promise<IdentityLink | null> {
  const [row] = await db.select(linkColumns).from(identityLinks).where(eq(identityLinks.slackUserId, slackUserId));
  return row ?? null;
}

export async function findLinkBySubject(db: Executor, issuer: string, subject: string): Promise<IdentityLink | null> {
  const [row] = await db
    .select(linkColumns)
    .from(identityLinks)
    .where(and(eq(identityLinks.issuer, issuer), eq(identityLinks.subject, subject)));
  return row ?? null;
}

export async function listLinks(db: Executor): Promise<IdentityLink[]> {
  return db.select(linkColumns).from(identityLinks);
}

/** Inserts or replaces the person's link (a new sign-in with the same subject refreshes e-mail and claims). */
export async function saveLink(db: Executor, link: IdentityLink): Promise<void> {
  const { slackUserId: _id, ...rest } = link;
  await db.insert(identityLinks).values(link).onConflictDoUpdate({ target: identityLinks.slackUserId, set: rest });
}

export async function deleteLink(db: Executor, slackUserId: string): Promise<IdentityLink | null> {
  const [row] = await db.delete(identityLinks).where(eq(identityLinks.slackUserId, slackUserId)).returning(linkColumns);
  return row ?? null;
}

export interface LoginRow {
  state: string;
  nonce: string;
  codeVerifier: string;
  slackUserId: string;
  purpose: 'link' | 'step_up';
  requestId: string | null;
  createdAt: Date;
}

/** False when a sign-in with this state exists already (the same start link opened again). */
export async function insertLogin(db: Executor, login: LoginRow): Promise<boolean> {
  const rows = await db
    .insert(oidcLogins)
    .values(login)
    .onConflictDoNothing({ target: oidcLogins.state })
    .returning({ state: oidcLogins.state });
  return rows.length > 0;
}

/**
 * Takes a sign-in's state once: marks it used and returns it when it exists, is unused and younger
 * than `since`; a replayed or stale state returns null. One UPDATE, so two callbacks cannot both win.
 */
export async function takeLogin(db: Executor, state: string, since: Date, now: Date): Promise<LoginRow | null> {
  const [row] = await db
    .update(oidcLogins)
    .set({ usedAt: now })
    .where(and(eq(oidcLogins.state, state), isNull(oidcLogins.usedAt), gt(oidcLogins.createdAt, since)))
    .returning({
      state: oidcLogins.state,
      nonce: oidcLogins.nonce,
      codeVerifier: oidcLogins.codeVerifier,
      slackUserId: oidcLogins.slackUserId,
      purpose: oidcLogins.purpose,
      requestId: oidcLogins.requestId,
      createdAt: oidcLogins.createdAt,
    });
  return row ?? null;
}

/** Sign-ins older than `before` are of no use any more. */
export async function pruneLogins(db: Executor, before: Date): Promise<void> {
  await db.delete(oidcLogins).where(lt(oidcLogins.createdAt, before));
}
