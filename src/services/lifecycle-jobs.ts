import { appendAudit } from '../db/audit-queries.js';
import { findFlow } from '../db/catalog-queries.js';
import type { Tx } from '../db/client.js';
import { claimEndWarnings, duePendingRequests, releaseStartedProvisioning } from '../db/lifecycle-queries.js';
import { enqueue } from '../db/outbox-queries.js';
import type { OutboxEntry, OutboxHandlers } from '../domain/outbox.js';
import { messageRefs, saveMessageRef } from '../db/message-queries.js';
import { approvalsOf, getRequestDetails, lockRequest, updateRequest, type RequestRow } from '../db/request-queries.js';
import type { Flow } from '../domain/flow.js';
import { duePendingSteps, END_WARNING_MINUTES, lifecycleOf } from '../domain/pending-lifecycle.js';
import { transition } from '../domain/request-lifecycle.js';
import { stageFlow } from '../domain/stages.js';
import { onCallEscalation } from './on-call-checks.js';
import { noopMetrics } from './ports.js';
import { type Messenger } from './ports-messengers.js';
import type { ServiceDeps } from './deps.js';

export interface LifecycleRun {
  timedOut: number;
  reminded: number;
  escalated: number;
  warned: number;
  /** Held provisioning of scheduled grants released because their start came. */
  started: number;
}

const BATCH = 100;

/**
 * The time-driven parts of a request's life, driven from the database like expiry (ADR 0003): reminders,
 * escalation and the pending TTL of undecided requests, the warning before a grant ends, and the start
 * of scheduled grants. Every transition runs in a transaction with the request row locked (SKIP LOCKED,
 * so replicas share the work and never do it twice) and sends its messages through the outbox.
 */
export function createLifecycleJobs(deps: ServiceDeps, messenger: Messenger) {
  const { db, directory, clock } = deps;

  /** Who a flow escalates to. Asked of Slack before any row is locked; a group Slack cannot list is skipped. */
  async function escalationRecipients(flow: Flow): Promise<string[]> {
    const lc = lifecycleOf(flow.lifecycle);
    const members = await Promise.all(
      lc.escalationGroups.map((g) => directory.groupMembers(g).catch(() => [] as string[])),
    );
    return [...new Set([...lc.escalationUsers, ...members.flat()])];
  }

  async function timeOut(tx: Tx, row: RequestRow, flow: Flow | undefined, now: Date): Promise<boolean> {
    const step = transition({ ...row, expiresAt: null }, { type: 'time_out' }, now);
    if (!step.ok) return false;
    await updateRequest(tx, row.id, { status: step.next.status, endedAt: now, endedBy: null });
    await appendAudit(tx, {
      requestId: row.id,
      actor: 'system',
      action: 'request.timed_out',
      createdAt: now,
      details: { pendingTtlMinutes: lifecycleOf(flow?.lifecycle).pendingTtlMinutes },
    });
    await enqueue(tx, [
      { topic: 'messages.refresh', requestId: row.id },
      { topic: 'requester.notify', requestId: row.id, payload: { event: 'timed_out' } },
    ]);
    return true;
  }

  /** One batch of pending requests with something due; returns how many were claimed and the counts. */
  async function pendingBatch(now: Date, run: LifecycleRun): Promise<number> {
    const timedOutFlows: string[] = [];
    const peek = await duePendingRequests(db, now, BATCH, false);
    if (peek.length === 0) return 0;
    // Escalation recipients come from Slack (user groups), so they are resolved before the transaction.
    const flows = new Map((await deps.catalog.snapshot()).flows.map((f) => [f.id, f]));
    const recipients = new Map<string, string[]>();
    // Whoever is on call now on the flow's on-call approver references (first and next level): a
    // hand-off since the request arrived brings in the new person; the one asked first keeps authority.
    const onCallNow = new Map<string, string[]>();
    // Keyed by flow and stage: with stages (domain/stages.ts) each stage escalates to its own people.
    const key = (flowId: string, stageIndex: number) => `${flowId}#${stageIndex}`;
    for (const r of peek) {
      const whole = flows.get(r.flowId);
      const flow = whole && stageFlow(whole, r.stageIndex);
      const k = key(r.flowId, r.stageIndex);
      if (flow && !recipients.has(k) && duePendingSteps(r, flow.lifecycle, now).escalate) {
        recipients.set(k, await escalationRecipients(flow));
        onCallNow.set(k, await onCallEscalation(deps, flow, now));
      }
    }
    const claimed = await db.transaction(async (tx) => {
      const due = await duePendingRequests(tx, now, BATCH, true);
      for (const { id } of due) {
        const row = (await lockRequest(tx, id))!;
        // Re-read with the row locked: a stage that passed meanwhile has its own reminders and escalation.
        const whole = await findFlow(tx, row.flowId);
        const flow = whole && stageFlow(whole, row.stageIndex);
        const k = key(row.flowId, row.stageIndex);
        const steps = duePendingSteps(row, flow?.lifecycle, now);
        if (steps.timeOut) {
          if (await timeOut(tx, row, flow, now)) {
            run.timedOut += 1;
            timedOutFlows.push(row.flowName);
          }
          continue;
        }
        const patch: Partial<RequestRow> = {};
        const items: OutboxEntry[] = [];
        if (steps.remind) {
          patch.remindedAt = now;
          await appendAudit(tx, {
            requestId: id,
            actor: 'system',
            action: 'request.reminded',
            createdAt: now,
            details: {},
          });
          // One item per approver message, so a failure retries only the reply that failed; approvers
          // who already approved (N-of-M) are not reminded of what they did.
          const approved = new Set((await approvalsOf(tx, id)).map((a) => a.approverId));
          for (const ref of await messageRefs(tx, id)) {
            if (ref.role === 'requester' || ref.role === 'earlier_stage' || ref.role === 'asker') continue;
            if (ref.role === 'approver' && approved.has(ref.userId)) continue;
            items.push({ topic: 'lifecycle.remind', requestId: id, payload: { channel: ref.channel, ts: ref.ts } });
          }
          run.reminded += 1;
        }
        // Recipients resolved in this run's peek only; a request that became due since waits for the next run.
        const to = steps.escalate && flow ? recipients.get(k) : undefined;
        if (to) {
          const mayDecide = (u: string) => u !== row.requesterId || flow!.allowSelfApproval;
          const onCall = (onCallNow.get(k) ?? []).filter(mayDecide);
          const users = [...new Set([...to, ...onCall])].filter(mayDecide);
          patch.escalatedAt = now;
          patch.notifiedApprovers = [...new Set([...row.notifiedApprovers, ...users])];
          if (onCall.length > 0) patch.onCallApprovers = [...new Set([...row.onCallApprovers, ...onCall])];
          await appendAudit(tx, {
            requestId: id,
            actor: 'system',
            action: 'request.escalated',
            createdAt: now,
            details: { to: users, ...(onCall.length ? { onCall } : {}) },
          });
          items.push(
            { topic: 'lifecycle.escalate', requestId: id, payload: { users, stageIndex: row.stageIndex } },
            { topic: 'messages.refresh', requestId: id },
          );
          run.escalated += 1;
        }
        if (Object.keys(patch).length === 0) continue;
        await updateRequest(tx, id, patch);
        await enqueue(tx, items);
      }
      return due.length;
    });
    if (claimed > 0) deps.afterCommit();
    for (const flow of timedOutFlows) (deps.metrics ?? noopMetrics).requestOutcome(flow, 'timed_out');
    return claimed;
  }

  /** Warns requesters whose access ends within END_WARNING_MINUTES, once per grant. */
  async function warnBatch(now: Date): Promise<number> {
    const warned = await db.transaction(async (tx) => {
      const rows = await claimEndWarnings(tx, now, END_WARNING_MINUTES, BATCH);
      await enqueue(
        tx,
        rows.map((w) => ({
          topic: 'lifecycle.end_warning',
          requestId: w.requestId,
          payload: { grantId: w.grantId, expiresAt: w.expiresAt.toISOString() },
        })),
      );
      return rows.length;
    });
    if (warned > 0) deps.afterCommit();
    return warned;
  }

  /** One pass of every lifecycle job, each in batches until nothing more is due. */
  async function runOnce(): Promise<LifecycleRun> {
    const now = clock.now();
    const run: LifecycleRun = { timedOut: 0, reminded: 0, escalated: 0, warned: 0, started: 0 };
    // A full batch may leave more; an escalation left for the next run can keep a batch full, so the
    // number of batches is bounded rather than looping until a batch comes back short.
    for (let i = 0; i < 50 && (await pendingBatch(now, run)) === BATCH; i += 1);
    for (let n = BATCH; n === BATCH;) run.warned += n = await warnBatch(now);
    // The outbox runs on the database's clock, this job on the bot's (the one expiry uses): releasing
    // the held provisioning here makes a scheduled start happen by the same clock as its end.
    run.started = await releaseStartedProvisioning(db, now);
    if (run.started > 0) deps.afterCommit();
    return run;
  }

  /** The request an item is about; none (deleted, or no request): nothing to deliver. */
  const requestOf = async (item: { requestId: string | null }) =>
    item.requestId ? getRequestDetails(db, item.requestId) : null;

  /** Delivers the lifecycle's outbox items; each is safe to repeat after a crash. */
  const handlers: Pick<OutboxHandlers, 'lifecycle.remind' | 'lifecycle.escalate' | 'lifecycle.end_warning'> = {
    async 'lifecycle.remind'(item) {
      const request = await requestOf(item);
      if (!request || request.status !== 'pending') return;
      const ref = (await messageRefs(db, request.id)).find(
        (m) => m.channel === item.payload.channel && m.ts === item.payload.ts,
      );
      if (ref) await messenger.postThreadReply(ref, request, 'reminder');
    },
    async 'lifecycle.escalate'(item) {
      const request = await requestOf(item);
      if (!request || request.status !== 'pending') return;
      // Escalated in a stage that passed since: its people are not asked any more (no stray message).
      if ((item.payload.stageIndex ?? 0) !== request.stageIndex) return;
      // A new approver message per escalation approver, stored like the others so every later
      // refresh re-renders it; someone who already has one (an approver of the flow) gets no second.
      const known = await messageRefs(db, request.id);
      for (const userId of item.payload.users ?? []) {
        if (known.some((m) => m.role === 'approver' && m.userId === userId)) continue;
        const ref = await messenger.postRequestMessage('approver', userId, request);
        await saveMessageRef(db, { requestId: request.id, role: 'approver', userId, ...ref });
      }
    },
    async 'lifecycle.end_warning'(item) {
      const request = await requestOf(item);
      if (!request) return;
      const grant = request.grant;
      // Stale when the grant ended or its end moved (an extension) since the warning was queued.
      if (request.status !== 'active' || !grant || grant.status !== 'active' || grant.id !== item.payload.grantId)
        return;
      if (
        grant.expiresAt.toISOString() !== item.payload.expiresAt ||
        grant.expiresAt.getTime() <= clock.now().getTime()
      )
        return;
      await messenger.postEndWarning(request);
    },
  };

  return { runOnce, handlers };
}

export type LifecycleJobs = ReturnType<typeof createLifecycleJobs>;
