import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackDriver, until } from '../doubles/slack/driver.js';
import { FakeSlack } from '../doubles/slack/fake-slack.js';
import { startBotProcess, type BotProcess } from './support/bot-process.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { BOT_TOKEN, SIGNING_SECRET } from './support/harness.js';
import { waitFor } from '../doubles/support/until.js';
import { ACCESS_FILE, PEOPLE } from './support/workspace.js';
import { startWorkspaceSlack } from './support/workspace-slack.js';

/**
 * `kill -HUP` on the bot's own process (node src/main.ts, as in production): the changed ACCESS_CONFIG is
 * applied without a restart, and a broken one is refused while the process keeps serving. The watch is off
 * here (ACCESS_CONFIG_WATCH=false), so only the signal can have applied it.
 */
let db: TestDatabase;
let slack: FakeSlack;
let bot: BotProcess;
let driver: SlackDriver;
let dir: string;
let path: string;
let sql: postgres.Sql;

beforeAll(async () => {
  db = await createTestDatabase();
  slack = await startWorkspaceSlack();
  dir = mkdtempSync(join(tmpdir(), 'access-sighup-'));
  path = join(dir, 'access.yml');
  writeFileSync(path, ACCESS_FILE);
  bot = await startBotProcess({
    env: {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      DATABASE_URL: db.url,
      ACCESS_CONFIG: path,
      ACCESS_CONFIG_WATCH: 'false',
      ACCESS_ADMINS: PEOPLE.admin,
      LOG_LEVEL: 'info',
    },
  });
  driver = new SlackDriver({ eventsUrl: bot.eventsUrl, signingSecret: SIGNING_SECRET, slack });
  sql = postgres(db.url, { onnotice: () => {}, max: 1 });
});

afterAll(async () => {
  await sql?.end();
  await bot?.stop();
  await slack?.stop();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function offered(user: string): Promise<string[]> {
  slack.clearViews(user);
  await driver.command(user, '/access', 'request');
  const modal = await until(() => slack.topView(user), 'the request modal');
  const block = modal.view.blocks.find((b: { block_id?: string }) => b.block_id === 'request.resources');
  return [...JSON.stringify(block).matchAll(/"value":"([^"]+)"/g)].map((m) => m[1]!);
}

describe('SIGHUP', () => {
  it('applies the changed file in the running process: the form offers the new resource', async () => {
    expect(await offered(PEOPLE.requester)).not.toContain('analytics-db');
    writeFileSync(
      path,
      ACCESS_FILE.replace(
        '  - name: staging-db\n',
        '  - name: analytics-db\n    type: database\n    tags: [production]\n  - name: staging-db\n',
      ),
    );
    process.kill(bot.pid, 'SIGHUP');
    await waitFor(() => bot.output.some((l) => l.includes('"msg":"reloaded ACCESS_CONFIG"')), 'the reload in the log');
    expect(await offered(PEOPLE.requester)).toContain('analytics-db');
    const [event] = await sql`select details from audit_events where action = 'catalog.reloaded'`;
    expect(event!.details).toMatchObject({ trigger: 'sighup', changed: ['+ resource analytics-db'] });
  });

  it('refuses a broken file: the process keeps serving the catalogue it had, and the admins get a DM', async () => {
    writeFileSync(path, 'resources: [\n');
    process.kill(bot.pid, 'SIGHUP');
    await waitFor(() => slack.dmsTo(PEOPLE.admin).length > 0, 'the admin’s DM');
    expect(slack.dmsTo(PEOPLE.admin)[0]!.text).toContain('ACCESS_CONFIG is not valid YAML');
    expect(bot.output.find((l) => l.includes('refused the changed ACCESS_CONFIG'))).toContain('not valid YAML');
    expect(await offered(PEOPLE.requester)).toContain('analytics-db');
  });
});
