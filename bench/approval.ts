import { until } from '../doubles/slack/driver.js';
import type { WebhookTarget } from '../test/support/webhook-target.js';
import {
  APPROVER,
  nextCall,
  openTuningModal,
  nowMs,
  requesterIds,
  startBenchEnv,
  floorSubmission,
  startApprovalFloor,
  stats,
  type BenchEnv,
} from './environment.js';
import { fmt } from './support.js';

/**
 * One approval end to end, as Slack and the target see it: the approver submits the tuning modal, the
 * grant is made real in its target (a webhook receiver here), and the requester is told. One approval at
 * a time, so each figure is latency, not queueing. The floor is a bare Bolt app that, on the same
 * submission, commits one transaction and makes the same two calls (the webhook and the requester's DM).
 */
export interface ApprovalFigures {
  approvals: number;
  ack: ReturnType<typeof stats>;
  active: ReturnType<typeof stats>;
  told: ReturnType<typeof stats>;
  floor: ReturnType<typeof stats>;
}

/** When the target first heard of request `requestId`'s activation (wall-clock ms). */
function activation(target: WebhookTarget, requestId: string): Promise<number> {
  return until(
    () => target.deliveries.find((d) => d.requestId === requestId && d.type === 'grant.activated')?.at,
    `activation of ${requestId}`,
  );
}

export async function createRequests(env: BenchEnv, n: number): Promise<string[]> {
  const users = requesterIds(10);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const user = users[i % users.length]!;
    env.slack.clearViews(user);
    await env.driver.command(user, '/access', 'request');
    const modal = await until(() => env.slack.topView(user), 'the request modal');
    await env.driver.submitView(user, modal.id, {
      'request.resources': [`app-${String(i % 20).padStart(2, '0')}`],
      'request.duration': '60',
      'request.justification': `BENCH-${i}`,
    });
    const view = JSON.stringify(env.slack.topView(user)?.view ?? {});
    const id = /req_[0-9a-z]+/.exec(view)?.[0];
    if (!id) throw new Error(`request ${i} was not created: ${view.slice(0, 300)}`);
    ids.push(id);
  }
  return ids;
}

export async function benchApproval(approvals: number): Promise<ApprovalFigures> {
  const env = await startBenchEnv({ requesters: 10 });
  try {
    const ids = await createRequests(env, approvals + 5);
    const ack: number[] = [];
    const active: number[] = [];
    const told: number[] = [];
    let lastModal = '';
    for (const [i, id] of ids.entries()) {
      const modal = await openTuningModal(env, id);
      lastModal = modal.id;
      const notice = nextCall(
        env.slack,
        (m, a) =>
          m === 'chat.postMessage' &&
          JSON.stringify(a).includes(id) &&
          JSON.stringify(a).includes('approved your request'),
      );
      const ready = nextCall(
        env.slack,
        (m, a) => m === 'chat.postMessage' && String(a.text).includes('is ready') && String(a.text).includes(id),
      );
      const started = nowMs();
      await env.driver.submitView(APPROVER, modal.id, {});
      const acked = nowMs();
      const [activeAt, noticeAt, readyAt] = await Promise.all([activation(env.target, id), notice, ready]);
      if (i < 5) continue; // warm-up
      ack.push(acked - started);
      active.push(activeAt - started);
      told.push(Math.max(noticeAt, readyAt) - started);
    }

    // The floor: the same submission to the bare app, which only POSTs the webhook and DMs the requester.
    const tuning = env.slack.view(lastModal)!;
    const floor = await startApprovalFloor(env);
    const floorSamples: number[] = [];
    try {
      for (let i = 0; i < approvals + 5; i++) {
        const requestId = `req_floor${String(i).padStart(6, '0')}`;
        const dm = nextCall(env.slack, (m, a) => m === 'chat.postMessage' && String(a.text).includes(requestId));
        const started = nowMs();
        await floor.driver.raw(floorSubmission(env.slack, tuning, requestId), 'application/x-www-form-urlencoded');
        const [activeAt, dmAt] = await Promise.all([activation(env.target, requestId), dm]);
        if (i >= 5) floorSamples.push(Math.max(activeAt, dmAt) - started);
      }
    } finally {
      await floor.stop();
    }
    return { approvals, ack: stats(ack), active: stats(active), told: stats(told), floor: stats(floorSamples) };
  } finally {
    await env.stop();
  }
}

export function describeApproval(f: ApprovalFigures): string[] {
  return [
    `| Approve submitted → grant active in the target (webhook received), ${f.approvals} approvals one at a time | p99 ${fmt(f.active.p99)} ms (p50 ${fmt(f.active.p50)} ms; ack p99 ${fmt(f.ack.p99)} ms) | | | |`,
    `| Approve submitted → grant active → requester told (approval notice and "access ready" DM both at Slack) | p99 ${fmt(f.told.p99)} ms (p50 ${fmt(f.told.p50)} ms) | p99 ${fmt(f.floor.p99)} ms | ${fmt(f.told.p99 / f.floor.p99)}× | p99 < 300 ms: ${f.told.p99 < 300 ? 'met' : 'NOT met'} |`,
  ];
}
