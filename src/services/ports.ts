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
  /** Every user group of the workspace (for pickers); none on a workspace without user groups. */
  groups(): Promise<UserGroup[]>;
  /** False on workspaces whose plan has no user groups (Slack Free): editors offer people instead. */
  userGroupsAvailable(): Promise<boolean>;
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
  /** Operational figures; absent: nothing is counted. */
  metrics?: Metrics;
}

/** What a request ended as (or became), counted per flow; the values are fixed here, so labels stay bounded. */
export type RequestOutcome =
  | 'submitted'
  | 'approved'
  | 'denied'
  | 'auto_approved'
  | 'break_glass'
  | 'cancelled'
  | 'timed_out'
  | 'expired'
  | 'revoked'
  | 'extension_requested'
  | 'extended';

export type ProvisioningOperation = 'provision' | 'deprovision' | 'extend';
export type AttemptResult = 'ok' | 'transient_error' | 'permanent_error';

/**
 * The operational figures services report (Prometheus in production, see observability/). Label values
 * are flow names and provisioner types, both bounded by the catalogue: never a user, request or grant id.
 * Called after the transaction that made the event true has committed.
 */
export interface Metrics {
  requestOutcome(flow: string, outcome: RequestOutcome): void;
  /** Seconds from a request's submission to a person's decision on it. */
  observeDecision(flow: string, outcome: 'approved' | 'denied', seconds: number): void;
  /** Seconds from a grant's start (its approval, or its scheduled start) to its access being real in a target. */
  observeProvisioned(provisioner: string, seconds: number): void;
  /** One call to a provisioner; `retry` when the target had failed before. */
  provisioningAttempt(provisioner: string, operation: ProvisioningOperation, result: AttemptResult, retry: boolean): void;
  /** Seconds from a grant's end (expiry or revocation) to its access being gone from a target. */
  observeRevocationLag(provisioner: string, seconds: number): void;
}

export const noopMetrics: Metrics = {
  requestOutcome: () => {},
  observeDecision: () => {},
  observeProvisioned: () => {},
  provisioningAttempt: () => {},
  observeRevocationLag: () => {},
};
