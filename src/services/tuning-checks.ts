import type { ResourceRow } from '../db/catalog-queries.js';
import type { RequestDetails } from '../db/request-queries.js';
import type { ResourceGrant } from '../domain/policy.js';
import { NO_DEFAULTS, type Resource, type TuningOffer } from '../domain/resource.js';
import type { ProvisionerRegistry } from '../provisioners/port.js';

/** An approval as submitted: what an approver's tuning kept. The checks below run before it is written. */
export interface ApproveInput {
  requestId: string;
  approverId: string;
  durationMinutes: number | null;
  /** The resources kept, each with its tuning; resources left out are dropped from the grant. */
  grants: ResourceGrant[];
  /** The approval stage the approver saw (staged requests): a stage that passed since refuses the approval. */
  seenStage?: number | undefined;
}

export type TuningErrors = Partial<Record<'duration' | 'resources', string>>;

/** The choices a resource offers in the tuning modal, and the check that a grant names only those. */
export function createTuningChecks(provisioners: ProvisionerRegistry) {
  function roleChoices(resource: Pick<Resource, 'provisioner'> | undefined): string[] {
    const p = resource?.provisioner;
    return (p && provisioners.get(p.type)?.roleChoices?.(p.settings)) ?? [];
  }

  function tuningOffer(resource: Pick<Resource, 'defaults' | 'provisioner'> | undefined): TuningOffer {
    return { ...(resource?.defaults ?? NO_DEFAULTS), roleChoices: roleChoices(resource) };
  }

  /**
   * A cloud grant names only roles its provisioner allows, a repository grant only a permission it
   * allows: a forged submission cannot add one.
   */
  function validateRoles(input: ApproveInput, resources: readonly ResourceRow[]): TuningErrors | null {
    for (const g of input.grants) {
      if (g.type !== 'cloud' && g.type !== 'repository') continue;
      const allowed = roleChoices(resources.find((r) => r.name === g.resource));
      const bad = (g.type === 'cloud' ? g.roles : [g.permission]).find((role) => !allowed.includes(role));
      if (bad)
        return { resources: `“${bad}” is not a ${g.type === 'cloud' ? 'role' : 'permission'} ${g.resource} allows.` };
    }
    return null;
  }

  return { tuningOffer, validateRoles };
}

/** The approver may narrow what was asked for, never widen it. */
export function validateTuning(request: RequestDetails, input: ApproveInput): TuningErrors | null {
  const errors: TuningErrors = {};
  const d = input.durationMinutes;
  if (d === null || !Number.isInteger(d) || d <= 0) errors.duration = 'Pick how long to grant.';
  else if (d > request.durationMinutes) errors.duration = 'You can shorten the access, not lengthen it.';
  if (input.grants.length === 0) errors.resources = 'Keep at least one resource, or deny the request instead.';
  const seen = new Set<string>();
  for (const g of input.grants) {
    const asked = request.resources.find((r) => r.name === g.resource);
    if (!asked || asked.type !== g.type || seen.has(g.resource))
      errors.resources = `“${g.resource}” is not part of this request.`;
    seen.add(g.resource);
  }
  return Object.keys(errors).length > 0 ? errors : null;
}
