import type { ManagerApprover } from './manager.js';
import { durationChoices } from './duration.js';
import { compilePattern } from './pattern.js';
import type { OnCallRef } from './on-call.js';
import type { Resource } from './resource.js';
import { missingKeyProblem, ticketHint } from './ticket.js';
import type { FlowIdentityRule } from './identity-link.js';
import type { ReviewRule } from './access-review.js';
import type { FlowStage } from './stages.js';
import type { OnBehalfRule } from './on-behalf.js';
import type { RequestField } from './request-fields.js';

export type { FlowIdentityRule } from './identity-link.js';

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
  /** Requesters: everyone in the workspace (guests never), on top of the named users and groups. */
  requesterEveryone: boolean;
  maxDurationMinutes: number;
  /** The durations the request form offers (empty: the standard ones up to the maximum). */
  durationChoices: number[];
  /** N of the approvers must approve (each a different person); the narrowest tuning wins. */
  approvalsRequired: number;
  allowSelfApproval: boolean;
  justification: JustificationRule;
  /** Post approval requests in this channel instead of DMs to each approver (only approvers' clicks count). */
  notifyChannel: string | null;
  /** Lifecycle rules (reminders, escalation, pending TTL, auto-approval, break-glass). */
  lifecycle: FlowLifecycle;
  enabled: boolean;
  /** Identity linking and step-up for approval (domain/identity-link.ts); absent or null: neither. */
  identity?: FlowIdentityRule | null;
  /** Periodic access reviews of who is eligible (domain/access-review.ts); absent or null: none. */
  review?: ReviewRule | null;
  /**
   * Sequential approval stages (domain/stages.ts); absent or empty: one implicit stage of the approvers
   * above. With stages, the approvers above are all stages' together (flow-wide questions only).
   */
  stages?: FlowStage[];
  /** Who may request for whom through this flow (domain/on-behalf.ts); absent or null: nobody. */
  onBehalf?: OnBehalfRule | null;
  /** Custom typed fields the request form asks for (domain/request-fields.ts); absent or empty: none. */
  fields?: RequestField[];
}

/** An auto-approval rule: a request that matches is approved without a human (the audit names the rule). */
export interface AutoApproveRule {
  name: string;
  /** The request's resources must all be among these names or carry one of these tags (both empty: any). */
  resourceNames: string[];
  resourceTags: string[];
  maxDurationMinutes: number;
  /** Weekdays 1 (Monday) … 7 (Sunday) and a time window "HH:MM"-"HH:MM" in `timeZone` (IANA), end exclusive. */
  weekdays: number[];
  from: string;
  to: string;
  timeZone: string;
  /** When set, the requester must also be on call now on one of these (PagerDuty / Opsgenie); absent or empty: no on-call condition. */
  onCall?: OnCallRef[];
  /** Also approves requests made on someone's behalf (for the beneficiary); absent: those go to people. */
  onBehalf?: true;
  /** When set, each named request field's value must be one of its listed values (domain/request-fields.ts). */
  fields?: Record<string, string[]>;
}

export interface BreakGlassRule {
  /** Who may grant themselves access at once (users and groups). */
  users: string[];
  groups: string[];
  maxDurationMinutes: number;
  /** Where it is announced, besides the approvers' DMs. */
  channel: string | null;
}

export interface FlowLifecycle {
  /** Remind approvers of a pending request after this many minutes (null: never). */
  remindAfterMinutes: number | null;
  /** Approvers notified when a request is still pending after `escalateAfterMinutes`. */
  escalationUsers: string[];
  escalationGroups: string[];
  escalateAfterMinutes: number | null;
  /** A pending request expires after this many minutes (default 24 h). */
  pendingTtlMinutes: number;
  autoApprove: AutoApproveRule[];
  breakGlass: BreakGlassRule | null;
  /**
   * Whoever is on call (first level) on these when a request arrives is asked too, besides the
   * approvers; escalation asks the next level. Absent (older flows) or empty: none.
   */
  onCallApprovers?: OnCallRef[];
  /** The requester's manager is asked too (domain/manager.ts); absent: not. */
  managerApprover?: ManagerApprover;
}

export const DEFAULT_LIFECYCLE: FlowLifecycle = {
  remindAfterMinutes: null,
  escalationUsers: [],
  escalationGroups: [],
  escalateAfterMinutes: null,
  pendingTtlMinutes: 1440,
  autoApprove: [],
  breakGlass: null,
};

export interface JustificationRule {
  required: boolean;
  minLength: number;
  /** An RE2 pattern (domain/pattern.ts) the justification must contain a match of, e.g. a ticket id `^[A-Z]+-\d+`. */
  pattern: string | null;
  /** Shown to requesters under the field, e.g. "Start with the ticket id, like OPS-123". */
  hint: string | null;
  /**
   * The justification must name a Jira issue of one of these projects that exists and is not done
   * (domain/ticket.ts). Absent on flows stored before this existed: no ticket check.
   */
  jira?: { projects: string[] } | null;
}

export const DEFAULT_JUSTIFICATION: JustificationRule = { required: true, minLength: 0, pattern: null, hint: null };

/** Null when the justification satisfies the flow's rule, else the sentence to show under the field. */
export function justificationProblem(rule: JustificationRule, text: string): string | null {
  const t = text.trim();
  if (!t)
    return rule.required || rule.minLength > 0 || rule.pattern || rule.jira?.projects.length
      ? 'Say why you need this access.'
      : null;
  if (t.length < rule.minLength) return `Write at least ${rule.minLength} characters.`;
  if (rule.pattern) {
    const pattern = compilePattern(rule.pattern);
    // A pattern stored before patterns were checked with RE2 may be one it refuses: fail closed, and say why.
    if (!pattern.ok)
      return `This flow's justification pattern cannot be checked: ${pattern.problem}. Ask a bot admin to fix the flow.`;
    if (!pattern.find(t)) return rule.hint ?? `It must match ${rule.pattern}.`;
  }
  if (rule.jira?.projects.length) return missingKeyProblem(t, rule.jira.projects);
  return null;
}

/** What the form says under the justification field for this flow: its own hint, else the ticket projects it accepts. */
export function justificationHint(flow: Pick<Flow, 'justification'>): string | null {
  const rule = flow.justification;
  return rule.hint ?? (rule.jira?.projects.length ? ticketHint(rule.jira.projects) : null);
}

/** The durations a flow offers: its own list (capped at the maximum) or the standard ones. */
export function offeredDurations(flow: Pick<Flow, 'durationChoices' | 'maxDurationMinutes'>): number[] {
  const own = flow.durationChoices.filter((d) => d > 0 && d <= flow.maxDurationMinutes);
  return own.length > 0 ? [...new Set(own)].sort((a, b) => a - b) : durationChoices(flow.maxDurationMinutes);
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
    (flow.requesterEveryone ||
      flow.requesterUsers.includes(who.userId) ||
      flow.requesterGroups.some((g) => who.groupIds.has(g)))
  );
}

export function isApproverOf(flow: Flow, who: Identity): boolean {
  return flow.approverUsers.includes(who.userId) || flow.approverGroups.some((g) => who.groupIds.has(g));
}

/** The members of a Slack user group as the caller knows them (an unknown or disabled group: nobody). */
export type GroupMembers = (groupId: string) => readonly string[];

/**
 * Who is asked to approve a request of this flow: its named approvers and the members of its approver
 * groups, the requester left out unless the flow allows self-approval (null: nobody left out). The
 * submission refuses a request for which this is empty: nobody but the requester could decide it.
 */
export function approversFor(flow: Flow, members: GroupMembers, requesterId: string | null): string[] {
  const all = [...new Set([...flow.approverUsers, ...flow.approverGroups.flatMap((g) => members(g))])];
  return all.filter((id) => id !== requesterId || flow.allowSelfApproval);
}

/** The people a request is escalated to (they may decide it only once it was escalated). */
export function isEscalationApproverOf(flow: Flow, who: Identity): boolean {
  const lc = flow.lifecycle;
  return (
    (lc?.escalationUsers ?? []).includes(who.userId) || (lc?.escalationGroups ?? []).some((g) => who.groupIds.has(g))
  );
}

/** Which flows a person may decide in: as an approver, or only once a request was escalated. */
export interface DecidableFlows {
  asApprover: string[];
  onEscalation: string[];
  /** Of those, the flows whose requesters may approve their own requests. */
  selfApproval: string[];
}

/** The flows decisionRefusal would let this person decide in (the database filters pending requests by them). */
export function decidableFlows(flows: readonly Flow[], who: Identity): DecidableFlows {
  const asApprover = flows.filter((f) => isApproverOf(f, who));
  const onEscalation = flows.filter((f) => !isApproverOf(f, who) && isEscalationApproverOf(f, who));
  return {
    asApprover: asApprover.map((f) => f.id),
    onEscalation: onEscalation.map((f) => f.id),
    selfApproval: [...asApprover, ...onEscalation].filter((f) => f.allowSelfApproval).map((f) => f.id),
  };
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

/** The durations the form offers for a selection: every duration some covering flow offers. */
export function durationsFor(selection: readonly RequestableResource[]): number[] {
  return [...new Set(selection.flatMap((s) => s.flows.flatMap(offeredDurations)))].sort((a, b) => a - b);
}
