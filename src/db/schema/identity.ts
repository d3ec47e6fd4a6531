import { boolean, index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * A Slack user linked to the company's identity provider through OpenID Connect (docs/identity.md):
 * one link per Slack user, one Slack user per (issuer, subject). The last sign-in's claims are kept for
 * step-up checks (how recent, with which factors); tokens are never stored.
 */
export const identityLinks = pgTable(
  'identity_links',
  {
    slackUserId: text('slack_user_id').primaryKey(),
    issuer: text('issuer').notNull(),
    subject: text('subject').notNull(),
    email: text('email'),
    emailVerified: boolean('email_verified').notNull().default(false),
    linkedAt: timestamp('linked_at', { withTimezone: true }).notNull(),
    /** The ID token's auth_time of the last sign-in (when the person last authenticated at the provider). */
    authTime: timestamp('auth_time', { withTimezone: true }),
    amr: jsonb('amr').$type<string[]>().notNull().default([]),
    acr: text('acr'),
    /** When the bot received that sign-in. */
    signedInAt: timestamp('signed_in_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('identity_links_subject_idx').on(t.issuer, t.subject)],
);

/** A sign-in under way: its state (usable once, for 10 minutes), nonce and PKCE verifier. */
export const oidcLogins = pgTable(
  'oidc_logins',
  {
    state: text('state').primaryKey(),
    nonce: text('nonce').notNull(),
    codeVerifier: text('code_verifier').notNull(),
    slackUserId: text('slack_user_id').notNull(),
    purpose: text('purpose').$type<'link' | 'step_up'>().notNull(),
    requestId: text('request_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
  },
  (t) => [index('oidc_logins_created_idx').on(t.createdAt)],
);
