import { index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * A person's own tokens for the request API, the CLI and MCP (`/access token create`): the token acts as
 * that person and nobody else. Only a SHA-256 of the secret part is stored; the secret is shown once.
 * Distinct from the admins' API keys (api_keys), which speak for gateways, not for a person.
 */
export const personalTokens = pgTable(
  'personal_tokens',
  {
    /** `pat_…`: the part of the token that finds the row (not secret). */
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    name: text('name').notNull(),
    secretHash: text('secret_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    /** Who revoked it: the person, an admin, or `system` (offboarding). */
    revokedBy: text('revoked_by'),
    createdVia: text('created_via').$type<'slack' | 'device'>().notNull(),
    /**
     * What made it unique where it was asked for (the slash command's trigger id): the same signed command
     * replayed, on any replica, finds this row instead of making a second token.
     */
    creationKey: text('creation_key'),
  },
  (t) => [
    index('personal_tokens_user_idx').on(t.userId, t.createdAt),
    uniqueIndex('personal_tokens_creation_uq').on(t.userId, t.creationKey),
  ],
);
