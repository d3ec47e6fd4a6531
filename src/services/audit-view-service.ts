import { auditTrail } from '../db/audit-queries.js';
import { findFlow } from '../db/catalog-queries.js';
import { getRequestDetails, type RequestDetails } from '../db/request-queries.js';
import { AppError } from '../domain/errors.js';
import { isApproverOf } from '../domain/flow.js';
import { storyOf, type StoryLine } from './audit-story.js';
import { deciderIdentity, isAdmin, requireMember } from './identity.js';
import type { ServiceDeps } from './deps.js';
import type { SessionDetail, SessionSummary } from './session-service.js';

export type { SessionDetail, SessionSummary } from './session-service.js';

/** What the audit views need from the session logs (the session service provides it). */
export interface SessionsReader {
  sessionsOfRequest(requestId: string): Promise<SessionSummary[]>;
  sessionDetail(sessionId: string): Promise<SessionDetail | null>;
  recordingOf(sessionId: string): Promise<string | null>;
}

export interface RequestRecord {
  request: RequestDetails;
  lines: StoryLine[];
  sessions: SessionSummary[];
}

/**
 * A request's whole story for auditors: admins and the request's approvers see it in Slack; the full
 * record page is opened through a signed, short-lived link that only they can get.
 */
export function createAuditViewService(deps: ServiceDeps, sessions: () => SessionsReader | null) {
  async function record(requestId: string): Promise<RequestRecord> {
    // Three independent reads at once: the trail is opened from Slack, where every round trip shows.
    const [request, events, linked] = await Promise.all([
      getRequestDetails(deps.db, requestId),
      auditTrail(deps.db, requestId),
      sessions()?.sessionsOfRequest(requestId),
    ]);
    if (!request) throw new AppError('not_found', `No request ${requestId}`);
    return { request, lines: storyOf(events), sessions: linked ?? [] };
  }

  /** May this person see the request's audit trail? Admins, and approvers of its flow (then or now). */
  async function requireViewer(requestId: string, userId: string) {
    await requireMember(deps.directory, userId);
    const request = await getRequestDetails(deps.db, requestId);
    if (!request) throw new AppError('not_found', `No request ${requestId}`);
    if (await isAdmin(deps.directory, deps.admins, userId)) return;
    if (request.notifiedApprovers.includes(userId) || request.approvals.some((a) => a.approverId === userId)) return;
    const flow = await findFlow(deps.db, request.flowId);
    if (flow && isApproverOf(flow, await deciderIdentity(deps.directory, userId, flow, false))) return;
    throw new AppError('not_allowed', 'Only admins and approvers of this request can see its audit trail', {
      reason: 'audit_trail',
    });
  }

  return {
    /** For Slack: checks the viewer, then returns the record. */
    async forViewer(requestId: string, userId: string) {
      await requireViewer(requestId, userId);
      return record(requestId);
    },
    /** For the signed page: the link itself is the authority. */
    record,
    session: async (sessionId: string) => (await sessions()?.sessionDetail(sessionId)) ?? null,
    recording: async (sessionId: string) => (await sessions()?.recordingOf(sessionId)) ?? null,
  };
}

export type AuditViewService = ReturnType<typeof createAuditViewService>;
