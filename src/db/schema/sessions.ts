import { bigint, bigserial, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * Sessions of access: reported by a gateway or bastion (POST /api/v1/sessions) or captured by the bot
 * itself (the postgres provisioner's roles, from pg_stat_activity). Each is linked to the grant that
 * allowed it; a session no grant covers is kept and flagged as a finding.
 */
export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    grantId: text('grant_id'),
    requestId: text('request_id'),
    /** As reported: a Slack user id or an e-mail. */
    userId: text('user_id').notNull(),
    resourceName: text('resource_name').notNull(),
    source: text('source').$type<'api' | 'postgres-capture'>().notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    clientAddress: text('client_address'),
    /** Why this session deserves a look, e.g. `no_covering_grant`. */
    finding: text('finding'),
    /** The reporter's own id for the session (capture: `role:pid:backend_start`): reports are idempotent. */
    externalId: text('external_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('sessions_request_idx').on(t.requestId),
    uniqueIndex('sessions_external_uq').on(t.source, t.externalId),
  ],
);

export const sessionEvents = pgTable(
  'session_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    at: timestamp('at', { withTimezone: true }).notNull(),
    kind: text('kind').$type<'command' | 'query'>().notNull(),
    text: text('text').notNull(),
  },
  (t) => [index('session_events_session_idx').on(t.sessionId, t.at)],
);

/** A terminal recording in asciicast v2, replayed on the audit page. */
export const sessionRecordings = pgTable('session_recordings', {
  sessionId: text('session_id')
    .primaryKey()
    .references(() => sessions.id, { onDelete: 'cascade' }),
  cast: text('cast').notNull(),
  bytes: integer('bytes').notNull(),
});

/** How far the audit stream (AUDIT_WEBHOOK_URL) has delivered: the last event id sent. */
export const auditStream = pgTable('audit_stream', {
  id: integer('id').primaryKey(),
  lastId: bigint('last_id', { mode: 'number' }).notNull(),
});
