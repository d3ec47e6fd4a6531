import type { RequestManager } from './manager.js';
import type { TicketSnapshot } from './ticket.js';
import type { Channel } from './request-api.js';
import type { StoredField } from './request-fields.js';
import type { Policy, ResourceGrant } from './policy.js';
import type { RequestStatus } from './request-lifecycle.js';
import type { ResourceType } from './resource.js';

/**
 * The request vocabulary every layer shares: what the database returns for a request and what the
 * Slack renderers draw from, so a message never reaches into a query module.
 */
export type RequestKind = 'access' | 'extension' | 'break_glass';

export interface RequestRow {
  id: string;
  /** Who gets the access (the beneficiary when someone asked on their behalf). */
  requesterId: string;
  /** Who asked, when someone asked on the requester's behalf (domain/on-behalf.ts); null or absent: the requester. */
  requestedBy?: string | null;
  flowId: string;
  flowName: string;
  status: RequestStatus;
  justification: string;
  durationMinutes: number;
  notifiedApprovers: string[];
  approvalsRequired: number;
  /** The flow's stage names at request time (empty: no stages); `stageIndex` is the one being decided. */
  stageNames: string[];
  stageIndex: number;
  /** When the current stage began (null: with the request). */
  stageStartedAt: Date | null;
  notifyChannel: string | null;
  kind: RequestKind;
  extendsRequestId: string | null;
  startsAt: Date | null;
  lastNudgedAt: Date | null;
  remindedAt: Date | null;
  escalatedAt: Date | null;
  autoApprovedBy: string | null;
  /** Where the requester was on call when an on-call rule approved it. */
  autoApprovedOnCall: string | null;
  /** On-call people (Slack ids) asked to decide: they may, like the flow's approvers. */
  onCallApprovers: string[];
  /** Why on-call was not checked (the service could not be reached), shown on every render. */
  onCallNotes: string[];
  /** The requester's manager look-up (domain/manager.ts); null: the flow does not ask the manager. */
  manager: RequestManager | null;
  /** The flow's custom request fields as filled in (label and value at request time); empty: none. */
  fields: StoredField[];
  reviewedBy: string | null;
  reviewedAt: Date | null;
  /** The Slack form (view id) the request came from, when it came from one. */
  submissionKey: string | null;
  createdAt: Date;
  decidedAt: Date | null;
  decidedBy: string | null;
  denyReason: string | null;
  endedAt: Date | null;
  endedBy: string | null;
  /** The Jira ticket the justification named, as Jira described it at request time (flows with a ticket check). */
  ticket: TicketSnapshot | null;
  /** Where it was made (Slack, or the request API through itself, the CLI or MCP). */
  channel: Channel;
  /** The AI agent that made it on the requester's behalf; null when a person did. */
  agent: string | null;
  /** The bundle pick it is a part of (domain/bundle.ts); null or absent: a request of its own. */
  bundleRequestId?: string | null;
}

export interface RequestedResource {
  resourceId: string;
  name: string;
  type: ResourceType;
  /** The scope asked for (a bundle part's tuning): no approval grants more. Null or absent: none asked. */
  requested?: ResourceGrant | null;
}

/** The bundle a request is a part of, as its messages name it. */
export interface RequestBundle {
  id: string;
  name: string;
  /** How many resources the whole bundle pick asked for, over all its requests. */
  parts: number;
}

export interface GrantRow {
  id: string;
  requestId: string;
  policy: Policy;
  approvedBy: string;
  status: 'active' | 'expired' | 'revoked';
  startsAt: Date;
  expiresAt: Date;
  endedAt: Date | null;
  warnedAt: Date | null;
}

export interface ApprovalRow {
  approverId: string;
  policy: Policy;
  createdAt: Date;
  /** The stage it counted toward (0 for flows without stages). */
  stageIndex: number;
}

/** Where one provisioned resource of a grant stands in its target (a grant target row's status). */
export type TargetStatus = 'pending' | 'active' | 'failed' | 'removing' | 'removed';

export interface TargetProgress {
  resource: string;
  status: TargetStatus;
}

/** Everything shown about one request: the row, its resources, approvals so far, its grant (once approved). */
export interface RequestDetails extends RequestRow {
  resources: RequestedResource[];
  approvals: ApprovalRow[];
  grant: GrantRow | null;
  /**
   * The grant's resources that a provisioner makes real, and how far each got; resources without a
   * provisioner have none. Absent where it was not read (it is, for every rendered request).
   */
  targets?: TargetProgress[];
  /** The bundle pick it is a part of; null or absent: none. */
  bundle?: RequestBundle | null;
  /** The requester's linked company identity (OpenID Connect), when they linked one. */
  requesterIdentity?: { issuer: string; email: string | null; emailVerified: boolean } | null;
}

/**
 * Who a request message is for: an approver of the current stage, the requester, the approvers'
 * channel, or an approver of a stage that passed (shown without buttons: that stage is decided).
 */
/** `asker`: the person who asked on the requester's behalf (domain/on-behalf.ts). */
export type MessageRole = 'approver' | 'requester' | 'channel' | 'earlier_stage' | 'asker';

/** A message sent about a request, so every copy can be updated when the request changes. */
export interface MessageRef {
  requestId: string;
  role: MessageRole;
  /** The person the message is for; for a channel post, the channel id. */
  userId: string;
  channel: string;
  ts: string;
  /** What the message last showed (see Messenger.renderHash); null: unknown, update it. */
  renderHash?: string | null;
}

/** The grant's resources still being set up, and those that could not be (an admin must fix them). */
export function setupProgress(r: Pick<RequestDetails, 'targets'>): { pending: string[]; failed: string[] } {
  const named = (status: TargetStatus) => (r.targets ?? []).filter((t) => t.status === status).map((t) => t.resource);
  return { pending: named('pending'), failed: named('failed') };
}
