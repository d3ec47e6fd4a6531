import type { Executor } from '../db/client.js';
import { autoApprovalPolicy, matchAutoApproval } from '../domain/auto-approve.js';
import type { AutoApproveRule, Flow } from '../domain/flow.js';
import type { Policy } from '../domain/policy.js';
import type { Resource } from '../domain/resource.js';
import type { FieldValues } from '../domain/request-fields.js';
import { writeGrant } from './grant-writer.js';

export interface AutoApproval {
  rule: AutoApproveRule;
  policy: Policy;
  /** For a rule with an on-call condition: where the requester was on call. */
  onCall: string | null;
}

/**
 * The rule that approves this planned request now, with the untuned policy it grants; null when no
 * rule matches or a resource has no safe untuned grant (then approvers decide as usual).
 */
export function autoApprovalFor(
  flow: Flow,
  resources: readonly Resource[],
  durationMinutes: number,
  now: Date,
  /** What else the rules read of the request. */
  request: {
    /** Rule name -> where the requester is on call (asked before the transaction, services/on-call-checks.ts). */
    onCallRules?: ReadonlyMap<string, string>;
    /** Asked by someone else for the requester (the beneficiary): only rules with `on_behalf: true` approve it. */
    onBehalf?: boolean;
    /** The request's custom field values, for rules with a field condition. */
    fields?: FieldValues;
  } = {},
): AutoApproval | null {
  const { onCallRules = new Map<string, string>(), onBehalf = false, fields = {} } = request;
  // The flow's maximum holds too: a rule cannot approve longer than the flow allows at all.
  if (durationMinutes > flow.maxDurationMinutes) return null;
  const rule = matchAutoApproval(
    flow.lifecycle.autoApprove,
    { resources, durationMinutes, onBehalf, fields },
    now,
    (r) => onCallRules.has(r.name),
  );
  if (!rule) return null;
  const policy = autoApprovalPolicy(resources, durationMinutes);
  return policy ? { rule, policy, onCall: rule.onCall?.length ? (onCallRules.get(rule.name) ?? null) : null } : null;
}

/**
 * Grants a just-inserted pending request by rule, in the submitting transaction: no human decided
 * (`decided_by` null), the request names the rule, and the approvers hear of it after the fact through
 * the usual announcement, which renders the request as already approved.
 */
export async function writeAutoApproval(
  tx: Executor,
  input: {
    requestId: string;
    requesterId: string;
    durationMinutes: number;
    startsAt: Date | null;
    flowName: string;
    approval: AutoApproval;
    requesterEmail: string | null;
    now: Date;
  },
) {
  const { rule, policy } = input.approval;
  await writeGrant(tx, {
    row: {
      id: input.requestId,
      requesterId: input.requesterId,
      status: 'pending',
      durationMinutes: input.durationMinutes,
      startsAt: input.startsAt,
    },
    policy,
    now: input.now,
    requesterEmail: input.requesterEmail,
    decidedBy: null,
    approvedBy: `rule:${rule.name}`,
    autoApprovedBy: rule.name,
    audit: {
      actor: 'system',
      action: 'request.auto_approved',
      details: { flow: input.flowName, rule, ...(input.approval.onCall ? { onCall: input.approval.onCall } : {}) },
    },
    messages: [
      { topic: 'request.created', requestId: input.requestId },
      { topic: 'requester.notify', requestId: input.requestId, payload: { event: 'approved' } },
    ],
  });
}
