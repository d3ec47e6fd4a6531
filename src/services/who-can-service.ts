import { AppError } from '../domain/errors.js';
import { isApproverOf, isEscalationApproverOf, flowCoversResource, type GroupMembers } from '../domain/flow.js';
import { peopleAtLevel, refKey, SERVICE_NAMES, type OnCallRef } from '../domain/on-call.js';
import {
  explain,
  findResource,
  groupsToResolve,
  identityFrom,
  onCallRefsOf,
  whoCan,
  type ExplainAnswer,
  type OnCallNow,
  type Standing,
  type WhoCanAnswer,
} from '../domain/who-can.js';
import type { ServiceDeps } from './deps.js';
import { isAdmin, requireMember } from './identity.js';
import { slackIdsFor } from './on-call-checks.js';
import { managerFindings } from './manager-checks.js';
import { stageFlow } from '../domain/stages.js';

/** An answer with the handles of the groups it names ("S0OPS" -> "ops"), for people to read. */
export interface WhoCanResult {
  answer: WhoCanAnswer;
  groupNames: Record<string, string>;
}
export interface ExplainResult {
  answer: ExplainAnswer;
  groupNames: Record<string, string>;
}

/**
 * `/access whocan|explain`, App Home's "Who can…" and the HTTP API: domain/who-can.ts over the live
 * catalogue, the groups resolved through the Directory (Slack user groups) and who is on call now. People
 * see it when they are admins or approve (or are escalated) requests of the resource; API keys always.
 */
export function createWhoCanService(deps: ServiceDeps) {
  const { directory } = deps;
  // "the access file", "Okta", "Entra ID": where a flow's `manager: true` looks.
  const managerSources = () =>
    (deps.managers?.sources?.() ?? []).map((s) => (s === 'access file' ? 'the access file' : s));

  async function onCallNow(refs: readonly OnCallRef[]): Promise<Map<string, OnCallNow>> {
    const now = deps.clock.now();
    const entries = await Promise.all(
      refs.map(async (ref): Promise<[string, OnCallNow]> => {
        if (!deps.onCall?.configured(ref.service))
          return [
            refKey(ref),
            { state: 'not_asked', reason: `no ${SERVICE_NAMES[ref.service]} credentials are configured` },
          ];
        const answer = await deps.onCall.whoIsOnCall(ref, now);
        if (!answer.ok) return [refKey(ref), { state: 'unavailable', reason: answer.reason }];
        return [refKey(ref), { state: 'on_call', people: await slackIdsFor(directory, peopleAtLevel([answer], 1)) }];
      }),
    );
    return new Map(entries);
  }

  async function load(resourceName: string) {
    const catalogue = await deps.catalog.snapshot();
    const groups = groupsToResolve(catalogue, resourceName);
    const lists = new Map(await Promise.all(groups.map(async (g) => [g, await directory.groupMembers(g)] as const)));
    const members: GroupMembers = (g) => lists.get(g) ?? [];
    const [onCall, known] = await Promise.all([
      onCallNow(onCallRefsOf(catalogue, resourceName)),
      groups.length ? directory.groups().catch(() => []) : Promise.resolve([]),
    ]);
    const groupNames = Object.fromEntries(known.filter((g) => groups.includes(g.id)).map((g) => [g.id, g.handle]));
    return { catalogue, groups, members, onCall, groupNames };
  }

  /** Admins, and people who decide requests of the resource (approvers, escalation approvers); null: an API key. */
  async function requireViewer(viewerId: string | null, data: Awaited<ReturnType<typeof load>>, resourceName: string) {
    if (viewerId === null) return;
    await requireMember(directory, viewerId);
    const resource = findResource(data.catalogue, resourceName);
    if (await isAdmin(directory, deps.admins, viewerId)) {
      if (!resource)
        throw new AppError('not_found', `No resource ${resourceName}`, { reason: 'resource', name: resourceName });
      return;
    }
    const who = identityFrom(viewerId, data.groups, data.members);
    const decides =
      resource &&
      data.catalogue.flows.some(
        (f) => flowCoversResource(f, resource) && (isApproverOf(f, who) || isEscalationApproverOf(f, who)),
      );
    if (!decides)
      throw new AppError('not_allowed', 'Only admins and approvers of the resource may see who can request it', {
        reason: 'who_can',
        name: resourceName,
      });
  }

  const notFound = (name: string) =>
    new AppError('not_found', `No resource ${name}`, { reason: 'resource', name: name.slice(0, 64) });

  async function whoCanAnswer(viewerId: string | null, resourceName: string): Promise<WhoCanResult> {
    const data = await load(resourceName);
    await requireViewer(viewerId, data, resourceName);
    const answer = whoCan(data.catalogue, resourceName, data.members, {
      now: deps.clock.now(),
      managerSources: managerSources(),
      onCall: (ref) => data.onCall.get(refKey(ref))!,
    });
    if (!answer) throw notFound(resourceName);
    return { answer, groupNames: data.groupNames };
  }

  /** `subject`: a Slack user id, or an e-mail Slack knows. */
  async function explainAnswer(viewerId: string | null, subject: string, resourceName: string): Promise<ExplainResult> {
    const data = await load(resourceName);
    await requireViewer(viewerId, data, resourceName);
    const userId = subject.includes('@') ? await directory.userIdByEmail?.(subject).catch(() => null) : subject;
    if (!userId) throw new AppError('not_found', `No Slack user ${subject}`, { reason: 'person' });
    const person = await directory.person(userId).catch(() => {
      throw new AppError('not_found', `No Slack user ${subject}`, { reason: 'person' });
    });
    const standing: Standing = person.isGuest
      ? 'guest'
      : person.deleted
        ? 'deactivated'
        : person.isBot
          ? 'bot'
          : 'member';
    const answer = explain(data.catalogue, userId, resourceName, data.members, {
      standing,
      now: deps.clock.now(),
      onCall: (ref) => data.onCall.get(refKey(ref))!,
      managerSources: managerSources(),
    });
    if (!answer) throw notFound(resourceName);
    // The flow asks the requester's manager: look theirs up as a request would (cached, never throws).
    const planned = answer.mayRequest ? data.catalogue.flows.find((f) => f.name === answer.flow?.flow) : undefined;
    if (planned && stageFlow(planned, 0).lifecycle.managerApprover) {
      const found = await managerFindings(deps, stageFlow(planned, 0), userId);
      answer.manager = found.manager;
      answer.approvers = [...new Set([...answer.approvers, ...found.approvers])];
      if (answer.approvers.length === 0) Object.assign(answer, { decision: 'no_approver', mayRequest: false });
    }
    return { answer, groupNames: data.groupNames };
  }

  return { whoCan: whoCanAnswer, explain: explainAnswer };
}

export type WhoCanService = ReturnType<typeof createWhoCanService>;
