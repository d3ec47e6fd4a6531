import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createAccessApp } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { FakeSlack } from '../doubles/slack/fake-slack.js';
import { SlackDriver, until } from '../doubles/slack/driver.js';
import { BOT_TOKEN, SIGNING_SECRET } from './support/harness.js';
import { ACCESS_FILE, PEOPLE, USERS } from './support/workspace.js';
import { APP_SCOPES } from './support/app-scopes.js';
import { HANG_GUARD_MS, SLACK_DEADLINES_AS_HANG_GUARDS } from '../doubles/support/until.js';
import { startWorkspaceSlack } from './support/workspace-slack.js';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'access-startup-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Runs `sandbox/start.ts` (what `npm start` runs in a clone) as a user would and returns how it ended. */
async function startMain(env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'sandbox/start.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...env },
      // A guard against a hang, not a budget: a busy machine may take far longer than a quiet one to start.
      timeout: 2 * HANG_GUARD_MS,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Starts `sandbox/start.ts` and resolves with the first stdout match of `pattern`; the caller stops the child. */
function spawnMain(env: Record<string, string>, pattern: RegExp) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'sandbox/start.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const matched = new Promise<RegExpMatchArray>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += String(chunk);
      const m = pattern.exec(out);
      if (m) resolve(m);
    });
    child.stderr.on('data', (chunk: Buffer) => (err += String(chunk)));
    void exited.then((code) => reject(new Error(`main exited (${code}) before printing ${pattern}: ${err || out}`)));
  });
  return { child, matched, exited };
}

describe('start-up', () => {
  it('stops with one sentence naming a missing variable when only some Slack credentials are set', async () => {
    const res = await startMain({ SLACK_SIGNING_SECRET: SIGNING_SECRET });
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe('Cannot start: SLACK_BOT_TOKEN is required.');
  });

  it('starts the sandbox when no Slack credentials are set at all', async () => {
    const { child, matched, exited } = spawnMain(
      { DATA_DIR: tempDir(), PORT: '0', LOG_LEVEL: 'silent' },
      /Open (http:\/\/localhost:(\d+)\/sandbox)/,
    );
    try {
      const [, url, port] = await matched;
      const page = await fetch(url!);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('SANDBOX');
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      const state = (await (await fetch(`http://127.0.0.1:${port}/sandbox/api/state`)).json()) as {
        people: { role: string }[];
      };
      expect(state.people.map((p) => p.role.split(':')[0])).toEqual(['Engineer', 'Ops', 'Ops', 'Admin', 'Guest']);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('stops with the path of a wrong field in ACCESS_CONFIG, before touching Slack', async () => {
    const file = join(tempDir(), 'access.yml');
    writeFileSync(file, ACCESS_FILE.replace('max_duration: 8h', 'max_duration: soon'));
    const res = await startMain({
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      DATA_DIR: tempDir(),
      ACCESS_CONFIG: file,
      SLACK_API_URL: 'http://127.0.0.1:9/api/',
      LOG_LEVEL: 'silent',
    });
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe(
      'Cannot start: ACCESS_CONFIG: flows[0].max_duration: must be a duration like 30m, 8h or 1d',
    );
  });

  it('stops with one sentence when ACCESS_CONFIG names PagerDuty but PAGERDUTY_API_TOKEN is not set', async () => {
    const file = join(tempDir(), 'access.yml');
    writeFileSync(
      file,
      ACCESS_FILE.replace(
        'approvers:  { users: [U0APPR], groups: [S0DBTEAM] }',
        'approvers:  { users: [U0APPR], groups: [S0DBTEAM], on_call: { pagerduty: { escalation_policies: [PXYZ123] } } }',
      ),
    );
    const res = await startMain({
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      DATA_DIR: tempDir(),
      ACCESS_CONFIG: file,
      SLACK_API_URL: 'http://127.0.0.1:9/api/',
      LOG_LEVEL: 'silent',
    });
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe(
      'Cannot start: ACCESS_CONFIG: flows[0] (support-prod) asks PagerDuty who is on call, but PAGERDUTY_API_TOKEN is not set.',
    );
  });

  it('says so when Slack rejects the token', async () => {
    const slack = await FakeSlack.start({
      ...SLACK_DEADLINES_AS_HANG_GUARDS,
      botToken: 'xoxb-the-right-one',
      scopes: APP_SCOPES,
      users: USERS,
    });
    try {
      const res = await startMain({
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        DATA_DIR: tempDir(),
        SLACK_API_URL: slack.apiUrl,
        LOG_LEVEL: 'silent',
        PORT: '0',
      });
      expect(res.code).toBe(1);
      expect(res.stderr).toContain('Cannot start: Slack rejected the bot token (invalid_auth). Check SLACK_BOT_TOKEN.');
      expect(res.stderr).not.toContain(BOT_TOKEN);
    } finally {
      await slack.stop();
    }
  });
});

describe('the embedded database (no DATABASE_URL)', () => {
  it('migrates, serves a request, and keeps it across a restart', async () => {
    const slack = await startWorkspaceSlack();
    const dataDir = tempDir();
    const config = parseConfig({
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
    });
    const boot = async () => {
      const app = await createAccessApp({ config, logger: createLogger('silent'), accessFileText: ACCESS_FILE });
      const { port } = await app.start();
      return {
        app,
        port,
        driver: new SlackDriver({
          eventsUrl: `http://127.0.0.1:${port}/slack/events`,
          signingSecret: SIGNING_SECRET,
          slack,
        }),
      };
    };
    try {
      let { app, port, driver } = await boot();
      expect(app.database.kind).toBe('embedded');
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      await driver.command(PEOPLE.requester, '/access', 'request prod-db');
      const modal = await until(() => slack.topView(PEOPLE.requester), 'modal');
      const res = await driver.submitView(PEOPLE.requester, modal.id, { 'request.justification': 'embedded check' });
      expect(res.json?.response_action).toBe('update');
      await app.jobs.drainOutbox();
      expect(slack.dmsTo(PEOPLE.approver)).toHaveLength(1);
      await app.stop();

      ({ app, port, driver } = await boot());
      const rows = await app.database.db.execute(sql`select status, justification from access_requests`);
      const list = Array.isArray(rows) ? rows : (rows as unknown as { rows: unknown[] }).rows;
      expect(list).toEqual([{ status: 'pending', justification: 'embedded check' }]);
      await app.stop();
    } finally {
      await slack.stop();
    }
  });
});
