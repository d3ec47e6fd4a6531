import type { ManagerSource } from '../domain/manager.js';
import type { CatalogSnapshot } from '../domain/catalog.js';
import type { OnCallAnswer, OnCallRef, OnCallService } from '../domain/on-call.js';
import type { TicketLookup } from '../domain/ticket.js';
import type { GroupSource } from '../domain/group-source.js';

/** Resources and flows (db/catalog-cache.ts: cached, checked against the catalogue version on each read). */
export interface CatalogReader {
  /** The current catalogue: one tiny read when nothing changed, a full reload when something did. */
  snapshot(): Promise<CatalogSnapshot>;
}

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
  /** Disabled in Slack (date_delete > 0): it matches nobody, as requester or approver. */
  disabled?: boolean;
}

export interface Directory {
  /** `fresh`: ask Slack now rather than answer from a cache (the periodic check for deactivated people). */
  person(userId: string, opts?: { fresh?: boolean }): Promise<Person>;
  groupMembers(groupId: string): Promise<string[]>;
  /** Every user group of the workspace, disabled ones marked; none on a workspace without user groups. */
  groups(): Promise<UserGroup[]>;
  /** False on workspaces whose plan has no user groups (Slack Free): editors offer people instead. */
  userGroupsAvailable(): Promise<boolean>;
  /** The Slack user with this e-mail (users.lookupByEmail), null when none; absent where a directory cannot look people up by e-mail. */
  userIdByEmail?(email: string): Promise<string | null>;
  /**
   * A custom field of a person's Slack profile (users.profile.get), named by its id (`Xf…`) or its label
   * (any case); null when the person left it empty or the workspace has no such field. Read fresh each
   * time: a provisioner maps people by it (a GitHub login), and a changed profile must count at once.
   */
  profileField?(userId: string, field: string): Promise<string | null>;
}

/**
 * Who is on call on a PagerDuty schedule or escalation policy, or an Opsgenie schedule, at one instant
 * (src/integrations/). Never throws: a service that cannot answer says so, and the request goes to people.
 */
export interface OnCallDirectory {
  whoIsOnCall(ref: OnCallRef, at: Date): Promise<OnCallAnswer>;
  /** Whether the service has credentials (ACCESS_CONFIG naming one without them is refused). */
  configured(service: OnCallService): boolean;
}

/** One manager look-up: the manager's Slack id (null: none found), where it came from, and why not when none. */
export interface ManagerAnswer {
  slackId: string | null;
  source: ManagerSource;
  /** Set when the source could not answer (down, refused): the request goes to the fallback, never blocked. */
  failure?: string;
  /** The source names the manager by an e-mail no Slack user has: the fallback is asked, and told why. */
  unknownEmail?: string;
}

/** The requester's manager (domain/manager.ts), from the access file's mapping or an identity provider. */
export interface ManagerDirectory {
  managerOf(userId: string): Promise<ManagerAnswer>;
  /** Where it looks, in order (for `/access whocan|explain`); absent: not said. */
  sources?(): ManagerSource[];
}

/** One backend seen in a target database's activity view (pg_stat_activity), with the server's time of the sample. */
export interface DatabaseBackend {
  seen_at: Date;
  pid: number | null;
  usename: string | null;
  backend_start: Date | null;
  client_addr: string | null;
  datname: string | null;
  state: string | null;
  query_start: Date | null;
  query: string | null;
}

/** What session capture needs from the database provisioner (provisioners/postgres/activity.ts). */
export interface DatabaseActivity {
  /** The server (a connection URL that holds a password: never log it) and role a grant's target lives on; throws when it cannot say. */
  locate(
    target: { requestId: string; resourceName: string; state: Record<string, unknown> },
    provisioner: { type: string; settings: Record<string, unknown> } | null | undefined,
  ): { server: string; role: string };
  /** One sample of the server's backends for these roles (one row with only seen_at when none matches). */
  sample(server: string, roles: string[]): Promise<DatabaseBackend[]>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * The bot's admins: ACCESS_ADMINS, members of ACCESS_ADMIN_GROUP, and Slack's workspace admins and owners
 * only when ACCESS_WORKSPACE_ADMINS=true. Admins change resources and their credentials, so this is the
 * operator's decision, not a side effect of someone's Slack role.
 */
export interface AdminRule {
  users: ReadonlySet<string>;
  group: string | null;
  workspaceAdmins: boolean;
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
  provisioningAttempt(
    provisioner: string,
    operation: ProvisioningOperation,
    result: AttemptResult,
    retry: boolean,
  ): void;
  /** Seconds from a grant's end (expiry or revocation) to its access being gone from a target. */
  observeRevocationLag(provisioner: string, seconds: number): void;
  /** A running bot's attempt to apply a changed ACCESS_CONFIG (services/config-reload.ts). */
  configReload(outcome: ConfigReloadOutcome): void;
}

/** applied: the catalogue changed; unchanged: it already matched; refused: the file did not validate; failed: it could not be read or applied. */
export type ConfigReloadOutcome = 'applied' | 'unchanged' | 'refused' | 'failed';

export const noopMetrics: Metrics = {
  requestOutcome: () => {},
  observeDecision: () => {},
  observeProvisioned: () => {},
  provisioningAttempt: () => {},
  observeRevocationLag: () => {},
  configReload: () => {},
};

/**
 * An issue tracker (Jira Cloud: integrations/jira.ts) asked whether a ticket a justification names exists
 * and is still open. Never throws: a tracker it cannot reach answers `unavailable` (the request then goes
 * to people with a warning). Null in the composition root when no tracker is configured.
 */
export interface TicketTracker {
  lookup(key: string): Promise<TicketLookup>;
}

/** What a verified ID token says about a sign-in (integrations/oidc.ts checks issuer, audience, signature, expiry, nonce). */
export interface SignInClaims {
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  authTime: Date | null;
  amr: string[];
  acr: string | null;
}

/**
 * The company's OpenID Connect provider (integrations/oidc.ts: openid-client, authorization code + PKCE).
 * `exchange` throws an AppError('sign_in_failed', …) whose `details.reason` is a sentence a person may read.
 */
export interface OidcProvider {
  /** A short display name of the provider (its issuer's host), for "Linked as … (host)". */
  readonly name: string;
  /** The issuer as discovered: what the ID tokens' `iss` is, so a link an admin makes by hand matches sign-ins. */
  issuer(): Promise<string>;
  /**
   * `fresh`: ask the provider to authenticate the person again (prompt=login, max_age=0), for step-up.
   * `loginHint`: the e-mail the person is expected to sign in with (sent as `login_hint`; only a hint).
   */
  authorizationUrl(
    checks: { state: string; nonce: string; codeVerifier: string },
    fresh: boolean,
    loginHint?: string | null,
  ): Promise<string>;
  /** Verifies the ID token; e-mail claims it lacks are read from UserInfo (its `sub` checked against the ID token's). */
  exchange(callbackUrl: URL, checks: { state: string; nonce: string; codeVerifier: string }): Promise<SignInClaims>;
  /**
   * Verifies an ID token another client of the same provider obtained (the CLI's device login): signature
   * against the provider's JWKS, issuer, audience `audience`, expiry, and an `iat` at most `maxAgeSeconds`
   * old. Throws AppError('sign_in_failed', …) with `details.reason`, a sentence a person may read.
   */
  verifyIdToken(idToken: string, audience: string, maxAgeSeconds: number): Promise<VerifiedIdToken>;
}

/** What the bot keeps of an ID token it verified on its own (no sign-in of its own behind it). */
export interface VerifiedIdToken {
  issuer: string;
  subject: string;
  /** When the provider issued it (`iat`). */
  issuedAt: Date;
  /** `jti` when the provider sets one. */
  tokenId: string | null;
}

/**
 * A group source's directory (Okta, Entra ID) as the group sync reads it: read-only. `list` pages through
 * every group matching the source's filter; `get` reads one group directly (search indexes lag), null when
 * it no longer exists. Both throw an Error whose message is a sentence an operator can act on.
 */
export interface GroupLister {
  list(): Promise<ListedGroup[]>;
  get(groupId: string): Promise<{ group: ListedGroup; matches: boolean } | null>;
}

/** A listed group; `unmanageable` says why the bot could not manage its members (a dynamic group…). */
export interface ListedGroup {
  id: string;
  name: string;
  description: string;
  unmanageable?: string;
}

/** What a lister needs of the operator's secrets: its connection settings with their references resolved. */
export interface SettingSecrets {
  resolveSettings(settings: Record<string, unknown>): Record<string, unknown>;
}

/** Builds the lister of one source, its secret references resolved at the moment of use. */
export type GroupListers = (source: GroupSource, secrets: SettingSecrets) => GroupLister;
