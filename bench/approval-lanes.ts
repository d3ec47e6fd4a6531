import { until } from '../doubles/slack/driver.js';
import { createRequests } from './approval.js';
import { APPROVER, nowMs, startBenchEnv, stats } from './environment.js';
import { fmt } from './support.js';

/**
 * Approvals back to back at Slack's default pacing (SLACK_UPDATES_PER_MINUTE=50): each decision queues
 * the refresh of its messages, which soon wait for the pacer. Grants run in their own outbox lane
 * (domain/outbox.ts, OutboxLane), so the time to active access should not grow with that queue.
 */
export interface LaneFigures {
  approvals: number;
  active: ReturnType<typeof stats>;
}

export async function benchApprovalLanes(approvals: number): Promise<LaneFigures> {
  const env = await startBenchEnv({ requesters: 10 });
  try {
    const ids = await createRequests(env, approvals);
    const submitted = new Map<string, number>();
    for (const id of ids) {
      const dm = await until(
        () => env.slack.dmsTo(APPROVER).find((m) => JSON.stringify(m.blocks).includes(id)),
        `the approver's message about ${id}`,
      );
      env.slack.clearViews(APPROVER);
      await env.driver.clickButton(APPROVER, { channel: dm.channel, ts: dm.ts }, 'review.approve');
      const modal = await until(() => env.slack.topView(APPROVER), 'the tuning modal');
      submitted.set(id, nowMs());
      await env.driver.submitView(APPROVER, modal.id, {});
    }
    const active: number[] = [];
    for (const id of ids) {
      const at = await until(
        () => env.target.deliveries.find((d) => d.requestId === id && d.type === 'grant.activated')?.at,
        `activation of ${id}`,
      );
      active.push(at - submitted.get(id)!);
    }
    return { approvals, active: stats(active) };
  } finally {
    await env.stop();
  }
}

export function describeApprovalLanes(f: LaneFigures): string[] {
  return [
    `| Approve submitted → grant active, ${f.approvals} approvals back to back at the default Slack pacing (50 \`chat.update\`/min) | p99 ${fmt(f.active.p99)} ms (p50 ${fmt(f.active.p50)} ms) | | | p99 < 300 ms: ${f.active.p99 < 300 ? 'met' : 'NOT met'} |`,
  ];
}
