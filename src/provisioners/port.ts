import type { ResourceGrant } from '../domain/policy.js';
import type { ProvisionerConfig, ResourceType } from '../domain/resource.js';

/**
 * A provisioner makes a grant real in its target (a Postgres role, an SSH certificate, a RoleBinding,
 * a webhook call) and takes it away again. Calls come from the outbox worker after the decision has
 * committed, are retried with backoff, and must therefore be idempotent: provisioning twice leaves
 * one grant in the target, deprovisioning something already gone succeeds.
 */
export interface GrantContext {
  grantId: string;
  requestId: string;
  requesterId: string;
  /** The requester's e-mail from Slack, when known (identity mapping for targets that use e-mail). */
  requesterEmail: string | null;
  /** The requester's SSH public key (`/access ssh-key`), when they gave one. */
  sshPublicKey: string | null;
  /**
   * A custom field of the requester's Slack profile, by field id (`Xf…`) or label, read from Slack when
   * called (null: empty or no such field). For targets that map people by a login kept there (GitHub).
   * Absent where the bot has no Slack directory.
   */
  requesterProfileField?: (field: string) => Promise<string | null>;
  /** The requester's linked company identity (docs/identity.md), read when called; null: never linked. */
  requesterIdentity?: () => Promise<LinkedIdentity | null>;
  resource: { name: string; type: ResourceType };
  /** The provisioner settings of the resource, with secret references (env:ACCESS_SECRET_NAME, file:) already resolved. */
  settings: Record<string, unknown>;
  /** What the approver granted for this resource. */
  grant: ResourceGrant;
  startsAt: Date;
  expiresAt: Date;
}

/** A person's link to the company identity provider, as a provisioner may map them by it. */
export interface LinkedIdentity {
  issuer: string;
  subject: string;
  /** The provider's e-mail, only when it said the e-mail is verified. */
  email: string | null;
}

export interface ProvisionResult {
  /** Non-secret facts kept on the grant for deprovisioning and reconcile (role name, cert serial…). */
  state: Record<string, unknown>;
  /** How to use the access, shown to the requester (no secrets). */
  instructions?: string;
  /**
   * A credential for the requester (a generated password, a certificate). It is sent once in their DM
   * and never stored, logged or audited.
   */
  secret?: { label: string; value: string };
  /**
   * A public credential the person may fetch again through the request API: an SSH certificate, signed
   * for their own public key and useless without the private key. Kept with the ready note (never in the
   * audit trail); a real secret never goes here.
   */
  certificate?: string;
}

export interface Provisioner {
  readonly type: string;
  /** Checks settings when a resource is saved; returns a sentence for the admin, or null. */
  validateSettings(settings: Record<string, unknown>): string | null;
  /**
   * For `cloud` resources: the roles an approver may grant (AWS permission set names, GCP role ids); for
   * `repository` resources the permissions (least first). Read from the resource's settings. The tuning
   * modal offers exactly these and approval refuses others.
   */
  roleChoices?(settings: Record<string, unknown>): string[];
  /**
   * Starts loading what the first call needs (an SDK imported on first use), in the background, so the
   * first grant after start-up does not wait for it. Called for the provisioner types the catalogue
   * uses; never throws, and start-up never waits for it.
   */
  warm?(): Promise<void>;
  provision(ctx: GrantContext): Promise<ProvisionResult>;
  /** Moves the end of an active grant (the grant keeps working without interruption). */
  extend?(ctx: GrantContext, state: Record<string, unknown>): Promise<ProvisionResult>;
  /** `keep`: keys (see sharedAccessKeys) of objects another live grant still relies on; leave those. */
  deprovision(ctx: GrantContext, state: Record<string, unknown>, keep?: ReadonlySet<string>): Promise<void>;
  /**
   * For targets that keep objects per person rather than per grant (an AWS account assignment per
   * permission set, a group membership): one stable key per object this grant relies on, e.g.
   * `aws:<instance>:<account>:<permission set>:<user>`. Two live grants that name the same key share
   * that object, so ending one must not remove it while the other lasts: the provisioning service
   * passes such keys to `deprovision` as `keep`. Omit it where every grant has objects of its own.
   */
  sharedAccessKeys?(ctx: GrantContext): string[];
  /** For the periodic reconcile: is the access still present in the target? */
  isPresent?(ctx: GrantContext, state: Record<string, unknown>): Promise<boolean>;
  /**
   * For the periodic reconcile: what this provisioner made in a resource's target that it recognises by
   * its naming alone (a user-name prefix), each with the request it was made for. Reconcile removes,
   * with `removeMade`, those whose request holds no live grant of that resource: access the bot's records
   * lost track of. Settings are resolved, as in GrantContext.
   */
  listMade?(settings: Record<string, unknown>): Promise<{ name: string; requestId: string }[]>;
  removeMade?(settings: Record<string, unknown>, name: string): Promise<void>;
}

/**
 * Any other error is transient and retried with backoff; one that carries `retryAfter` (seconds, e.g. a
 * rate-limit reset the target announced) makes the outbox wait at least that long.
 */
/** A failure the target reported that retrying will not fix (bad settings, unknown namespace…). */
export class PermanentProvisioningError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentProvisioningError';
  }
}

/** The provisioners this deployment knows, by type (provisioners/registry.ts builds it). */
export interface ProvisionerRegistry {
  get(type: string): Provisioner | undefined;
  types(): string[];
  /** A sentence for the admin when a resource's provisioner config is wrong, else null. */
  validate(config: ProvisionerConfig | null): string | null;
  /** Warms the provisioners of these types (those the catalogue uses) without waiting for them. */
  warm(types: Iterable<string>): void;
}
