import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessRequests } from '../src/db/schema/index.js';
import { signWebhookEvent } from '../src/provisioners/webhook/webhook-provisioner.js';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.js';
import { until } from '../doubles/slack/driver.js';
import { SANDBOX_PEOPLE } from '../sandbox/workspace.js';
import { startSandboxMysql } from '../sandbox/mysql-target.js';
import { SLACK_DEADLINES_AS_HANG_GUARDS, waitFor } from '../doubles/support/until.js';

/** The sandbox's JSON API and receiver without a browser: what the page relies on, and what it refuses. */
let sandbox: Sandbox;
let base: string;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sandbox-api-'));
  sandbox = await startSandbox({
    slackDeadlines: SLACK_DEADLINES_AS_HANG_GUARDS,
    env: { PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', SLACK_BOT_TOKEN: 'xoxb-real-one-ignored' },
  });
  base = `http://127.0.0.1:${sandbox.port}`;
});

afterAll(async () => {
  await sandbox?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const post = async (path: string, body: unknown, contentType = 'application/json') => {
  const res = await fetch(`${base}/sandbox/api/${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};
const state = async (user: string) =>
  (await (await fetch(`${base}/sandbox/api/state?user=${user}`)).json()) as Record<string, any>;
/** The requester asks for these resources through Slack; the approver approves them as the tuning modal offers. */
async function requestAndApprove(resources: string[], justification: string, mark: string) {
  const { requester, approver } = SANDBOX_PEOPLE;
  const { slack, driver } = sandbox;
  slack.clearViews(requester);
  await driver.command(requester, '/access', 'request');
  const form = await until(() => slack.topView(requester), 'the request form');
  await driver.submitView(requester, form.id, {
    'request.resources': resources,
    'request.duration': '60',
    'request.justification': justification,
  });
  slack.clearViews(requester);
  await sandbox.app.jobs.drainOutbox();
  const message = await until(
    () => slack.dmsTo(approver).find((m) => JSON.stringify(m.blocks).includes(mark)),
    'the approver message',
  );
  await driver.clickButton(approver, { channel: message.channel, ts: message.ts }, 'review.approve');
  const tuning = await until(() => slack.topView(approver), 'the tuning modal');
  await driver.submitView(approver, tuning.id, {});
  slack.clearViews(approver);
  return { requester, approver, slack, message };
}
const dm = (s: Record<string, any>) => s.conversations.find((c: any) => c.kind === 'dm');

describe('the sandbox', () => {
  it('runs the bot against its own double with generated credentials, never the ones in the environment', () => {
    expect(sandbox.config.SLACK_BOT_TOKEN).toMatch(/^xoxb-sandbox-[0-9a-f]{24}$/);
    expect(sandbox.config.SLACK_API_URL).toBe(sandbox.slack.apiUrl);
    expect(sandbox.config.HOST).toBe('127.0.0.1');
    expect(sandbox.config.EXPIRY_INTERVAL_SECONDS).toBe(5);
    expect(sandbox.config.DATA_DIR).toBe(join(dataDir, 'sandbox'));
    expect(sandbox.app.database.kind).toBe('embedded');
  });

  it('shows an ephemeral reply to the person who typed the command, and to nobody else', async () => {
    const res = await post('command', { user: SANDBOX_PEOPLE.requester, text: '/access help' });
    expect(res.status).toBe(200);
    const mine = dm(await state(SANDBOX_PEOPLE.requester)).messages;
    expect(mine.some((m: any) => m.ephemeral && JSON.stringify(m).includes('/access request'))).toBe(true);
    expect(dm(await state(SANDBOX_PEOPLE.approver)).messages).toEqual([]);
  });

  it('lets the guest try, and shows the bot refusing them', async () => {
    await post('command', { user: SANDBOX_PEOPLE.guest, text: '/access request' });
    // The bot acks first and answers through the response_url, as Slack lets it.
    const reply = await until(() => sandbox.slack.ephemeralsTo(SANDBOX_PEOPLE.guest)[0], 'the reply to the guest');
    const s = await state(SANDBOX_PEOPLE.guest);
    expect(s.modals).toEqual([]);
    expect(dm(s).messages).toEqual([expect.objectContaining({ ephemeral: true, ts: reply.ts })]);
    expect(JSON.stringify(dm(s).messages)).toMatch(/guest/i);
  });

  it('answers other commands the way Slack does', async () => {
    expect((await post('command', { user: SANDBOX_PEOPLE.requester, text: '/deploy now' })).body.notice).toBe(
      '/deploy is not a valid command. Try /access help.',
    );
  });

  it('refuses what a person could not do in Slack, with the reason', async () => {
    const res = await post('action', {
      user: SANDBOX_PEOPLE.requester,
      surface: { channel: 'D0RITA', ts: '1.000001' },
      blockId: 'x',
      actionId: 'review.approve',
      kind: 'button',
    });
    expect(res.status).toBe(409);
    expect(res.body.error).toContain('does not exist');
    expect((await post('command', { user: 'U0NOBODY', text: '/access help' })).status).toBe(400);
    expect((await post('clock', { minutes: 0 })).status).toBe(400);
  });

  it('takes JSON only, so another web page cannot post to it', async () => {
    const res = await post('command', { user: SANDBOX_PEOPLE.requester, text: '/access help' }, 'text/plain');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('send application/json');
  });

  it('the webhook receiver refuses an event signed with another secret and lists it as refused', async () => {
    const payload = JSON.stringify({ type: 'grant.activated', data: {} });
    const headers = signWebhookEvent(
      `whsec_${Buffer.from('not-the-sandbox-secret-000').toString('base64')}`,
      'msg_forged',
      payload,
      new Date(),
    );
    const res = await fetch(`${base}/sandbox/webhooks`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: payload,
    });
    expect(res.status).toBe(401);
    const [latest] = (await state(SANDBOX_PEOPLE.requester)).webhooks;
    expect(latest).toMatchObject({ verified: false, id: 'msg_forged', type: 'unverified' });
  });

  // Before the clock moves: no source is due, so only Sync now syncs (the bot's own pass would race it).
  it('group sources: the jit-* groups of the Okta and Entra doubles are resources at start; a group added in Okta becomes requestable after Sync now, and deleted, its grant ends and Rita is told', async () => {
    type Row = { group: string; groupId: string; resource: string | null; state: string; members: string[] };
    type Source = { name: string; rows: Row[]; outside: string[]; lastSync: { ok: boolean; text: string } | null };
    const sources = async () => (await state(SANDBOX_PEOPLE.requester)).groupSources as Source[];
    const okta = async () => (await sources()).find((s) => s.name === 'okta-jit')!;
    const row = async (group: string) => (await okta()).rows.find((r) => r.group === group);
    // The bot syncs every source at start, in the background.
    await waitFor(async () => (await sources()).every((s) => s.lastSync !== null), 'the start-up sync');
    const [oktaAtStart, entraAtStart] = await sources();
    expect(oktaAtStart!.lastSync).toMatchObject({ ok: true });
    expect(oktaAtStart!.rows.map((r) => [r.resource, r.state])).toEqual([
      ['okta-jit-billing-admins', 'requestable'],
      ['okta-jit-db-readers', 'requestable'],
      ['okta-jit-deploys', 'requestable'],
    ]);
    expect(oktaAtStart!.outside).toEqual(['Support Admins']);
    expect(entraAtStart!.rows.map((r) => r.resource)).toEqual(['entra-jit-finance-reports', 'entra-jit-hr-records']);
    expect(entraAtStart!.outside).toEqual(['Finance Analysts']);

    // An Okta admin adds a group: listed at once, a resource only after the sync.
    const added = await post('group-sources/add', { source: 'okta-jit' });
    expect(added.body).toEqual({ ok: true, group: 'jit-analytics' });
    expect(await row('jit-analytics')).toMatchObject({ resource: null, state: 'not synced yet' });
    const synced = await post('group-sources/sync', {});
    expect(synced.status).toBe(200);
    expect(synced.body.results.find((r: { source: string }) => r.source === 'okta-jit')).toMatchObject({
      status: 'synced',
      created: ['okta-jit-analytics'],
    });
    expect(await row('jit-analytics')).toMatchObject({ resource: 'okta-jit-analytics', state: 'requestable' });

    // Rita asks for it in the request form (the idp-groups flow picks it by tag); Alex approves.
    const { requester, slack, message } = await requestAndApprove(
      ['okta-jit-analytics'],
      'INC-45: read the analytics dashboards',
      'INC-45',
    );
    await waitFor(
      async () => (await row('jit-analytics'))?.members.join() === 'Rita Requester',
      'Rita a member of jit-analytics in the Okta double',
    );

    // The group is deleted in Okta: the next sync retires its resource, ends the grant, and tells Rita why.
    const { groupId } = (await row('jit-analytics'))!;
    expect((await post('group-sources/delete', { source: 'okta-jit', groupId })).status).toBe(200);
    expect(await row('jit-analytics')).toMatchObject({ state: 'group deleted: the next sync retires it' });
    const retired = await post('group-sources/sync', {});
    expect(retired.body.results.find((r: { source: string }) => r.source === 'okta-jit')).toMatchObject({
      retired: [{ name: 'okta-jit-analytics', reason: 'gone' }],
      grantsEnded: 1,
    });
    // Her own DM notice, and every message about the request (hers and Alex's) says the same.
    const notice = await until(
      () =>
        slack
          .dmsTo(requester)
          .find((m) => JSON.stringify(m.blocks).includes('has ended: the Okta group behind `okta-jit-analytics`')),
      'the notice in Rita’s DM',
    );
    expect(JSON.stringify(notice.blocks)).toContain('no longer exists. The bot removed what it had granted.');
    expect(JSON.stringify(slack.message(message.channel, message.ts)!.blocks)).toContain('no longer exists');
    const rows = await sandbox.app.database.db
      .select({ status: accessRequests.status, endedBy: accessRequests.endedBy })
      .from(accessRequests)
      .where(like(accessRequests.justification, 'INC-45%'));
    expect(rows).toEqual([{ status: 'revoked', endedBy: 'sync:gone:okta:okta-jit-analytics' }]);
    expect(await row('jit-analytics')).toMatchObject({
      resource: 'okta-jit-analytics',
      state: 'retired: its grants ended',
    });
    expect((await okta()).lastSync!.text).toContain('retired okta-jit-analytics (group deleted); 1 grant ended');
    // Its removal done, the next sync forgets the row; the other groups stay.
    await post('group-sources/sync', {});
    expect((await okta()).rows.map((r) => r.resource)).toEqual([
      'okta-jit-billing-admins',
      'okta-jit-db-readers',
      'okta-jit-deploys',
    ]);
  });

  it('moves the bot clock forward', async () => {
    const before = new Date((await state(SANDBOX_PEOPLE.requester)).clock.now).getTime();
    expect((await post('clock', { minutes: 30 })).body.offsetMinutes).toBe(30);
    const after = new Date((await state(SANDBOX_PEOPLE.requester)).clock.now).getTime();
    expect(after - before).toBeGreaterThanOrEqual(30 * 60_000);
  });

  it('serves the page and its scripts, and sends / to it', async () => {
    const page = await fetch(`${base}/sandbox`);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    for (const asset of ['page.js', 'blocks.js', 'inputs.js', 'modal.js', 'mrkdwn.js', 'style.css']) {
      expect((await fetch(`${base}/sandbox/assets/${asset}`)).status, asset).toBe(200);
    }
    const root = await fetch(`${base}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/sandbox');
  });

  it('grants a cloud account, a Google project role, an Okta and an Entra ID group and a GitHub repository permission in their doubles, shown on the page, and takes them away', async () => {
    // The five doubles (the local MariaDB has its own test below).
    const targets = async () =>
      ((await state(SANDBOX_PEOPLE.requester)).targets as { name: string; items: string[] }[]).filter(
        (t) => !t.name.startsWith('MySQL'),
      );
    expect((await targets()).map((t) => t.items)).toEqual([[], [], [], [], []]);
    const { requester, approver } = SANDBOX_PEOPLE;
    const { slack, driver } = sandbox;
    slack.clearViews(requester);
    await driver.command(requester, '/access', 'request');
    const form = await until(() => slack.topView(requester), 'the request form');
    await driver.submitView(requester, form.id, {
      'request.resources': [
        'aws-prod',
        'gcp-sandbox',
        'okta-support-admins',
        'entra-finance-analysts',
        'github-payments',
      ],
      'request.duration': '60',
      'request.justification': 'INC-42: check the billing alarms',
    });
    slack.clearViews(requester);
    await sandbox.app.jobs.drainOutbox();
    const message = await until(
      () => slack.dmsTo(approver).find((m) => JSON.stringify(m.blocks).includes('okta-support-admins')),
      'the approver message',
    );
    await driver.clickButton(approver, { channel: message.channel, ts: message.ts }, 'review.approve');
    const tuning = await until(() => slack.topView(approver), 'the tuning modal');
    await driver.submitView(approver, tuning.id, {
      'tune.roles.aws-prod': ['Admin'],
      'tune.roles.gcp-sandbox': ['roles/compute.viewer'],
      'tune.permission.github-payments': 'triage',
    });
    slack.clearViews(approver);
    await waitFor(async () => (await targets()).every((t) => t.items.length === 1), 'the five grants in their targets');
    const [aws, gcp, okta, entra, github] = await targets();
    expect(aws!.items).toEqual(['Rita Requester: Admin']);
    expect(gcp!.items[0]).toMatch(/^user:rita@example\.com: roles\/compute\.viewer while request\.time < timestamp\("/);
    expect(okta!.items).toEqual(['Rita Requester']);
    expect(entra!.items).toEqual(['Rita Requester']);
    expect(github!.items).toEqual(['Rita Requester (rita-dev): triage']);

    await post('clock', { minutes: 61 });
    await sandbox.app.jobs.expireNow();
    await waitFor(
      async () => (await targets()).every((t) => t.items.length === 0),
      'the grants gone from their targets',
    );
  });

  it('grants a temporary account in the local MariaDB, listed on the page, and drops it at expiry', async () => {
    const mysql = async () =>
      ((await state(SANDBOX_PEOPLE.requester)).targets as { name: string; items: string[]; note?: string }[]).find(
        (t) => t.name.startsWith('MySQL'),
      )!;
    // The suite's global setup started MariaDB, so the page shows the target, not the note.
    expect(await mysql()).toMatchObject({ items: [] });
    expect((await mysql()).note).toBeUndefined();
    const { requester, slack } = await requestAndApprove(['shop-mysql'], 'INC-44: look at an order', 'INC-44');
    await waitFor(async () => (await mysql()).items.length === 1, 'the account on the page');
    expect((await mysql()).items[0]).toMatch(/^'sb[0-9a-f]{6}_[0-9a-z]{10}'@'%'$/);
    const ready = await until(
      () => slack.dmsTo(requester).find((m) => JSON.stringify(m.blocks).includes('Password for sb')),
      'the password in the requester’s DM',
    );
    expect(JSON.stringify(ready.blocks)).toContain('access_sandbox_shop');

    await post('clock', { minutes: 61 });
    await sandbox.app.jobs.expireNow();
    await waitFor(async () => (await mysql()).items.length === 0, 'the account gone from the page');
  });

  it('billing has two approval stages: Dana is asked only once Alex passed the peer review, then the grant comes', async () => {
    const { slack, driver } = sandbox;
    const { secondApprover: dana } = SANDBOX_PEOPLE;
    const { requester, approver } = await requestAndApprove(['billing-db'], 'INC-42: check the invoices', 'billing-db');
    await sandbox.app.jobs.drainOutbox();
    const [row] = await sandbox.app.database.db
      .select({ id: accessRequests.id, status: accessRequests.status, stageIndex: accessRequests.stageIndex })
      .from(accessRequests)
      .where(eq(accessRequests.flowName, 'billing'));
    expect(row).toMatchObject({ status: 'pending', stageIndex: 1 });
    const owner = await until(
      () => slack.dmsTo(dana).find((m) => JSON.stringify(m.blocks).includes(row!.id)),
      'Dana’s message',
    );
    expect(JSON.stringify(owner.blocks)).toContain(
      `Stage 2 of 2: owner approval · peer review passed by <@${approver}>`,
    );
    await driver.clickButton(dana, { channel: owner.channel, ts: owner.ts }, 'review.approve');
    const tuning = await until(() => slack.topView(dana), 'the tuning modal');
    await driver.submitView(dana, tuning.id, {});
    slack.clearViews(dana);
    await sandbox.app.jobs.drainOutbox();
    await waitFor(
      async () =>
        (
          await sandbox.app.database.db
            .select({ status: accessRequests.status })
            .from(accessRequests)
            .where(eq(accessRequests.id, row!.id))
        )[0]?.status === 'active',
      'the billing grant',
    );
    expect(slack.dmsTo(requester).some((m) => JSON.stringify(m.blocks).includes(row!.id))).toBe(true);
  });

  it('on behalf: Alex requests prod-db for Rita through the production flow; Rita is the requester, Alex asked', async () => {
    const { slack, driver } = sandbox;
    const { requester: rita, approver: alex } = SANDBOX_PEOPLE;
    slack.clearViews(alex);
    await driver.command(alex, '/access', 'request');
    const form = await until(() => slack.topView(alex), 'the request form');
    await driver.selectAction(alex, { viewId: form.id }, 'request.for.pick', rita);
    const redrawn = await until(() => {
      const v = slack.topView(alex);
      return v && JSON.stringify(v.view.blocks).includes(`"initial_user":"${rita}"`) ? v : undefined;
    }, 'the form for Rita');
    await driver.submitView(alex, redrawn.id, {
      'request.for': rita,
      'request.resources': ['prod-db'],
      'request.duration': '60',
      'request.justification': 'INC-42: restore the orders table for Rita',
    });
    slack.clearViews(alex);
    await sandbox.app.jobs.drainOutbox();
    const [row] = await sandbox.app.database.db
      .select({
        id: accessRequests.id,
        requesterId: accessRequests.requesterId,
        requestedBy: accessRequests.requestedBy,
      })
      .from(accessRequests)
      .where(eq(accessRequests.requestedBy, alex));
    expect(row).toMatchObject({ requesterId: rita, requestedBy: alex });
    await until(
      () => slack.dmsTo(alex).find((m) => JSON.stringify(m.blocks).includes(`You asked for <@${rita}>`)),
      'Alex’s copy',
    );
  });

  it('deactivating a person in Slack ends their grant in its target and takes them off the people list', async () => {
    const targets = async () => (await state(SANDBOX_PEOPLE.approver)).targets as { name: string; items: string[] }[];
    const { requester, approver, slack, message } = await requestAndApprove(
      ['okta-support-admins'],
      'INC-43: before leaving',
      'INC-43',
    );
    await waitFor(async () => (await targets())[2]!.items.length === 1, 'the Okta membership');

    const res = await post('deactivate', { user: requester });
    expect(res.status).toBe(200);
    await waitFor(async () => (await targets())[2]!.items.length === 0, 'the Okta membership gone');
    const s = await state(approver);
    expect(s.people.map((p: { id: string }) => p.id)).not.toContain(requester);
    const updated = slack.message(message.channel, message.ts)!;
    expect(JSON.stringify(updated.blocks)).toContain("the requester's Slack account was deactivated");
  });

  it('a newcomer finds an access review due: the reviewers have a DM listing who may request production access, and a reminder a day later', async () => {
    const { admin, secondApprover, requester } = SANDBOX_PEOPLE;
    const reviewDm = () =>
      sandbox.slack
        .dmsTo(admin)
        .find((m) => !m.threadTs && JSON.stringify(m.blocks).includes('Access review: production'));
    await waitFor(async () => {
      await sandbox.app.jobs.drainOutbox();
      return reviewDm();
    }, "Ada's access review DM");
    const message = reviewDm()!;
    const text = JSON.stringify(message.blocks);
    expect(text).toContain(`<@${requester}>`);
    expect(text).toContain('accessreview.keep');
    expect(
      sandbox.slack.dmsTo(secondApprover).some((m) => JSON.stringify(m.blocks).includes('Access review: production')),
    ).toBe(true);
    expect((await post('clock', { minutes: 1440 })).status).toBe(200);
    const replies = sandbox.slack.messagesIn(message.channel).filter((m) => m.threadTs === message.ts);
    expect(JSON.stringify(replies)).toContain('Reminder');
  });
});

describe('the sandbox without MariaDB', () => {
  it('says on the page that MariaDB does not answer and how to start it, instead of listing accounts', async () => {
    // A port with nothing behind it: what a machine without MariaDB looks like.
    const probe = await import('node:net').then(
      ({ createServer }) =>
        new Promise<number>((resolve) => {
          const server = createServer().listen(0, '127.0.0.1', () => {
            const { port } = server.address() as { port: number };
            server.close(() => resolve(port));
          });
        }),
    );
    const mysql = await startSandboxMysql({ port: probe });
    try {
      const view = mysql.view();
      expect(view.items).toEqual([]);
      expect(view.note).toMatch(
        /^MariaDB does not answer on 127\.0\.0\.1:3306 .* so grants of shop-mysql fail\. Start it/,
      );
      expect(mysql.secretEnv.ACCESS_SECRET_SANDBOX_MYSQL_ADMIN_URL).toMatch(/^mysql:\/\/access_sandbox_/);
    } finally {
      await mysql.stop();
    }
  });
});
