import { sql } from 'drizzle-orm';
import {
  bigserial,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { RequestManager } from '../../domain/manager.js';
import type { Policy, ResourceGrant } from '../../domain/policy.js';
import { bundleRequests } from './bundles.js';
import type { RequestStatus } from '../../domain/request-lifecycle.js';
import type { MessageRole, TargetStatus } from '../../domain/request.js';
import type { TicketSnapshot } from '../../domain/ticket.js';
import type { Channel } from '../../domain/request-api.js';
import type { StoredField } from '../../domain/request-fields.js';

/**
 * One access request goes through one flow. Flow and resource names are copied in (snapshots) so
 * history stays readable after the catalogue changes; authorization always re-reads the live flow.
 */
export const accessRequests = pgTable(
  'access_requests',
  {
    id: text('id').primaryKey(),
    /** Who gets the access (the beneficiary), also when someone else asked for them. */
    requesterId: text('requester_id').notNull(),
    /** Who asked, when they asked on the beneficiary's behalf (domain/on-behalf.ts); null: the requester. */
    requestedBy: text('requested_by'),
    flowId: text('flow_id').notNull(),
    flowName: text('flow_name').notNull(),
    status: text('status').$type<RequestStatus>().notNull(),
    justification: text('justification').notNull(),
    durationMinutes: integer('duration_minutes').notNull(),
    /** Approver user ids resolved at request time (users + group members): who was notified. */
    notifiedApprovers: jsonb('notified_approvers').$type<string[]>().notNull().default([]),
    /** Copied from the flow at request time, for display; the decision re-reads the live flow. */
    approvalsRequired: integer('approvals_required').notNull().default(1),
    /** The flow's stage names, copied at request time for display (empty: a flow without stages). */
    stageNames: jsonb('stage_names').$type<string[]>().notNull().default([]),
    /** The stage being decided (0-based); approvals count toward it only. */
    stageIndex: integer('stage_index').notNull().default(0),
    /** When the current stage began (null: the first, which began with the request): its reminders count from it. */
    stageStartedAt: timestamp('stage_started_at', { withTimezone: true }),
    /** Where the approver message went: a channel id, or null for a DM to each approver. */
    notifyChannel: text('notify_channel'),
    /** 'access' (a new grant), 'extension' (of `extendsRequestId`'s grant) or 'break_glass' (self-granted). */
    kind: text('kind').$type<'access' | 'extension' | 'break_glass'>().notNull().default('access'),
    extendsRequestId: text('extends_request_id'),
    /** Scheduled start: the grant is provisioned then, not at approval (null: at approval). */
    startsAt: timestamp('starts_at', { withTimezone: true }),
    lastNudgedAt: timestamp('last_nudged_at', { withTimezone: true }),
    remindedAt: timestamp('reminded_at', { withTimezone: true }),
    escalatedAt: timestamp('escalated_at', { withTimezone: true }),
    /** The auto-approval rule that approved it, when no human did. */
    autoApprovedBy: text('auto_approved_by'),
    /** When that rule asked for on-call: where the requester was on call ("PagerDuty schedule “Primary” (P123)"). */
    autoApprovedOnCall: text('auto_approved_on_call'),
    /**
     * Slack users who were on call on the flow's on-call approver schedules when the request arrived
     * (or at its escalation): they may decide it, as the flow's approvers may. Written only by the bot.
     */
    onCallApprovers: jsonb('on_call_approvers').$type<string[]>().notNull().default([]),
    /** Why on-call was not checked ("PagerDuty could not be reached, …"), kept so every re-render shows it. */
    onCallNotes: jsonb('on_call_notes').$type<string[]>().notNull().default([]),
    /**
     * The requester's manager as looked up for a flow or stage with `manager: true` (its Slack id is in
     * on_call_approvers, which carries the authority); null: not asked. Written only by the bot.
     */
    manager: jsonb('manager').$type<RequestManager | null>(),
    /** The flow's custom request fields as filled in, with their labels at request time (domain/request-fields.ts). */
    fields: jsonb('fields').$type<StoredField[]>().notNull().default([]),
    /** Break-glass grants must be reviewed afterwards by an approver. */
    reviewedBy: text('reviewed_by'),
    reviewedAt: timestamp('reviewed_at', { withTimezone: true }),
    /** The Slack form (view id) the request came from: the same form sent twice makes no second request. */
    submissionKey: text('submission_key'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    decidedBy: text('decided_by'),
    denyReason: text('deny_reason'),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    endedBy: text('ended_by'),
    /** The Jira ticket the justification named, as Jira described it at request time (domain/ticket.ts). */
    ticket: jsonb('ticket').$type<TicketSnapshot>(),
    /** Where the request was made: Slack, or the request API through the API itself, the CLI or MCP. */
    channel: text('channel').$type<Channel>().notNull().default('slack'),
    /** The AI agent that made it on the requester's behalf (MCP client or declared name); null: a person did. */
    agent: text('agent'),
    /** The bundle pick this request is a part of (schema/bundles.ts); null: a request of its own. */
    bundleRequestId: text('bundle_request_id').references(() => bundleRequests.id),
  },
  (t) => [
    index('access_requests_requester_idx').on(t.requesterId, t.createdAt),
    index('access_requests_status_idx').on(t.status),
    // App Home lists unreviewed break-glass grants on every open: a handful among all requests.
    index('access_requests_unreviewed_glass_idx')
      .on(t.createdAt, t.id)
      .where(sql`kind = 'break_glass' and reviewed_at is null`),
    uniqueIndex('access_requests_submission_uq')
      .on(t.requesterId, t.submissionKey, t.flowId)
      .where(sql`submission_key is not null`),
  ],
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
    /** The scope asked for (a bundle part's tuning): no approval grants more (domain/bundle.ts withinRequested). */
    requested: jsonb('requested').$type<ResourceGrant | null>(),
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
    requesterId: text('requester_id').notNull().default(''),
    /** When the requester was warned that the access ends soon. */
    warnedAt: timestamp('warned_at', { withTimezone: true }),
    /** The requester's e-mail at approval time: gateways may ask by e-mail. */
    requesterEmail: text('requester_email'),
  },
  (t) => [
    uniqueIndex('grants_request_uq').on(t.requestId),
    index('grants_active_expiry_idx').on(t.status, t.expiresAt),
  ],
);

export type { TargetStatus };

/** One row per provisioned resource of a grant: what exists in the target, and how provisioning went. */
/** The non-secret part of an "access ready" DM, kept so it can be sent again. */
export interface ReadyNote {
  instructions: string | null;
  /** Set when a secret went with it: a DM sent again then carries a fresh secret (the first reached no one). */
  secretLabel: string | null;
  /**
   * An SSH certificate signed for the person's own public key: public (useless without the private key,
   * which never leaves their machine), so the request API may hand it over; the DM carries it too.
   */
  certificate?: string | null;
}

export const grantTargets = pgTable(
  'grant_targets',
  {
    grantId: text('grant_id')
      .notNull()
      .references(() => grants.id, { onDelete: 'cascade' }),
    resourceName: text('resource_name').notNull(),
    provisioner: text('provisioner').notNull(),
    status: text('status').$type<TargetStatus>().notNull(),
    /** Non-secret facts the provisioner needs to undo its work (role name, binding names, serial…). */
    state: jsonb('state').$type<Record<string, unknown>>().notNull().default({}),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    /** What the "access ready" DM says besides any secret: the instructions, and the secret's label if one goes with it. */
    readyNote: jsonb('ready_note').$type<ReadyNote>(),
    /** When the requester's "access ready" DM reached Slack; null while it is owed. */
    readySentAt: timestamp('ready_sent_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.grantId, t.resourceName] }), index('grant_targets_status_idx').on(t.status)],
);

/** A person's SSH public key (`/access ssh-key`), used to sign their certificates. */
export const sshKeys = pgTable('ssh_keys', {
  userId: text('user_id').primaryKey(),
  publicKey: text('public_key').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Keys for the authorization API; only a SHA-256 of the secret part is stored. */
export const apiKeys = pgTable('api_keys', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  secretHash: text('secret_hash').notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
});

/** Every Slack message sent about a request, so each can be re-rendered when the request changes. */
export const slackMessages = pgTable(
  'slack_messages',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    requestId: text('request_id')
      .notNull()
      .references(() => accessRequests.id, { onDelete: 'cascade' }),
    role: text('role').$type<MessageRole>().notNull(),
    userId: text('user_id').notNull(),
    channel: text('channel').notNull(),
    ts: text('ts').notNull(),
    /** Hash of what the message last showed: a refresh skips messages already showing the current render. */
    renderHash: text('render_hash'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('slack_messages_ref_uq').on(t.channel, t.ts),
    index('slack_messages_request_idx').on(t.requestId),
  ],
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
    /** The stage this approval counted toward (0 for flows without stages). */
    stageIndex: integer('stage_index').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.requestId, t.approverId] })],
);

/**
 * Delivery problems admins were already told about (one row per problem and target, e.g.
 * `not_in_channel:C0OPS`): the fix is said once, not on every request that hits it.
 */
export const deliveryAlerts = pgTable('delivery_alerts', {
  key: text('key').primaryKey(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
