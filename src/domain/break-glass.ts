import { flowCoversResource, type Flow, type Identity } from './flow.js';
import { repositoryDefault, type Policy } from './policy.js';
import type { Resource } from './resource.js';

/**
 * Break-glass: people a flow designates may grant themselves access to its resources at once, in an
 * emergency, with a reason; approvers are alerted and review it afterwards. Pure rules only.
 */

/** Designated by the flow's break-glass rule (users or groups). A disabled flow takes nothing new. */
export function mayBreakGlass(flow: Flow, who: Identity): boolean {
  const rule = flow.lifecycle?.breakGlass;
  if (!flow.enabled || !rule) return false;
  return rule.users.includes(who.userId) || rule.groups.some((g) => who.groupIds.has(g));
}

export interface BreakGlassOption {
  resource: Resource;
  /** The flow whose rule allows it; with several, the one allowing the longest access (then by name). */
  flow: Flow;
  maxDurationMinutes: number;
}

/** Every resource this person may break the glass on, sorted by name. */
export function breakGlassOptions(
  flows: readonly Flow[],
  resources: readonly Resource[],
  who: Identity,
): BreakGlassOption[] {
  const mine = flows
    .filter((f) => mayBreakGlass(f, who))
    .sort(
      (a, b) =>
        b.lifecycle.breakGlass!.maxDurationMinutes - a.lifecycle.breakGlass!.maxDurationMinutes ||
        a.name.localeCompare(b.name),
    );
  return resources
    .flatMap((resource) => {
      const flow = mine.find((f) => flowCoversResource(f, resource));
      return flow ? [{ resource, flow, maxDurationMinutes: flow.lifecycle.breakGlass!.maxDurationMinutes }] : [];
    })
    .sort((a, b) => a.resource.name.localeCompare(b.resource.name));
}

/**
 * What break-glass grants: enough to act in an emergency without an approver to tune it. Databases
 * read-write on all databases, HTTP full, Kubernetes `edit` in the resource's default namespaces, SSH
 * as its default login users, a cloud account its default roles, a repository its default permission,
 * a group its membership. Kubernetes, SSH, cloud and repository resources without defaults cannot be broken into:
 * nobody said which namespaces or logins exist, and guessing would grant too much or nothing.
 */
export function breakGlassPolicy(
  resource: Pick<Resource, 'name' | 'type' | 'defaults'>,
  durationMinutes: number,
): Policy | { problem: string } {
  switch (resource.type) {
    case 'database':
      return {
        resources: [{ type: 'database', resource: resource.name, access: 'read-write', databases: [] }],
        durationMinutes,
      };
    case 'http':
      return { resources: [{ type: 'http', resource: resource.name, access: 'full' }], durationMinutes };
    case 'generic':
      return { resources: [{ type: 'generic', resource: resource.name }], durationMinutes };
    case 'group':
      return { resources: [{ type: 'group', resource: resource.name }], durationMinutes };
    case 'cloud':
      if (!resource.defaults.roles?.length)
        return {
          problem: `${resource.name} has no default roles, so break-glass cannot know which role to grant. Ask an admin to set them, or request access as usual.`,
        };
      return {
        resources: [{ type: 'cloud', resource: resource.name, roles: resource.defaults.roles }],
        durationMinutes,
      };
    case 'repository': {
      const permission = repositoryDefault(resource.defaults.roles);
      if (!permission)
        return {
          problem: `${resource.name} has no default permission, so break-glass cannot know which role to grant. Ask an admin to set one, or request access as usual.`,
        };
      return { resources: [{ type: 'repository', resource: resource.name, permission }], durationMinutes };
    }
    case 'kubernetes':
      if (resource.defaults.namespaces.length === 0)
        return {
          problem: `${resource.name} has no default namespaces, so break-glass cannot know where to grant access. Ask an admin to set them, or request access as usual.`,
        };
      return {
        resources: [
          { type: 'kubernetes', resource: resource.name, role: 'edit', namespaces: resource.defaults.namespaces },
        ],
        durationMinutes,
      };
    case 'ssh':
      if (resource.defaults.loginUsers.length === 0)
        return {
          problem: `${resource.name} has no default login users, so break-glass cannot know whom to let you log in as. Ask an admin to set them, or request access as usual.`,
        };
      return {
        resources: [{ type: 'ssh', resource: resource.name, loginUsers: resource.defaults.loginUsers }],
        durationMinutes,
      };
  }
}
