import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.js';
import { until } from '../doubles/slack/driver.js';
import { SANDBOX_PEOPLE } from '../sandbox/workspace.js';
import { SLACK_DEADLINES_AS_HANG_GUARDS } from '../doubles/support/until.js';

/** The sandbox's on-call switch: put Rita on call and watch the production flow approve her at once. */
let sandbox: Sandbox;
let base: string;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sandbox-oncall-'));
  sandbox = await startSandbox({
    slackDeadlines: SLACK_DEADLINES_AS_HANG_GUARDS,
    env: { PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
  });
  base = `http://127.0.0.1:${sandbox.port}`;
});
afterAll(async () => {
  await sandbox?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const post = async (path: string, body: unknown) => {
  const res = await fetch(`${base}/sandbox/api/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};
const state = async (user: string) =>
  (await (await fetch(`${base}/sandbox/api/state?user=${user}`)).json()) as Record<string, any>;
const { requester, approver, secondApprover } = SANDBOX_PEOPLE;

/** Rita asks for prod-db for 15 minutes; returns the approver's DM about it. */
async function ritaAsks(justification: string) {
  const { slack, driver } = sandbox;
  slack.clearViews(requester);
  await driver.command(requester, '/access', 'request');
  const form = await until(() => slack.topView(requester), 'the request form');
  await driver.submitView(requester, form.id, {
    'request.resources': ['prod-db'],
    'request.duration': '15',
    'request.justification': justification,
  });
  slack.clearViews(requester);
  await sandbox.app.jobs.drainOutbox();
  return until(
    () => slack.dmsTo(approver).find((m) => JSON.stringify(m.blocks).includes(justification)),
    'the approver message',
  );
}

describe('the sandbox’s on-call schedule', () => {
  it('starts with Dana on call, and the page shows it', async () => {
    expect((await state(requester)).onCall).toEqual({ schedule: 'Sandbox on-call', onCall: [secondApprover] });
  });

  it('Rita off call: her request waits for ops', async () => {
    const message = await ritaAsks('INC-1: off call, please approve');
    expect(JSON.stringify(message.blocks)).toContain('review.approve');
  });

  it('"Put me on call" puts Rita on the schedule, and her next request is approved at once, naming the schedule', async () => {
    const res = await post('on-call', { user: requester, on: true });
    expect(res.body.onCall).toEqual({ schedule: 'Sandbox on-call', onCall: [requester] });
    const message = await ritaAsks('INC-2: on call now, looking at payments');
    expect(JSON.stringify(message.blocks)).toContain(
      'Auto-approved by rule “on-call-engineers” (the requester is on call on PagerDuty schedule “Sandbox on-call” (PSANDBX))',
    );
  });

  it('"Take me off call" ends it: the next request waits again', async () => {
    await post('on-call', { user: requester, on: false });
    expect((await state(requester)).onCall.onCall).toEqual([secondApprover]);
    const message = await ritaAsks('INC-3: off call again, please approve');
    expect(JSON.stringify(message.blocks)).toContain('review.approve');
  });
});
