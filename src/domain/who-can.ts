import { autoApprovalPolicy, ruleCoversResource, ruleWindowOpen } from './auto-approve.js';
import { declaredStages, stageFlow } from './stages.js';
import { breakGlassOptions, breakGlassPolicy } from './break-glass.js';
import {
  approversFor,
  flowCoversResource,
  justificationProblem,
  offeredDurations,
  planRequests,
  requestableResources,
  type Flow,
  type GroupMembers,
  type Identity,
} from './flow.js';
import { refKey, refLabel, type OnCallRef } from './on-call.js';
import type { Resource } from './resource.js';
import type { ManagerApprover, RequestManager } from './manager.js';
import type {
  AutoApprovalView,
  FlowView,
  LimitsView,
  ManagerView,
  OnCallNow,
  PeopleView,
  WhoCanAnswer,
} from './who-can-views.js';

/**
 * Who can, and why: for a catalogue and group memberships, who may request a resource (through which
 * flow), who approves it, and for one person whether they may request it, who would approve, which
 * limits apply and which rule decides. Pure, and built on the very functions the request path calls
 * (requestableResources, planRequests, approversFor, the auto-approval and break-glass rules), so what
 * it says is what a submission does. Used by `/access whocan|explain`, App Home, the HTTP API and the
 * policy tests (`npm run config -- test`).
 */

export type { GroupMembers } from './flow.js';

export type {
  AutoApprovalView,
  BreakGlassView,
  FlowView,
  GroupView,
  LimitsView,
  ManagerView,
  OnBehalfView,
  OnCallNow,
  OnCallView,
  PeopleView,
  WhoCanAnswer,
} from './who-can-views.js';

export interface Catalogue {
  flows: readonly Flow[];
  resources: readonly Resource[];
}

export interface EvaluateOptions {
  /** Evaluate auto-approval windows at this instant (absent: not evaluated). */
  now?: Date;
  /** Who is on call now per reference (refKey); absent: "not asked". */
  onCall?: (ref: OnCallRef) => OnCallNow;
  /** Where requesters' managers are looked up ("the access file", "Okta", "Entra ID"). */
  managerSources?: readonly string[];
}

const NOT_ASKED: OnCallNow = { state: 'not_asked', reason: 'no on-call service was asked' };

const people = (users: readonly string[], groups: readonly string[], members: GroupMembers): PeopleView => ({
  users: [...users],
  groups: groups.map((id) => ({ id, members: [...members(id)] })),
});

export function limitsOf(flow: Flow): LimitsView {
  const j = flow.justification;
  return {
    maxDurationMinutes: flow.maxDurationMinutes,
    durations: offeredDurations(flow),
    justification: {
      required: justificationProblem(j, '') !== null,
      minLength: j.minLength,
      pattern: j.pattern,
      hint: j.hint,
    },
    ticketProjects: j.jira?.projects ?? [],
    requireLink: flow.identity?.requireLink ?? false,
    stepUpMinutes: flow.identity?.stepUpMinutes ?? null,
  };
}

function managerView(
  m: ManagerApprover | undefined,
  members: GroupMembers,
  options: EvaluateOptions,
): ManagerView | null {
  return m
    ? { sources: [...(options.managerSources ?? [])], fallback: people(m.fallbackUsers, m.fallbackGroups, members) }
    : null;
}

function flowView(flow: Flow, resource: Resource, members: GroupMembers, options: EvaluateOptions): FlowView {
  const lc = flow.lifecycle;
  const escalates = lc.escalationUsers.length + lc.escalationGroups.length > 0;
  const bg = lc.breakGlass;
  const bgPolicy = bg ? breakGlassPolicy(resource, bg.maxDurationMinutes) : null;
  return {
    flow: flow.name,
    description: flow.description,
    enabled: flow.enabled,
    requesters: { ...people(flow.requesterUsers, flow.requesterGroups, members), everyone: flow.requesterEveryone },
    approvers: {
      ...people(flow.approverUsers, flow.approverGroups, members),
      onCall: (lc.onCallApprovers ?? []).map((ref) => ({
        ref,
        label: refLabel(ref),
        now: options.onCall?.(ref) ?? NOT_ASKED,
      })),
      approvalsRequired: flow.approvalsRequired,
      selfApproval: flow.allowSelfApproval,
      escalation: escalates
        ? { ...people(lc.escalationUsers, lc.escalationGroups, members), afterMinutes: lc.escalateAfterMinutes }
        : null,
      manager: managerView(lc.managerApprover, members, options),
    },
    onBehalf: flow.onBehalf
      ? {
          requesters: people(flow.onBehalf.requesterUsers, flow.onBehalf.requesterGroups, members),
          anyoneInFlow: flow.onBehalf.forAnyoneInFlow,
          for: people(flow.onBehalf.forUsers, flow.onBehalf.forGroups, members),
        }
      : null,
    limits: limitsOf(flow),
    stages: declaredStages(flow).map((s) => ({
      name: s.name,
      approvalsRequired: s.approvalsRequired,
      ...people(s.approverUsers, s.approverGroups, members),
      manager: managerView(s.managerApprover, members, options),
    })),
    autoApproval: lc.autoApprove
      .filter((rule) => ruleCoversResource(rule, resource))
      .map((rule) => ({
        rule: rule.name,
        // The flow's maximum holds too (services/auto-approval.ts autoApprovalFor).
        maxDurationMinutes: Math.min(rule.maxDurationMinutes, flow.maxDurationMinutes),
        weekdays: rule.weekdays,
        from: rule.from,
        to: rule.to,
        timeZone: rule.timeZone,
        onCall: (rule.onCall ?? []).map(refLabel),
        ...(rule.fields && Object.keys(rule.fields).length ? { fields: rule.fields } : {}),
        grantsUntuned: autoApprovalPolicy([resource], 1) !== null,
        openNow: options.now ? ruleWindowOpen(rule, options.now) : null,
        onBehalf: rule.onBehalf === true,
      })),
    breakGlass: bg
      ? {
          people: people(bg.users, bg.groups, members),
          maxDurationMinutes: bg.maxDurationMinutes,
          problem: bgPolicy && 'problem' in bgPolicy ? bgPolicy.problem : null,
        }
      : null,
  };
}

export const findResource = (catalogue: Catalogue, name: string) =>
  catalogue.resources.find((r) => r.name === name.trim().toLowerCase());

/** Every flow that covers the resource, who requests and who approves through each; null: no such resource. */
export function whoCan(
  catalogue: Catalogue,
  resourceName: string,
  members: GroupMembers,
  options: EvaluateOptions = {},
): WhoCanAnswer | null {
  const resource = findResource(catalogue, resourceName);
  if (!resource) return null;
  const flows = catalogue.flows
    .filter((f) => flowCoversResource(f, resource))
    .sort((a, b) => Number(b.enabled) - Number(a.enabled) || a.name.localeCompare(b.name));
  return {
    resource: { name: resource.name, type: resource.type, tags: resource.tags, description: resource.description },
    flows: flows.map((f) => flowView(f, resource, members, options)),
  };
}

/** Every group the flows covering a resource name: what a caller must resolve before asking. */
export function groupsToResolve(catalogue: Catalogue, resourceName: string): string[] {
  const resource = findResource(catalogue, resourceName);
  if (!resource) return [];
  const groups = catalogue.flows
    .filter((f) => flowCoversResource(f, resource))
    .flatMap((f) => [
      ...f.requesterGroups,
      ...f.approverGroups,
      ...f.lifecycle.escalationGroups,
      ...(f.lifecycle.breakGlass?.groups ?? []),
      ...(f.lifecycle.managerApprover?.fallbackGroups ?? []),
      ...declaredStages(f).flatMap((s) => s.managerApprover?.fallbackGroups ?? []),
      ...(f.onBehalf ? [...f.onBehalf.requesterGroups, ...f.onBehalf.forGroups] : []),
    ]);
  return [...new Set(groups)].sort();
}

/** A person's identity from the memberships known: the groups (among `groups`) that list them. */
export function identityFrom(userId: string, groups: readonly string[], members: GroupMembers): Identity {
  return { userId, groupIds: new Set(groups.filter((g) => members(g).includes(userId))) };
}

/** Why a person may not use the bot at all (services/identity.ts requireMember), or null. */
export type Standing = 'member' | 'guest' | 'deactivated' | 'bot';

/** Which rule decides whether the person may request: the flow's approvers, or why not. */
export type Decision = 'approvers' | 'not_member' | 'no_flow' | 'no_approver';

export interface ExplainAnswer {
  userId: string;
  resource: WhoCanAnswer['resource'];
  standing: Standing;
  mayRequest: boolean;
  decision: Decision;
  /** The flow a request of this resource alone goes through (planRequests), null when none. */
  flow: FlowView | null;
  /** Other flows that let this person request it (when picked together with their other resources). */
  otherFlows: string[];
  /** Who would be asked to approve (resolved, the person left out unless self-approval is allowed). */
  approvers: string[];
  /** The longest they may ask for through any of their flows (break-glass aside). */
  maxDurationMinutes: number | null;
  /** Auto-approval rules of the flow that could grant it without a human. */
  autoApproval: AutoApprovalView[];
  /** Break-glass open to this person on this resource (the flow allowing the longest), or null. */
  breakGlass: { flow: string; maxDurationMinutes: number; problem: string | null } | null;
  /** This person approves requests of the flow themselves. */
  isApprover: boolean;
  /** Their manager, when the flow (or its first stage) asks the requester's manager: filled by the caller's look-up. */
  manager: RequestManager | null;
}

/** May this person request the resource, who would approve, which limits apply, which rule decides. */
export function explain(
  catalogue: Catalogue,
  userId: string,
  resourceName: string,
  members: GroupMembers,
  options: EvaluateOptions & { standing?: Standing } = {},
): ExplainAnswer | null {
  const resource = findResource(catalogue, resourceName);
  if (!resource) return null;
  const who = identityFrom(userId, groupsToResolve(catalogue, resource.name), members);
  const standing = options.standing ?? 'member';
  // The request path's own functions: what the form offers, and the flow a submission plans.
  const [requestable] = standing === 'member' ? requestableResources(catalogue.flows, [resource], who) : [];
  const planned = requestable ? planRequests([requestable])[0]!.flow : null;
  // With approval stages, the first stage's people are asked when the request arrives (domain/stages.ts).
  const approvers = planned ? approversFor(stageFlow(planned, 0), members, userId) : [];
  const bg = standing === 'member' ? breakGlassOptions(catalogue.flows, [resource], who)[0] : undefined;
  const bgPolicy = bg ? breakGlassPolicy(resource, bg.maxDurationMinutes) : null;
  const view = planned ? flowView(planned, resource, members, options) : null;
  const decision: Decision =
    standing !== 'member'
      ? 'not_member'
      : !planned
        ? 'no_flow'
        : // The manager (or the fallback) is found by the caller's look-up, which may still leave nobody.
          approvers.length === 0 && !stageFlow(planned, 0).lifecycle.managerApprover
          ? 'no_approver'
          : 'approvers';
  return {
    userId,
    resource: { name: resource.name, type: resource.type, tags: resource.tags, description: resource.description },
    standing,
    mayRequest: decision === 'approvers',
    decision,
    flow: view,
    otherFlows: (requestable?.flows ?? []).filter((f) => f !== planned).map((f) => f.name),
    approvers,
    maxDurationMinutes: requestable ? Math.max(...requestable.flows.map((f) => f.maxDurationMinutes)) : null,
    autoApproval: view?.autoApproval ?? [],
    breakGlass: bg
      ? {
          flow: bg.flow.name,
          maxDurationMinutes: bg.maxDurationMinutes,
          problem: bgPolicy && 'problem' in bgPolicy ? bgPolicy.problem : null,
        }
      : null,
    isApprover: planned ? approversFor(planned, members, null).includes(userId) : false,
    manager: null,
  };
}

/** Every on-call reference of the flows covering a resource (deduplicated by refKey): what to ask. */
export function onCallRefsOf(catalogue: Catalogue, resourceName: string): OnCallRef[] {
  const resource = findResource(catalogue, resourceName);
  if (!resource) return [];
  const refs = catalogue.flows
    .filter((f) => flowCoversResource(f, resource))
    .flatMap((f) => f.lifecycle.onCallApprovers ?? []);
  return [...new Map(refs.map((r) => [refKey(r), r])).values()];
}
