import { resourcesByName, type ResourceRow } from '../db/catalog-queries.js';
import type { Db } from '../db/client.js';
import type { GrantForProvisioning, TargetRow } from '../db/grant-queries.js';
import { sshKeyOf, sshKeysOf } from '../db/ssh-key-queries.js';
import type { GrantWork } from '../db/grant-work.js';
import { findLink } from '../db/identity-queries.js';
import type { Policy } from '../domain/policy.js';
import type { RequestDetails } from '../domain/request.js';
import { PermanentProvisioningError, type GrantContext } from '../provisioners/port.js';
import type { Secrets } from '../provisioners/secrets.js';
import type { Directory } from './ports.js';

/**
 * What a provisioner may ask about the requester beyond the grant row, read only when it asks (most
 * targets map people by e-mail and never do): a Slack profile field, the linked company identity.
 */
function peopleLookups(db: Db, directory: Directory | undefined, userId: string) {
  return {
    ...(directory?.profileField
      ? { requesterProfileField: (field: string) => directory.profileField!(userId, field) }
      : {}),
    requesterIdentity: async () => {
      const link = await findLink(db, userId);
      return link
        ? { issuer: link.issuer, subject: link.subject, email: link.emailVerified ? link.email : null }
        : null;
    },
  };
}

/**
 * What a provisioner is told about one grant in one target: the live resource and its settings (secret
 * references resolved now, never stored), what the approver granted there, whose it is and when.
 * A resource that changed provisioner, or left the grant, is a permanent failure with that sentence.
 */
function assembleContext(
  secrets: Secrets,
  grant: GrantForProvisioning,
  policy: Policy | undefined,
  target: TargetRow,
  resource: ResourceRow | undefined,
): Omit<GrantContext, 'sshPublicKey' | 'requesterProfileField' | 'requesterIdentity'> {
  const config = resource?.provisioner;
  if (!resource || !config || config.type !== target.provisioner)
    throw new PermanentProvisioningError(`${target.resourceName} no longer uses the ${target.provisioner} provisioner`);
  const tuned = policy?.resources.find((g) => g.resource === target.resourceName);
  if (!tuned) throw new PermanentProvisioningError(`${target.resourceName} is not part of the grant`);
  let settings: Record<string, unknown>;
  try {
    settings = secrets.resolveSettings(config.settings);
  } catch (e) {
    throw new PermanentProvisioningError(`${target.resourceName}: ${(e as Error).message}`);
  }
  return {
    grantId: grant.id,
    requestId: grant.requestId,
    requesterId: grant.requesterId,
    requesterEmail: grant.requesterEmail,
    resource: { name: resource.name, type: resource.type },
    settings,
    grant: tuned,
    startsAt: grant.startsAt,
    expiresAt: grant.expiresAt,
  };
}

export function createGrantContexts(db: Db, secrets: Secrets, directory?: Directory) {
  /** `known`: the resources and SSH key as just read with the grant (db/grant-work.ts), not read again. */
  return async function contextFor(
    grant: GrantForProvisioning,
    request: RequestDetails,
    target: TargetRow,
    known?: Pick<GrantWork, 'resources' | 'sshPublicKey'>,
  ): Promise<GrantContext> {
    const [resource] = known
      ? known.resources.filter((r) => r.name === target.resourceName)
      : await resourcesByName(db, [target.resourceName]);
    const context = assembleContext(secrets, grant, request.grant?.policy, target, resource);
    return {
      ...context,
      ...peopleLookups(db, directory, grant.requesterId),
      sshPublicKey: known ? known.sshPublicKey : await sshKeyOf(db, grant.requesterId),
    };
  };
}

export interface ContextWanted {
  grant: GrantForProvisioning;
  policy: Policy;
  target: TargetRow;
}

/**
 * The contexts of many targets at once (a batch of removals): the resources and the holders' SSH keys
 * in one read each. A target whose context cannot be made gets its error in its place, for it alone.
 */
export function createGrantContextBatch(db: Db, secrets: Secrets, directory?: Directory) {
  return async function contextsFor(wanted: ContextWanted[]): Promise<Array<GrantContext | Error>> {
    if (wanted.length === 0) return [];
    const resources = new Map(
      (await resourcesByName(db, [...new Set(wanted.map((w) => w.target.resourceName))])).map((r) => [r.name, r]),
    );
    const keys = await sshKeysOf(db, [...new Set(wanted.map((w) => w.grant.requesterId))]);
    return wanted.map(({ grant, policy, target }) => {
      try {
        const context = assembleContext(secrets, grant, policy, target, resources.get(target.resourceName));
        return {
          ...context,
          ...peopleLookups(db, directory, grant.requesterId),
          sshPublicKey: keys.get(grant.requesterId) ?? null,
        };
      } catch (e) {
        return e as Error;
      }
    });
  };
}
