import { bigint, boolean, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import type { FlowIdentityRule, FlowLifecycle, JustificationRule } from '../../domain/flow.js';
import type { ProvisionerConfig, TuningDefaults } from '../../domain/resource.js';

/** Where a catalogue row came from: the ACCESS_CONFIG file (read-only in Slack) or App Home. */
export type { ManagedBy } from '../../domain/catalog.js';
import type { ManagedBy } from '../../domain/catalog.js';

export const resources = pgTable('resources', {
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
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
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
