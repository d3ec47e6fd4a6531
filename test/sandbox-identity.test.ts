import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.js';
import { until } from '../doubles/slack/driver.js';
import { SANDBOX_PEOPLE } from '../sandbox/workspace.js';
import { SLACK_DEADLINES_AS_HANG_GUARDS } from '../doubles/support/until.js';

/**
 * The sandbox starts the OIDC provider double and configures the bot for it; its sample "dashboards" flow
 * asks approvers for a step-up sign-in with MFA. A browser (fetch) goes through the double's sign-in form.
 */
let dataDir: string;
let sandbox: Sandbox;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sandbox-identity-'));
  sandbox = await startSandbox({
    slackDeadlines: SLACK_DEADLINES_AS_HANG_GUARDS,
    env: { PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
  });
});

afterAll(async () => {
  await sandbox?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Opens the bot's sign-in link, picks `who` on the double's form (with MFA) and follows back to the bot. */
async function signInThroughForm(link: string, who: string): Promise<string> {
  const start = await fetch(link, { redirect: 'manual' });
  const cookie = start.headers.get('set-cookie')!.split(';')[0]!;
  const authorize = new URL(start.headers.get('location')!);
  const form = await fetch(authorize, { redirect: 'manual' });
  expect(form.status).toBe(200);
  expect(await form.text()).toContain('Who are you?');
  const body = new URLSearchParams(authorize.searchParams);
  body.set('who', who);
  body.set('mfa', 'on');
  const back = await fetch(new URL('/authorize', authorize), {
    method: 'POST',
    body,
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  const page = await fetch(back.headers.get('location')!, { headers: { cookie } });
  return page.text();
}

it('in the sandbox, an approver of the step-up flow signs in at the identity provider double and then approves', async () => {
  const { driver, slack } = sandbox;
  const rita = SANDBOX_PEOPLE.requester;
  const alex = SANDBOX_PEOPLE.approver;
  await driver.command(rita, '/access', 'request grafana');
  const modal = await until(() => slack.topView(rita), 'the request modal');
  await driver.submitView(rita, modal.id, {
    'request.resources': ['grafana'],
    'request.duration': '15',
    'request.justification': 'INC-42: look at the payment dashboards',
  });
  await sandbox.app.jobs.drainOutbox();
  const message = await until(
    () => slack.dmsTo(alex).find((m) => JSON.stringify(m.blocks).includes('grafana')),
    'the approver message',
  );
  const requestId = /req_[0-9a-z]+/.exec(JSON.stringify(message.blocks))![0];

  const before = slack.responses().length;
  await driver.clickButton(alex, { channel: message.channel, ts: message.ts }, 'review.approve');
  const reply = await until(() => slack.responses()[before], 'the sign-in prompt');
  const link = /"url":"([^"]+)"/.exec(JSON.stringify(reply.body.blocks))![1]!;
  expect(JSON.stringify(reply.body)).toContain('Sign in to approve');

  expect(await signInThroughForm(link, 'sandbox|alex')).toContain(
    'Signed in as alex@example.com. Go back to Slack and click Approve again.',
  );

  slack.clearViews(alex);
  await driver.clickButton(alex, { channel: message.channel, ts: message.ts }, 'review.approve');
  const tuning = await until(() => slack.topView(alex), 'the tuning modal');
  await driver.submitView(alex, tuning.id, {});
  const request = await sandbox.app.services.requests.get(requestId);
  expect(request?.status).toBe('active');
});
