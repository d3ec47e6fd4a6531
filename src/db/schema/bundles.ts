import { index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import type { BundlePart } from '../../domain/bundle.js';
import type { ManagedBy } from '../../domain/catalog.js';

/** Access profiles (domain/bundle.ts): part of the catalogue, owned by the file or App Home like flows. */
export const bundles = pgTable('bundles', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  description: text('description').notNull().default(''),
  /** Each part's resource name and requested scope (a grant of its type, or null). */
  parts: jsonb('parts').$type<BundlePart[]>().notNull().default([]),
  durationMinutes: integer('duration_minutes').notNull(),
  requesterUsers: jsonb('requester_users').$type<string[]>().notNull().default([]),
  requesterGroups: jsonb('requester_groups').$type<string[]>().notNull().default([]),
  managedBy: text('managed_by').$type<ManagedBy>().notNull().default('app'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * One pick of a bundle: its requests (one per flow) point here through access_requests.bundle_request_id.
 * The bundle's name is copied in, so history reads after the bundle changes or goes.
 */
export const bundleRequests = pgTable(
  'bundle_requests',
  {
    id: text('id').primaryKey(),
    bundleName: text('bundle_name').notNull(),
    requesterId: text('requester_id').notNull(),
    /** The parts the bundle had that the requester could not request (left out at submission). */
    leftOut: jsonb('left_out').$type<string[]>().notNull().default([]),
    /** The requester's bundle DM, once sent (updated on every part's change). */
    messageChannel: text('message_channel'),
    messageTs: text('message_ts'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('bundle_requests_requester_idx').on(t.requesterId, t.createdAt)],
);
