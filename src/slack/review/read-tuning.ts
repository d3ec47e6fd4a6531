import type { RequestDetails } from '../../domain/request.js';
import {
  DatabaseAccessSchema,
  HttpAccessSchema,
  KubernetesRoleSchema,
  RepositoryPermissionSchema,
  splitList,
  type ResourceGrant,
} from '../../domain/policy.js';
import { ReviewIds, tuningAction, tuningBlock } from '../ids.js';
import { minutesValue, selectedValue, selectedValues, textValue, type StateValues } from '../state.js';

export interface TuningRead {
  durationMinutes: number | null;
  grants: ResourceGrant[];
  /** Input errors keyed by block id, shown under the field. */
  errors: Record<string, string>;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$/;

/**
 * Turns the tuning modal's state into grants for the kept resources. Names typed by the approver
 * (login users, databases, namespaces) are checked against a conservative alphabet: they end up in
 * certificates, SQL and Kubernetes objects.
 */
export function readTuning(request: RequestDetails, values: StateValues): TuningRead {
  const errors: Record<string, string> = {};
  const kept = new Set(selectedValues(values, ReviewIds.includeBlock, ReviewIds.includeAction));
  const list = (name: string, field: 'login' | 'databases' | 'namespaces', required: string | null) => {
    const block = tuningBlock(name, field);
    const items = splitList(textValue(values, block, tuningAction('text')));
    if (required && items.length === 0) errors[block] = required;
    else if (items.some((i) => !NAME.test(i))) errors[block] = 'Use names made of letters, digits, _ . @ - only.';
    else if (items.length > 20) errors[block] = 'At most 20 names.';
    return items;
  };
  const choice = (name: string, field: 'access' | 'role' | 'permission') =>
    selectedValue(values, tuningBlock(name, field), tuningAction('choice'));

  const grants: ResourceGrant[] = [];
  for (const r of request.resources.filter((x) => kept.has(x.name))) {
    switch (r.type) {
      case 'ssh':
        grants.push({
          type: 'ssh',
          resource: r.name,
          loginUsers: list(r.name, 'login', 'Name at least one login user.'),
        });
        break;
      case 'database': {
        const access = DatabaseAccessSchema.catch('read-only').parse(choice(r.name, 'access'));
        grants.push({ type: 'database', resource: r.name, access, databases: list(r.name, 'databases', null) });
        break;
      }
      case 'kubernetes': {
        const role = KubernetesRoleSchema.catch('view').parse(choice(r.name, 'role'));
        grants.push({
          type: 'kubernetes',
          resource: r.name,
          role,
          namespaces: list(r.name, 'namespaces', 'Name at least one namespace.'),
        });
        break;
      }
      case 'http':
        grants.push({
          type: 'http',
          resource: r.name,
          access: HttpAccessSchema.catch('read-only').parse(choice(r.name, 'access')),
        });
        break;
      case 'cloud': {
        const block = tuningBlock(r.name, 'roles');
        const roles = selectedValues(values, block, tuningAction('roles'));
        if (roles.length === 0) errors[block] = 'Pick at least one role.';
        grants.push({ type: 'cloud', resource: r.name, roles });
        break;
      }
      case 'repository': {
        // The service checks the permission against what the resource allows; nothing picked is refused here.
        const permission = RepositoryPermissionSchema.safeParse(choice(r.name, 'permission'));
        if (!permission.success) errors[tuningBlock(r.name, 'permission')] = 'Pick a permission.';
        else grants.push({ type: 'repository', resource: r.name, permission: permission.data });
        break;
      }
      case 'group':
        grants.push({ type: 'group', resource: r.name });
        break;
      case 'generic':
        grants.push({ type: 'generic', resource: r.name });
    }
  }
  return {
    durationMinutes: minutesValue(selectedValue(values, ReviewIds.durationBlock, ReviewIds.durationAction)),
    grants,
    errors,
  };
}
