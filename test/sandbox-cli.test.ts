import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.js';
import { SANDBOX_PEOPLE } from '../sandbox/workspace.js';
import { cliHome, startCli, type CliHome } from './support/cli.js';
import { SLACK_DEADLINES_AS_HANG_GUARDS, waitFor } from '../doubles/support/until.js';

/**
 * docs/cli.md's "Against the sandbox", as written: Rita links her company identity, logs the CLI in through
 * the sandbox's identity provider (its device page), requests prod-db with --wait, Alex approves in the
 * simulated Slack, and the CLI prints how to use the access.
 */
let dataDir: string;
let sandbox: Sandbox;
let home: CliHome;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sandbox-cli-'));
  sandbox = await startSandbox({
    slackDeadlines: SLACK_DEADLINES_AS_HANG_GUARDS,
    env: { PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
  });
  home = cliHome();
});

afterAll(async () => {
  await sandbox?.stop();
  home?.remove();
  rmSync(dataDir, { recursive: true, force: true });
});

it('the CLI logs in through the sandbox identity provider, and a request approved on the page is ready', async () => {
  const { driver, slack } = sandbox;
  const rita = SANDBOX_PEOPLE.requester;
  const alex = SANDBOX_PEOPLE.approver;
  const url = `http://localhost:${sandbox.port}`;
  // An admin links Rita by hand (the page's /access link does it through the provider's sign-in form).
  await driver.command(SANDBOX_PEOPLE.admin, '/access', `link <@${rita}|rita> sandbox|rita`);

  const login = startCli(['login', '--url', url], { env: home.env });
  await waitFor(() => /\(or open (\S+)\)/.test(login.stderr()), 'the device code');
  const page = new URL(/\(or open (\S+)\)/.exec(login.stderr())![1]!);
  expect(await (await fetch(page)).text()).toContain('Rita Requester');
  await fetch(new URL('/device', page), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      user_code: page.searchParams.get('user_code')!,
      who: 'sandbox|rita',
      decision: 'approve',
    }),
  });
  const loggedIn = await login.done;
  expect(loggedIn.code, loggedIn.stderr).toBe(0);
  expect(loggedIn.stdout).toContain(`Logged in to ${url} as Rita Requester (${rita}).`);

  const cli = startCli(['request', 'prod-db', '--for', '15m', '--why', 'INC-42: check failed payments', '--wait'], {
    env: home.env,
  });
  await waitFor(() => cli.stderr().includes('Asked'), 'the CLI to follow its request');
  await sandbox.app.jobs.drainOutbox();
  const message = await until(
    () => slack.dmsTo(alex).find((m) => JSON.stringify(m.blocks).includes('from the CLI')),
    "Alex's approval message",
  );
  await driver.clickButton(alex, { channel: message.channel, ts: message.ts }, 'review.approve');
  const tuning = await until(() => slack.topView(alex), 'the tuning modal');
  await driver.submitView(alex, tuning.id, {});
  const done = await cli.done;
  expect(done.code, done.stderr).toBe(0);
  expect(done.stdout).toMatch(
    /^prod-db is ready until .+ UTC\.\n {2}Sandbox: the built-in webhook receiver got this grant/,
  );
});
