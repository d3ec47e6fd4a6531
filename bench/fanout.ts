import postgres from 'postgres';
import { until } from '../doubles/slack/driver.js';
import type { RecordedCall } from '../doubles/slack/fake-slack.js';
import { nowMs, requesterIds, startBenchEnv } from './environment.js';
import { fmt } from './support.js';

/**
 * A decision on a request a Slack user group of `approvers` people was asked about: every approver's DM
 * is updated (chat.update, Tier 3) and every Home re-published (views.publish, Tier 4). The double
 * enforces both tiers with 429 + Retry-After, sped up `SPEED`× so the run stays short; the bot paces
 * itself to the same sped-up budgets. Measured: time from the decision to the last update, how many
 * 429s Slack answered, and whether any was left unhandled (a message not updated, an outbox item parked).
 */
export interface FanoutFigures {
  approvers: number;
  updated: number;
  expected: number;
  lastUpdateSeconds: number;
  homesSeconds: number;
  rateLimited: number;
  leftOver: number;
  speed: number;
}

const SPEED = 24;
const GROUP = 'S0FANOUT';
const approverIds = (n: number) => Array.from({ length: n }, (_, i) => `U0F${String(i).padStart(4, '0')}`);

export async function benchFanout(approvers: number): Promise<FanoutFigures> {
  const people = approverIds(approvers);
  const [requester] = requesterIds(1) as [string];
  const accessFile = () => `
resources:
  - { name: fan-db, type: database }
flows:
  - { name: fan, resources: { names: [fan-db] }, requesters: { everyone: true }, approvers: { groups: [${GROUP}] }, max_duration: 8h }
`;
  // Tier 3 is 50 a minute, Tier 4 100: per second here, SPEED× faster, with the bot told the same budget.
  const perMinute = { update: 50 * SPEED, publish: 100 * SPEED };
  const env = await startBenchEnv({
    requesters: 1,
    accessFile,
    env: {
      SLACK_UPDATES_PER_MINUTE: String(perMinute.update),
      SLACK_HOME_PUBLISHES_PER_MINUTE: String(perMinute.publish),
    },
    slack: {
      users: people.map((id, i) => ({ id, name: `fan${i}` })),
      usergroups: [{ id: GROUP, handle: 'fan-approvers', name: 'Fan-out approvers', users: people }],
      rateLimits: {
        'chat.update': { limit: perMinute.update / 60, windowMs: 1000 },
        'views.publish': { limit: perMinute.publish / 60, windowMs: 1000 },
      },
    },
  });
  const sql = postgres(env.databaseUrl, { onnotice: () => {}, max: 1 });
  try {
    await env.driver.command(requester, '/access', 'request');
    const modal = await until(() => env.slack.topView(requester), 'the request modal');
    await env.driver.submitView(requester, modal.id, {
      'request.resources': ['fan-db'],
      'request.duration': '60',
      'request.justification': 'FAN-1 fan-out',
    });
    const id = /req_[0-9a-z]+/.exec(JSON.stringify(env.slack.topView(requester)?.view ?? {}))?.[0];
    if (!id) throw new Error('the request was not created');
    const dmOf = (u: string) => env.slack.dmsTo(u).find((m) => JSON.stringify(m.blocks).includes(id));
    await until(
      () => [...people, requester].every((u) => dmOf(u)) || undefined,
      `the DMs of ${approvers} approvers and the requester`,
    );
    const messages = [...people, requester].map((u) => dmOf(u)!);

    const calls: RecordedCall[] = [];
    const off = env.slack.onCall((c) => {
      if (c.method === 'chat.update' || c.method === 'views.publish') calls.push(c);
    });
    const approver = people[0]!;
    const dm = dmOf(approver)!;
    await env.driver.clickButton(approver, { channel: dm.channel, ts: dm.ts }, 'review.approve');
    const tuning = await until(() => env.slack.topView(approver), 'the tuning modal');
    const started = nowMs();
    await env.driver.submitView(approver, tuning.id, {});
    const done = () => messages.every((m) => JSON.stringify(m.blocks).includes('Approved'));
    await until(() => done() || undefined, 'every message updated');
    // The Homes come after the messages; wait for the outbox to finish them too.
    const deadline = Date.now() + 55_000;
    while ((await sql`select count(*)::int as n from outbox where done_at is null`)[0]!.n > 0) {
      if (Date.now() > deadline) break; // reported as left over below
      await new Promise((r) => setTimeout(r, 50));
    }
    off();
    const ok = (m: string) => calls.filter((c) => c.method === m && c.ok);
    const lastUpdate = Math.max(...ok('chat.update').map((c) => c.at));
    const lastHome = Math.max(...ok('views.publish').map((c) => c.at));
    const [parked] = await sql`select count(*)::int as n from outbox where done_at is null`;
    return {
      approvers,
      expected: messages.length,
      updated: messages.filter((m) => m.updateCount > 0).length,
      lastUpdateSeconds: (lastUpdate - started) / 1000,
      homesSeconds: (lastHome - started) / 1000,
      rateLimited: calls.filter((c) => c.error === 'ratelimited').length,
      leftOver: parked!.n as number,
      speed: SPEED,
    };
  } finally {
    await sql.end();
    await env.stop();
  }
}

export function describeFanout(f: FanoutFigures): string[] {
  const met = f.updated === f.expected && f.leftOver === 0;
  return [
    `| A decision for a Slack group of ${f.approvers} approvers → every DM updated (chat.update, Tier 3 enforced by the double at ${f.speed}× speed) | last update after ${fmt(f.lastUpdateSeconds, 1)} s, ${f.updated}/${f.expected} messages; Homes done after ${fmt(f.homesSeconds, 1)} s; ${f.rateLimited} 429s answered | | | all updated, no 429 left unhandled: ${met ? 'met' : 'NOT met'} |`,
  ];
}
