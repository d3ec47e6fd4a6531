import { boolean, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Where a catalogue row came from: the ACCESS_CONFIG file (read-only in Slack) or App Home. */
export type ManagedBy = 'file' | 'app';

export const resources = pgTable('resources', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  type: text('type').notNull(),
  tags: jsonb('tags').$type<string[]>().notNull().default([]),
  description: text('description').notNull().default(''),
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
  maxDurationMinutes: integer('max_duration_minutes').notNull(),
  allowSelfApproval: boolean('allow_self_approval').notNull().default(false),
  enabled: boolean('enabled').notNull().default(true),
  managedBy: text('managed_by').$type<ManagedBy>().notNull().default('app'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
