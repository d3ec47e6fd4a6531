import type { CatalogReader } from '../db/catalog-cache.js';
import type { Db } from '../db/client.js';
import type { ProvisionerRegistry } from '../provisioners/registry.js';

/** A Slack user as the services need them. */
export interface Person {
  id: string;
  name: string;
  /** Single- and multi-channel guests (is_restricted / is_ultra_restricted) may not request or approve. */
  isGuest: boolean;
  /** Workspace admins and owners. */
  isWorkspaceAdmin: boolean;
  /** From the profile (needs the users:read.email scope); null when Slack does not give it. */
  email: string | null;
  deleted: boolean;
  isBot: boolean;
}

/** Who people are and which user groups they are in: Slack in production, the Slack double in tests. */
export interface UserGroup {
  id: string;
  handle: string;
  name: string;
}

export interface Directory {
  person(userId: string): Promise<Person>;
  groupMembers(groupId: string): Promise<string[]>;
  /** Every user group of the workspace (for pickers). */
  groups(): Promise<UserGroup[]>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface ServiceDeps {
  db: Db;
  /** Resources and flows, cached and checked against the database's catalogue version on each read. */
  catalog: CatalogReader;
  directory: Directory;
  clock: Clock;
  /** Slack user ids from ACCESS_ADMINS. */
  admins: ReadonlySet<string>;
  /** Called after a transaction that queued side effects commits, so they go out now, not at the next poll. */
  afterCommit: () => void;
  provisioners: ProvisionerRegistry;
}
