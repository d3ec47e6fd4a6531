import { resourcesByName } from '../db/catalog-queries.js';
import type { Db } from '../db/client.js';
import { sshKeyOf, type GrantForProvisioning, type TargetRow } from '../db/grant-queries.js';
import type { GrantWork } from '../db/grant-work.js';
import type { RequestDetails } from '../domain/request.js';
import { PermanentProvisioningError, type GrantContext } from '../provisioners/port.js';
import type { Secrets } from '../provisioners/secrets.js';

/**
 * What a provisioner is told about one grant in one target: the live resource and its settings (secret
 * references resolved now, never stored), what the approver granted there, whose it is and when.
 * A resource that changed provisioner, or left the grant, is a permanent failure with that sentence.
 */
export function createGrantContexts(db: Db, secrets: Secrets) {
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
    const config = resource?.provisioner;
    if (!resource || !config || config.type !== target.provisioner)
      throw new PermanentProvisioningError(
        `${target.resourceName} no longer uses the ${target.provisioner} provisioner`,
      );
    const tuned = request.grant?.policy.resources.find((g) => g.resource === target.resourceName);
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
      sshPublicKey: known ? known.sshPublicKey : await sshKeyOf(db, grant.requesterId),
      resource: { name: resource.name, type: resource.type },
      settings,
      grant: tuned,
      startsAt: grant.startsAt,
      expiresAt: grant.expiresAt,
    };
  };
}
