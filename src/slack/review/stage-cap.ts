import { narrowestPolicy, type Policy, type ResourceGrant } from '../../domain/policy.js';
import type { RequestDetails } from '../../domain/request.js';
import type { TuningOffer } from '../../domain/resource.js';

/**
 * With approval stages, each stage's tuning narrows what the next one sees (domain/stages.ts): the
 * tuning modal of a later stage offers at most what the earlier stages kept, the narrowest of their
 * approvals (ADR 0004 across stages). The grant is narrowed the same way by the review service anyway;
 * this only keeps the modal from offering what could not be granted.
 */
export function earlierStagesKept(r: Pick<RequestDetails, 'approvals' | 'stageIndex'>): Policy | null {
  if (r.stageIndex === 0) return null;
  return narrowestPolicy(r.approvals.filter((a) => (a.stageIndex ?? 0) < r.stageIndex).map((a) => a.policy));
}

/** A choice list (least first) cut at what was kept: `read-only` kept offers read-only alone. */
export function upTo<T extends string>(choices: [T, string][], kept: string | undefined): [T, string][] {
  if (kept === undefined) return choices;
  const at = choices.findIndex(([value]) => value === kept);
  return at < 0 ? choices : choices.slice(0, at + 1);
}

/** The resource's tuning offer narrowed to its kept grant: pre-filled with what was kept, roles among those kept. */
export function cappedOffer(offer: TuningOffer, kept: ResourceGrant | undefined): TuningOffer {
  if (!kept) return offer;
  switch (kept.type) {
    case 'ssh':
      return { ...offer, loginUsers: kept.loginUsers };
    case 'database':
      return { ...offer, databases: kept.databases };
    case 'kubernetes':
      return { ...offer, namespaces: kept.namespaces };
    case 'cloud':
      return { ...offer, roles: kept.roles, roleChoices: offer.roleChoices.filter((c) => kept.roles.includes(c)) };
    case 'repository': {
      const at = offer.roleChoices.indexOf(kept.permission);
      return at < 0 ? offer : { ...offer, roles: [kept.permission], roleChoices: offer.roleChoices.slice(0, at + 1) };
    }
    default:
      return offer;
  }
}

/** The value a radio choice of this grant was kept at (access, role), if any. */
export function keptChoice(kept: ResourceGrant | undefined): string | undefined {
  if (!kept) return undefined;
  if (kept.type === 'database' || kept.type === 'http') return kept.access;
  if (kept.type === 'kubernetes') return kept.role;
  return undefined;
}
