import type { Executor } from '../db/client.js';
import { enqueue } from '../db/outbox-queries.js';
import type { BundleOffer } from '../domain/bundle.js';
import type { PlannedRequest } from '../domain/flow.js';
import { originDetails, type RequestOrigin } from '../domain/request-origin.js';
import type { FieldValues, StoredField } from '../domain/request-fields.js';
import { stageFlow, stageNamesOf } from '../domain/stages.js';
import type { TicketSnapshot } from '../domain/ticket.js';
import { writeAutoApproval, type AutoApproval } from './auto-approval.js';
import { requestedFor, writeBundleRequest } from './bundle-submit.js';
import { writeNewRequest } from './grant-writer.js';
import type { ManagerFindings } from './manager-checks.js';
import type { OnCallFindings } from './on-call-checks.js';

/**
 * Everything a checked submission found before its transaction (services/request-service.ts), per plan in
 * the plans' order: what is written here is decided there, so this only turns it into rows.
 */
export interface CheckedSubmission {
  plans: PlannedRequest[];
  ids: string[];
  requesterId: string;
  askerId: string;
  onBehalf: string | null;
  justification: string;
  durationMinutes: number;
  startsAt: Date | null;
  submissionKey: string | null;
  origin: RequestOrigin;
  approvers: string[][];
  managers: ManagerFindings[];
  onCall: OnCallFindings[];
  automatic: (AutoApproval | null)[];
  tickets: (TicketSnapshot | null)[];
  fields: StoredField[][];
  fieldValues: FieldValues[];
  bundle: BundleOffer | null;
  bundleRequestId: string | null;
  requesterEmail: string | null;
  now: Date;
}

/**
 * Stores a checked submission inside the caller's transaction: the bundle pick first (its requests point
 * at it), then each request with its `request.created` event, and either its auto-approval or the item
 * that tells its approvers.
 */
export async function storeCheckedSubmission(tx: Executor, s: CheckedSubmission): Promise<void> {
  const { bundle, bundleRequestId, now } = s;
  if (bundle && bundleRequestId)
    await writeBundleRequest(tx, {
      id: bundleRequestId,
      offer: bundle,
      requesterId: s.requesterId,
      actor: s.askerId,
      requestIds: s.ids,
      now,
    });
  const requestedScopeOf = (resources: readonly { name: string }[]) =>
    resources.flatMap((r) => requestedFor(bundle, r.name) ?? []);
  for (const [i, plan] of s.plans.entries()) {
    const id = s.ids[i]!;
    const automatic = s.automatic[i] ?? null;
    const asked = automatic ? { approvers: [], notes: [] } : s.onCall[i]!;
    const manager = automatic ? null : s.managers[i]!.manager;
    // The manager (or the fallback) may decide because the bot looked them up: kept with the on-call people.
    const lookedUp = [...new Set([...asked.approvers, ...(manager ? s.managers[i]!.approvers : [])])];
    const ticket = s.tickets[i] ?? null;
    await writeNewRequest(tx, {
      row: {
        id,
        requesterId: s.requesterId,
        requestedBy: s.onBehalf ? s.askerId : null,
        flowId: plan.flow.id,
        flowName: plan.flow.name,
        status: 'pending',
        justification: s.justification,
        durationMinutes: s.durationMinutes,
        notifiedApprovers: [...new Set([...s.approvers[i]!, ...asked.approvers])],
        onCallApprovers: lookedUp,
        onCallNotes: asked.notes,
        manager,
        fields: s.fields[i]!,
        autoApprovedOnCall: automatic?.onCall ?? null,
        approvalsRequired: stageFlow(plan.flow, 0).approvalsRequired,
        stageNames: stageNamesOf(plan.flow),
        notifyChannel: plan.flow.notifyChannel,
        startsAt: s.startsAt,
        submissionKey: s.submissionKey,
        ticket,
        createdAt: now,
        channel: s.origin.channel,
        agent: s.origin.agent,
        bundleRequestId,
      },
      resources: plan.resources.map((r) => ({
        resourceId: r.id,
        name: r.name,
        type: r.type,
        requested: requestedFor(bundle, r.name),
      })),
      created: {
        flow: plan.flow.name,
        resources: plan.resources.map((r) => r.name),
        durationMinutes: s.durationMinutes,
        justification: s.justification,
        ...(s.fields[i]!.length ? { fields: s.fieldValues[i] } : {}),
        approvers: s.approvers[i],
        ...(s.onBehalf ? { requested_by: s.askerId, beneficiary: s.onBehalf } : {}),
        ...(asked.approvers.length ? { onCallApprovers: asked.approvers } : {}),
        ...(asked.notes.length ? { onCallNotes: asked.notes } : {}),
        ...(manager ? { manager } : {}),
        ...(s.startsAt ? { startsAt: s.startsAt.toISOString() } : {}),
        ...(ticket ? { ticket } : {}),
        ...(bundle ? { bundle: bundle.bundle.name, requested: requestedScopeOf(plan.resources) } : {}),
        ...originDetails(s.origin),
      },
    });
    if (automatic)
      await writeAutoApproval(tx, {
        requestId: id,
        requesterId: s.requesterId,
        durationMinutes: s.durationMinutes,
        startsAt: s.startsAt,
        flowName: plan.flow.name,
        approval: automatic,
        requesterEmail: s.requesterEmail,
        now,
      });
    else await enqueue(tx, [{ topic: 'request.created', requestId: id }]);
  }
}
