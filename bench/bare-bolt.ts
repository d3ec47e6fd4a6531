import { readFileSync } from 'node:fs';
import { App } from '@slack/bolt';
import postgres from 'postgres';
import { signWebhookEvent } from '../src/provisioners/webhook/webhook-provisioner.js';

/**
 * The framework floor, run as its own process like the bot: a bare Bolt app (same HTTPReceiver, same
 * WebClient, same FakeSlack) that answers the same Slack requests with the same Slack work the bot does,
 * but with no database and no logic. The bot's figures are compared with this app's.
 * - `/access`: ack, then views.open with the bot's own request modal (captured from a real run);
 * - the tuning modal's submission: ack, one transaction (BEGIN, an INSERT of the decision, COMMIT) when
 *   the fixtures name a database, then the webhook POST and the requester's DM, as an approval does;
 * - the resource type-ahead: the same options the bot answered with;
 * - app_home_opened: views.publish of the bot's own Home view.
 * Env: SLACK_BOT_TOKEN SLACK_SIGNING_SECRET SLACK_API_URL PORT FLOOR_FIXTURES (JSON file).
 */
interface Fixtures {
  modal: Record<string, unknown>;
  home: Record<string, unknown>;
  options: unknown[];
  webhook: { url: string; secret: string };
  /** The bench database: the decision is written there in one transaction, as the least a decision needs. */
  databaseUrl?: string;
}
const fixtures = JSON.parse(readFileSync(process.env.FLOOR_FIXTURES!, 'utf8')) as Fixtures;
const sql = fixtures.databaseUrl ? postgres(fixtures.databaseUrl, { onnotice: () => {}, max: 2 }) : null;
await sql?.unsafe(
  'create table if not exists floor_decisions (request_id text primary key, decided_by text not null, decided_at timestamptz not null default now())',
);

const app = new App({
  token: process.env.SLACK_BOT_TOKEN!,
  signingSecret: process.env.SLACK_SIGNING_SECRET!,
  clientOptions: {
    slackApiUrl: process.env.SLACK_API_URL!,
    retryConfig: { retries: 1, minTimeout: 200, maxTimeout: 1000 },
  },
  logLevel: 'error' as never,
});

app.command('/access', async ({ ack, client, command }) => {
  await ack();
  await client.views.open({ trigger_id: command.trigger_id, view: fixtures.modal as never });
});

app.view('review.tuning', async ({ ack, body, client, view }) => {
  await ack();
  const { requestId, requesterId } = JSON.parse(view.private_metadata) as { requestId: string; requesterId?: string };
  // The decision, committed before any side effect (as the bot does).
  await sql?.begin(
    (tx) => tx`insert into floor_decisions (request_id, decided_by) values (${requestId}, ${body.user.id})`,
  );
  const payload = JSON.stringify({
    type: 'grant.activated',
    data: { grant_id: `floor_${requestId}`, request_id: requestId, resource: { name: 'floor' } },
  });
  await fetch(fixtures.webhook.url, {
    method: 'POST',
    headers: {
      ...signWebhookEvent(fixtures.webhook.secret, `floor_${requestId}`, payload, new Date()),
      'content-type': 'application/json',
    },
    body: payload,
  });
  await client.chat.postMessage({
    channel: requesterId ?? body.user.id,
    text: `Floor: approved your request ${requestId}`,
  });
});

app.options('request.resources.select', async ({ ack }) => {
  await ack({ options: fixtures.options as never });
});

app.event('app_home_opened', async ({ event, client }) => {
  await client.views.publish({ user_id: event.user, view: fixtures.home as never });
});

await app.start(Number(process.env.PORT));
process.stdout.write('ready\n');
// Exit normally on SIGTERM, so a --cpu-prof profile (BENCH_FLOOR_NODE_ARGS) gets written.
process.once('SIGTERM', () => void (sql?.end({ timeout: 1 }) ?? Promise.resolve()).finally(() => process.exit(0)));
