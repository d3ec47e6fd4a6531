import { bigserial, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { Policy } from '../../domain/policy.js';
import type { RequestStatus } from '../../domain/request-lifecycle.js';

/**
 * One access request goes through one flow. Flow and resource names are copied in (snapshots) so
 * history stays readable after the catalogue changes; authorization always re-reads the live flow.
 */
export const accessRequests = pgTable(
  'access_requests',
  {
    id: text('id').primaryKey(),
    requesterId: text('requester_id').notNull(),
    flowId: text('flow_id').notNull(),
    flowName: text('flow_name').notNull(),
    status: text('status').$type<RequestStatus>().notNull(),
    justification: text('justification').notNull(),
    durationMinutes: integer('duration_minutes').notNull(),
    /** Approver user ids resolved at request time (users + group members): who was notified. */
    notifiedApprovers: jsonb('notified_approvers').$type<string[]>().notNull().default([]),
    /** Copied from the flow at request time, for display; the decision re-reads the live flow. */
    approvalsRequired: integer('approvals_required').notNull().default(1),
    /** Where the approver message went: a channel id, or null for a DM to each approver. */
    notifyChannel: text('notify_channel'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    decidedBy: text('decided_by'),
    denyReason: text('deny_reason'),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    endedBy: text('ended_by'),
  },
  (t) => [index('access_requests_requester_idx').on(t.requesterId, t.createdAt), index('access_requests_status_idx').on(t.status)],
);

export const requestResources = pgTable(
  'request_resources',
  {
    requestId: text('request_id')
      .notNull()
      .references(() => accessRequests.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    resourceId: text('resource_id').notNull(),
    name: text('name').notNull(),
    type: text('type').notNull(),
  },
  (t) => [primaryKey({ columns: [t.requestId, t.name] })],
);

/** The policy an approval created: exactly one per approved request. */
export const grants = pgTable(
  'grants',
  {
    id: text('id').primaryKey(),
    requestId: text('request_id')
      .notNull()
      .references(() => accessRequests.id),
    policy: jsonb('policy').$type<Policy>().notNull(),
    approvedBy: text('approved_by').notNull(),
    status: text('status').$type<'active' | 'expired' | 'revoked'>().notNull(),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('grants_request_uq').on(t.requestId), index('grants_active_expiry_idx').on(t.status, t.expiresAt)],
);

/** Every Slack message sent about a request, so each can be re-rendered when the request changes. */
export const slackMessages = pgTable(
  'slack_messages',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    requestId: text('request_id')
      .notNull()
      .references(() => accessRequests.id, { onDelete: 'cascade' }),
    role: text('role').$type<'approver' | 'requester' | 'channel'>().notNull(),
    userId: text('user_id').notNull(),
    channel: text('channel').notNull(),
    ts: text('ts').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('slack_messages_ref_uq').on(t.channel, t.ts), index('slack_messages_request_idx').on(t.requestId)],
);

/** Each approver's approval and tuning; with N-of-M flows the grant takes the narrowest of them. */
export const approvals = pgTable(
  'approvals',
  {
    requestId: text('request_id')
      .notNull()
      .references(() => accessRequests.id, { onDelete: 'cascade' }),
    approverId: text('approver_id').notNull(),
    policy: jsonb('policy').$type<Policy>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.requestId, t.approverId] })],
);
