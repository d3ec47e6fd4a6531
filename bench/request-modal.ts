import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { commandFields } from '../doubles/slack/payloads.js';
import type { FakeSlack } from '../doubles/slack/fake-slack.js';
import { WEBHOOK_SECRET } from '../test/support/webhook-target.js';
import { nextCall, requesterIds, SIGNING_SECRET, startBenchEnv, startFloor, stats } from './environment.js';
import { fmt } from './support.js';

/**
 * `/access request` with `concurrency` requesters at once, in rounds: the time to Slack's HTTP answer
 * (the ack) and to the modal opening (the views.open call reaching Slack), measured as Slack sees them,
 * for the bot and for a bare Bolt app doing the same Slack work (the framework floor). The requests
 * come from bench/burst-client.ts, its own process writing pre-signed requests on raw sockets (a
 * fetch-based driver in the Slack double's process queued behind itself and dominated both figures).
 */
export interface ModalFigures {
  concurrency: number;
  rounds: number;
  bot: { ack: ReturnType<typeof stats>; open: ReturnType<typeof stats> };
  floor: { ack: ReturnType<typeof stats>; open: ReturnType<typeof stats> };
  failures: number;
}

/** The burst client (bench/burst-client.ts) in its own process: one JSON line per burst, each way. */
function startBurstClient() {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./burst-client.ts', import.meta.url))],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return {
    async send(url: string, bodies: string[]): Promise<Array<{ sentAt: number; ackMs: number; status: number }>> {
      child.stdin!.write(`${JSON.stringify({ url, secret: SIGNING_SECRET, bodies })}\n`);
      const { value } = await lines.next();
      return JSON.parse(String(value));
    },
    pid: child.pid!,
    stop: () => child.kill(),
  };
}
type BurstClient = ReturnType<typeof startBurstClient>;

async function burst(
  slack: FakeSlack,
  client: BurstClient,
  eventsUrl: string,
  users: string[],
  ack: number[],
  open: number[],
) {
  let failed = 0;
  const triggers = users.map((userId) => {
    slack.clearViews(userId);
    return slack.issueTriggerId(userId);
  });
  const bodies = users.map((userId, i) =>
    new URLSearchParams(
      commandFields(slack, {
        userId,
        command: '/access',
        text: 'request',
        channelId: 'C0GENERAL',
        apiAppId: slack.appId,
        responseUrl: slack.newResponseUrl({ channel: 'C0GENERAL', userId }),
        triggerId: triggers[i]!,
      }),
    ).toString(),
  );
  const opened = triggers.map((t) => nextCall(slack, (m, a) => m === 'views.open' && a.trigger_id === t));
  const results = await client.send(eventsUrl, bodies);
  for (const [i, r] of results.entries()) {
    if (r.status !== 200) failed += 1;
    ack.push(r.ackMs);
    try {
      open.push((await opened[i]!) - r.sentAt);
    } catch {
      failed += 1;
    }
  }
  return failed;
}

/** Rounds alternate between the bot and the floor, so both meet the same machine (GC, autovacuum, caches). */
async function measure(
  slack: FakeSlack,
  client: BurstClient,
  urls: { bot: string; floor: string },
  users: string[],
  rounds: number,
) {
  const samples = {
    bot: { ack: [] as number[], open: [] as number[] },
    floor: { ack: [] as number[], open: [] as number[] },
  };
  let failures = 0;
  for (const which of ['bot', 'floor'] as const) await burst(slack, client, urls[which], users, [], []); // warm-up: JIT, pools, caches
  for (let r = 0; r < rounds; r++) {
    for (const which of r % 2 === 0 ? (['bot', 'floor'] as const) : (['floor', 'bot'] as const)) {
      failures += await burst(slack, client, urls[which], users, samples[which].ack, samples[which].open);
      await new Promise((res) => setTimeout(res, 100));
    }
  }
  const of = (s: { ack: number[]; open: number[] }) => ({ ack: stats(s.ack), open: stats(s.open) });
  return { bot: of(samples.bot), floor: of(samples.floor), failures };
}

export async function benchRequestModal(rounds: number, concurrency = 50): Promise<ModalFigures> {
  const env = await startBenchEnv({ requesters: concurrency });
  try {
    const users = requesterIds(concurrency);
    // The floor opens the very modal the bot opens: capture one.
    const client = startBurstClient();
    await burst(env.slack, client, env.bot.eventsUrl, users.slice(0, 1), [], []);
    const modal = env.slack.calls('views.open').find((c) => c.ok)!.args.view as Record<string, unknown>;
    const floor = await startFloor(env.slack, {
      modal,
      home: { type: 'home', blocks: [] },
      options: [],
      webhook: { url: env.target.url, secret: WEBHOOK_SECRET },
    });
    try {
      const m = await measure(env.slack, client, { bot: env.bot.eventsUrl, floor: floor.eventsUrl }, users, rounds);
      return { concurrency, rounds, ...m };
    } finally {
      client.stop();
      await floor.stop();
    }
  } finally {
    await env.stop();
  }
}

export function describeRequestModal(f: ModalFigures): string[] {
  const cell = (v: ReturnType<typeof stats>) => `p99 ${fmt(v.p99)} ms (p50 ${fmt(v.p50)} ms)`;
  const row = (what: string, bot: ReturnType<typeof stats>, floor: ReturnType<typeof stats>) =>
    `| ${what} | ${cell(bot)} | ${cell(floor)} | ${fmt(bot.p99 / floor.p99)}× | p99 ≤ 1.5× floor and < 50 ms: ${bot.p99 <= 1.5 * floor.p99 && bot.p99 < 50 ? 'met' : 'NOT met'} |`;
  return [
    row(
      `\`/access request\` ack, ${f.rounds} rounds of ${f.concurrency} requesters at once (bot and floor rounds alternate), ${fmt(f.bot.ack.n, 0)} samples each`,
      f.bot.ack,
      f.floor.ack,
    ),
    row('`/access request` modal open (the views.open call reaches Slack), same load', f.bot.open, f.floor.open),
    ...(f.failures > 0 ? [`| (${f.failures} of these requests failed or timed out) | | | | |`] : []),
  ];
}
