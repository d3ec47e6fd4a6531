import type { Resource } from './resource.js';

/** An approval flow: who may request which resources, and who approves. Pure data. */
export interface Flow {
  id: string;
  name: string;
  description: string;
  resourceNames: string[];
  resourceTags: string[];
  requesterUsers: string[];
  requesterGroups: string[];
  approverUsers: string[];
  approverGroups: string[];
  maxDurationMinutes: number;
  allowSelfApproval: boolean;
  enabled: boolean;
}

/** A person as far as flows care: their Slack id and the Slack user groups they belong to. */
export interface Identity {
  userId: string;
  groupIds: ReadonlySet<string>;
}

export function flowCoversResource(flow: Flow, resource: Pick<Resource, 'name' | 'tags'>): boolean {
  return flow.resourceNames.includes(resource.name) || resource.tags.some((t) => flow.resourceTags.includes(t));
}

export function mayRequestThrough(flow: Flow, who: Identity): boolean {
  return (
    flow.enabled &&
    (flow.requesterUsers.includes(who.userId) || flow.requesterGroups.some((g) => who.groupIds.has(g)))
  );
}

export function isApproverOf(flow: Flow, who: Identity): boolean {
  return flow.approverUsers.includes(who.userId) || flow.approverGroups.some((g) => who.groupIds.has(g));
}

/** Every user group a flow mentions: the only groups whose membership we need to ask Slack about. */
export function groupsMentioned(flows: readonly Flow[]): string[] {
  return [...new Set(flows.flatMap((f) => [...f.requesterGroups, ...f.approverGroups]))].sort();
}

export interface RequestableResource {
  resource: Resource;
  /** The flows through which this person may request the resource, sorted by name. */
  flows: Flow[];
}

/** The catalogue as one person sees it: only resources some enabled flow lets them request. */
export function requestableResources(
  flows: readonly Flow[],
  resources: readonly Resource[],
  who: Identity,
): RequestableResource[] {
  const mine = flows.filter((f) => mayRequestThrough(f, who)).sort((a, b) => a.name.localeCompare(b.name));
  return resources
    .map((resource) => ({ resource, flows: mine.filter((f) => flowCoversResource(f, resource)) }))
    .filter((r) => r.flows.length > 0)
    .sort((a, b) => a.resource.name.localeCompare(b.resource.name));
}

export interface PlannedRequest {
  flow: Flow;
  resources: Resource[];
}

/**
 * Splits a selection of resources into requests, one per flow (docs/adr/0001-one-request-per-flow.md):
 * repeatedly take the flow that covers the most still-unassigned resources (ties: the flow whose name
 * sorts first), so a selection that one flow covers becomes one request with one set of approvers.
 * Callers pass only requestable resources; a resource no flow covers is a programming error.
 */
export function planRequests(selection: readonly RequestableResource[]): PlannedRequest[] {
  const remaining = new Map(selection.map((s) => [s.resource.name, s]));
  const plans: PlannedRequest[] = [];
  while (remaining.size > 0) {
    const counts = new Map<string, { flow: Flow; count: number }>();
    for (const s of remaining.values()) {
      for (const flow of s.flows) {
        const entry = counts.get(flow.id) ?? { flow, count: 0 };
        entry.count += 1;
        counts.set(flow.id, entry);
      }
    }
    const best = [...counts.values()].sort((a, b) => b.count - a.count || a.flow.name.localeCompare(b.flow.name))[0];
    if (!best) throw new Error('planRequests: a selected resource is covered by no flow');
    const taken = [...remaining.values()].filter((s) => s.flows.some((f) => f.id === best.flow.id));
    for (const s of taken) remaining.delete(s.resource.name);
    plans.push({ flow: best.flow, resources: taken.map((s) => s.resource) });
  }
  return plans;
}

/** The longest duration this person could ask for any of the given resources. */
export function maxRequestableMinutes(selection: readonly RequestableResource[]): number {
  return Math.max(0, ...selection.flatMap((s) => s.flows.map((f) => f.maxDurationMinutes)));
}
