import type { Flow } from '../domain/flow.js';
import type { RequestManager } from '../domain/manager.js';
import { approverIdsOf } from './identity.js';
import type { Directory, ManagerAnswer, ManagerDirectory } from './ports.js';

/** Who the manager look-up adds to a request: the people who may decide because of it, and what to show. */
export interface ManagerFindings {
  approvers: string[];
  manager: RequestManager | null;
}

const NONE: ManagerFindings = { approvers: [], manager: null };

/**
 * The requester's manager for a flow (or stage) with `approvers: { manager: true }`, asked before the
 * request's transaction. Never throws and never blocks: when nobody is found, the source is down, or the
 * manager is the requester, the flow's fallback is asked and the request says why.
 */
export async function managerFindings(
  deps: { managers?: ManagerDirectory | undefined; directory: Directory },
  flow: Flow,
  requesterId: string,
): Promise<ManagerFindings> {
  const rule = flow.lifecycle.managerApprover;
  if (!rule) return NONE;
  const answer: ManagerAnswer = deps.managers
    ? await deps.managers
        .managerOf(requesterId)
        .catch((e: unknown) => ({ slackId: null, source: 'access file' as const, failure: failureText(e) }))
    : { slackId: null, source: 'access file' };
  // Self-approval rules hold: a requester who is their own manager is never asked to approve themselves.
  if (answer.slackId && answer.slackId !== requesterId)
    return {
      approvers: [answer.slackId],
      manager: { slackId: answer.slackId, source: answer.source, asked: [answer.slackId] },
    };
  const fallback = await approverIdsOf(
    deps.directory,
    { ...flow, approverUsers: rule.fallbackUsers, approverGroups: rule.fallbackGroups },
    flow.allowSelfApproval ? null : requesterId,
  );
  return {
    approvers: fallback,
    manager: {
      slackId: null,
      source: answer.source,
      ...(answer.failure ? { failure: answer.failure } : {}),
      ...(answer.unknownEmail ? { unknownEmail: answer.unknownEmail } : {}),
      ...(answer.slackId === requesterId ? { self: true } : {}),
      fallbackUsers: rule.fallbackUsers,
      fallbackGroups: rule.fallbackGroups,
      asked: fallback,
    },
  };
}

/** A short reason without secrets: the error's code or class name, never its message (which may carry a URL or token). */
function failureText(e: unknown): string {
  if (e && typeof e === 'object' && 'code' in e && typeof e.code === 'string') return e.code;
  return e instanceof Error ? e.name : 'lookup failed';
}
