import { sql } from 'drizzle-orm';
import { bigint, boolean, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { ReviewRule } from '../../domain/access-review.js';
import type { FlowIdentityRule, FlowLifecycle, JustificationRule } from '../../domain/flow.js';
import type { ProvisionerConfig, TuningDefaults } from '../../domain/resource.js';

/** Where a catalogue row came from: the ACCESS_CONFIG file (read-only in Slack) or App Home. */
export type { ManagedBy } from '../../domain/catalog.js';
import type { ManagedBy } from '../../domain/catalog.js';
import type { FlowStage } from '../../domain/stages.js';
import type { RequestField } from '../../domain/request-fields.js';
import type { OnBehalfRule } from '../../domain/on-behalf.js';

export const resources = pgTable(
  'resources',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull().unique(),
    type: text('type').notNull(),
    tags: jsonb('tags').$type<string[]>().notNull().default([]),
    description: text('description').notNull().default(''),
    defaults: jsonb('defaults')
      .$type<TuningDefaults>()
      .notNull()
      .default({ loginUsers: [], databases: [], namespaces: [] }),
    /** Which provisioner makes grants of this resource real, and its settings (secrets as env:/file: references). */
    provisioner: jsonb('provisioner').$type<ProvisionerConfig | null>(),
    managedBy: text('managed_by').$type<ManagedBy>().notNull().default('app'),
    /** For `managed_by = 'sync'`: the ACCESS_CONFIG group source that made the row, and the group's id and name there. */
    syncSource: text('sync_source'),
    externalId: text('external_id'),
    externalName: text('external_name'),
    /**
     * When its group left the source (deleted, or no longer matching the filter): the row is out of the
     * catalogue but kept while grant removals still need its provisioner settings, then deleted.
     */
    retiredAt: timestamp('retired_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('resources_sync_origin_uq')
      .on(t.syncSource, t.externalId)
      .where(sql`sync_source is not null`),
  ],
);

/**
 * One row per ACCESS_CONFIG group source: when it last ran and how, and the lease a replica holds while
 * it syncs, so replicas take turns (one claim statement) and the interval holds across all of them.
 */
export const groupSyncState = pgTable('group_sync_state', {
  source: text('source').primaryKey(),
  leaseOwner: text('lease_owner'),
  leasedUntil: timestamp('leased_until', { withTimezone: true }),
  lastRunAt: timestamp('last_run_at', { withTimezone: true }),
  lastOkAt: timestamp('last_ok_at', { withTimezone: true }),
  lastError: text('last_error'),
  lastSummary: jsonb('last_summary').$type<Record<string, unknown>>(),
});

export const flows = pgTable('flows', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  description: text('description').notNull().default(''),
  resourceNames: jsonb('resource_names').$type<string[]>().notNull().default([]),
  resourceTags: jsonb('resource_tags').$type<string[]>().notNull().default([]),
  requesterUsers: jsonb('requester_users').$type<string[]>().notNull().default([]),
  requesterGroups: jsonb('requester_groups').$type<string[]>().notNull().default([]),
  approverUsers: jsonb('approver_users').$type<string[]>().notNull().default([]),
  approverGroups: jsonb('approver_groups').$type<string[]>().notNull().default([]),
  requesterEveryone: boolean('requester_everyone').notNull().default(false),
  maxDurationMinutes: integer('max_duration_minutes').notNull(),
  durationChoices: jsonb('duration_choices').$type<number[]>().notNull().default([]),
  approvalsRequired: integer('approvals_required').notNull().default(1),
  allowSelfApproval: boolean('allow_self_approval').notNull().default(false),
  justification: jsonb('justification')
    .$type<JustificationRule>()
    .notNull()
    .default({ required: true, minLength: 0, pattern: null, hint: null }),
  notifyChannel: text('notify_channel'),
  lifecycle: jsonb('lifecycle').$type<FlowLifecycle>().notNull().default({
    remindAfterMinutes: null,
    escalationUsers: [],
    escalationGroups: [],
    escalateAfterMinutes: null,
    pendingTtlMinutes: 1440,
    autoApprove: [],
    breakGlass: null,
  }),
  enabled: boolean('enabled').notNull().default(true),
  /** Identity linking and step-up for approval (docs/identity.md); null: neither. */
  identity: jsonb('identity').$type<FlowIdentityRule | null>(),
  /** Periodic access reviews (domain/access-review.ts); null: none. */
  review: jsonb('review').$type<ReviewRule | null>(),
  /** Sequential approval stages (domain/stages.ts); empty: one implicit stage of the approvers above. */
  stages: jsonb('stages').$type<FlowStage[]>().notNull().default([]),
  /** Who may request on behalf of whom (domain/on-behalf.ts); null: nobody. */
  onBehalf: jsonb('on_behalf').$type<OnBehalfRule | null>(),
  /** Custom typed request fields (domain/request-fields.ts); empty: none. */
  fields: jsonb('fields').$type<RequestField[]>().notNull().default([]),
  managedBy: text('managed_by').$type<ManagedBy>().notNull().default('app'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * One row whose version a trigger bumps on every change to resources or flows (migration 0008), so
 * every replica can tell with one tiny read whether its cached catalogue is still current.
 */
export const catalogVersion = pgTable('catalog_version', {
  id: integer('id').primaryKey().default(1),
  version: bigint('version', { mode: 'number' }).notNull().default(0),
});

/**
 * Which App Home tab and page each person last chose, so a refresh after a change keeps their place;
 * and when they last opened their Home: a change re-publishes the Home of those who did, for Slack
 * sends app_home_opened (and the bot publishes a fresh view) every time someone opens it.
 */
export const homeState = pgTable('home_state', {
  userId: text('user_id').primaryKey(),
  tab: text('tab').notNull().default('mine'),
  page: integer('page').notNull().default(0),
  openedAt: timestamp('opened_at', { withTimezone: true }),
});
