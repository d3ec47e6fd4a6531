import postgres from 'postgres';
import { until } from '../doubles/slack/driver.js';
import { createRequests } from './approval.js';
import {
  APPROVER,
  floorSubmission,
  nextCall,
  openTuningModal,
  startBenchEnv,
  startApprovalFloor,
  type BenchEnv,
} from './environment.js';
import { cpuSecondsOf } from './process-cpu.js';
import { fmt } from './support.js';

/**
 * What one approval costs the bot, click to outbox empty: CPU time of the bot process (user + system,
 * from /proc) and SQL statements it sent (`access_db_statements_total` from its /metrics, BEGIN and
 * COMMIT included), over `approvals` approvals one at a time, each waited on until the outbox has
 * nothing left (grant made real, requester told, messages refreshed). Slack pacing is lifted so the
 * refreshes run at once instead of queueing for minutes. The floor: the bare Bolt app's CPU for the same
 * submission with the least an approval needs (ack, one transaction, the webhook, one DM).
 */
export interface ApprovalCost {
  approvals: number;
  cpuMs: number;
  statements: number;
  floorCpuMs: number;
  /** The floor's statements per approval: BEGIN, one INSERT, COMMIT. */
  floorStatements: number;
  wallSeconds: number;
}

const WARM_UP = 5;

async function statementsOf(env: BenchEnv): Promise<number> {
  const text = await (await fetch(`${env.bot.url}/metrics`)).text();
  const line = /^access_db_statements_total (\d+)/m.exec(text);
  if (!line) throw new Error('no access_db_statements_total on /metrics');
  return Number(line[1]);
}

async function cpuMsOf(pid: number): Promise<number> {
  const seconds = await cpuSecondsOf(pid);
  if (seconds === null) throw new Error(`process ${pid} is gone`);
  return seconds * 1000;
}

export async function benchApprovalCost(approvals: number): Promise<ApprovalCost> {
  const env = await startBenchEnv({
    requesters: 10,
    env: { SLACK_UPDATES_PER_MINUTE: '10000', SLACK_HOME_PUBLISHES_PER_MINUTE: '10000' },
  });
  const sql = postgres(env.databaseUrl, { onnotice: () => {}, max: 1 });
  // Polled from this process: its statements are not the bot's.
  const waitEmpty = async () => {
    const deadline = Date.now() + 30_000;
    while ((await sql`select count(*)::int as n from outbox where done_at is null`)[0]!.n > 0) {
      if (Date.now() > deadline) throw new Error('the outbox did not empty');
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  try {
    const ids = await createRequests(env, approvals + WARM_UP);
    await waitEmpty();
    let lastModal = '';
    let start = { statements: 0, cpu: 0, at: 0 };
    for (const [i, id] of ids.entries()) {
      if (i === WARM_UP) {
        await new Promise((r) => setTimeout(r, 300));
        const statements = await statementsOf(env);
        start = { statements, cpu: await cpuMsOf(env.bot.pid), at: performance.now() };
      }
      const modal = await openTuningModal(env, id);
      lastModal = modal.id;
      const ready = nextCall(
        env.slack,
        (m, a) => m === 'chat.postMessage' && String(a.text).includes('is ready') && String(a.text).includes(id),
      );
      await env.driver.submitView(APPROVER, modal.id, {});
      await ready;
      await waitEmpty();
    }
    // The worker's last (empty) claim after the last item, as after every earlier one.
    await new Promise((r) => setTimeout(r, 300));
    const cpu = (await cpuMsOf(env.bot.pid)) - start.cpu;
    const wallSeconds = (performance.now() - start.at) / 1000;
    const statements = (await statementsOf(env)) - start.statements;

    const floorCpuMs = await floorCost(env, lastModal, approvals);
    return {
      approvals,
      cpuMs: cpu / approvals,
      statements: statements / approvals,
      floorCpuMs,
      floorStatements: 3,
      wallSeconds,
    };
  } finally {
    await sql.end();
    await env.stop();
  }
}

/** The bare Bolt app's CPU per approval: the same tuning submission, `approvals` times after a warm-up. */
async function floorCost(env: BenchEnv, tuningViewId: string, approvals: number): Promise<number> {
  const tuning = env.slack.view(tuningViewId)!;
  const floor = await startApprovalFloor(env);
  try {
    let start = 0;
    for (let i = 0; i < approvals + WARM_UP; i++) {
      if (i === WARM_UP) start = await cpuMsOf(floor.pid);
      const requestId = `req_floorcpu${String(i).padStart(6, '0')}`;
      const dm = nextCall(env.slack, (m, a) => m === 'chat.postMessage' && String(a.text).includes(requestId));
      await floor.driver.raw(floorSubmission(env.slack, tuning, requestId), 'application/x-www-form-urlencoded');
      await Promise.all([
        dm,
        until(
          () => env.target.deliveries.some((d) => d.requestId === requestId),
          `the floor's webhook for ${requestId}`,
        ),
      ]);
    }
    return ((await cpuMsOf(floor.pid)) - start) / approvals;
  } finally {
    await floor.stop();
  }
}

export function describeApprovalCost(f: ApprovalCost): string[] {
  return [
    `| Bot CPU per approval, click to outbox empty (user + system of the bot process, /proc; ${f.approvals} approvals one at a time, Slack pacing lifted; ${fmt(f.wallSeconds, 1)} s) | ${fmt(f.cpuMs, 1)} ms | ${fmt(f.floorCpuMs, 1)} ms (ack + 1 transaction + webhook + 1 DM) | ${fmt(f.cpuMs / f.floorCpuMs, 1)}× | ≤ 20 ms: ${f.cpuMs <= 20 ? 'met' : 'NOT met'} |`,
    `| SQL statements per approval, same approvals (\`access_db_statements_total\` before and after; BEGIN, COMMIT and the worker's polls included) | ${fmt(f.statements, 1)} | ${f.floorStatements} (BEGIN, INSERT, COMMIT) | ${fmt(f.statements / f.floorStatements, 1)}× | ≤ 25: ${f.statements <= 25 ? 'met' : 'NOT met'} |`,
  ];
}
