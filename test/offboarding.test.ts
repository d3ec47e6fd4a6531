import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { waitFor } from '../doubles/support/until.js';
import { createMemoryProvisioner } from '../src/provisioners/memory/memory-provisioner.js';
import { createTargetDatabase, type TestDatabase } from './support/database.js';
import { startHarness, type Harness } from './support/harness.js';
import {
  allText,
  approve,
  approverMessage,
  myMessage,
  replyTo,
  requestAccess,
  statusOf,
} from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/** When Slack says a person or a group is gone: journeys through the signed driver, checked in Slack and Postgres. */
const memory = createMemoryProvisioner();
let target: TestDatabase;
let h: Harness;
let targetDb: string;

const LEAVER = PEOPLE.requester;
const QUIET_LEAVER = 'U0BULK001';
const STRANDED = PEOPLE.supporter;
const SOLE_APPROVER = PEOPLE.other;
const GROUP_REQUESTER = 'U0BULK002';

const accessFile = `
resources:
  - name: prod-db
    type: database
    tags: [production]
    provisioner: { type: postgres, admin_url: "env:ACCESS_SECRET_TARGET_DB_ADMIN_URL", host: 127.0.0.1 }
  - name: app-one
    type: generic
    tags: [production]
    provisioner: { type: memory }
  - name: staging-db
    type: database
  - name: grafana
    type: http
flows:
  - name: support-prod
    resources: { tags: [production] }
    requesters: { users: [${LEAVER}, ${QUIET_LEAVER}] }
    approvers: { users: [${PEOPLE.approver}], groups: [S0DBTEAM] }
    max_duration: 8h
  - name: solo
    resources: { names: [staging-db] }
    requesters: { users: [${STRANDED}] }
    approvers: { users: [${SOLE_APPROVER}] }
    max_duration: 1h
  - name: dba-only
    resources: { names: [grafana] }
    requesters: { users: [${GROUP_REQUESTER}], groups: [S0DBTEAM] }
    approvers: { groups: [S0DBTEAM] }
    max_duration: 1h
`;

beforeAll(async () => {
  target = await createTargetDatabase([[1, 100]]);
  targetDb = target.name;
  h = await startHarness({
    accessFile,
    app: { secretEnv: { ACCESS_SECRET_TARGET_DB_ADMIN_URL: target.url }, extraProvisioners: [memory.provisioner] },
  });
});
afterAll(async () => {
  await h?.stop();
  await target?.drop();
});

const roleExists = async (role: string) => {
  const sql = postgres(target.url, { onnotice: () => {}, max: 1 });
  try {
    return (await sql`select 1 from pg_roles where rolname = ${role}`).length > 0;
  } finally {
    await sql.end();
  }
};
const roleOf = async (id: string) =>
  (
    (
      await h.sql`select t.state from grant_targets t join grants g on g.id = t.grant_id where g.request_id = ${id} and t.resource_name = 'prod-db'`
    )[0]!.state as { role: string }
  ).role;
const trail = async (id: string) =>
  (await h.sql`select actor, action, details from audit_events where request_id = ${id} order by id`).map((r) => ({
    actor: r.actor as string,
    action: r.action as string,
    details: r.details as Record<string, unknown>,
  }));
const counts = async () =>
  (
    await h.sql`select (select count(*)::int from audit_events) as audit, (select count(*)::int from outbox) as outbox`
  )[0]!;

/** An active grant of prod-db for `user`, approved by the approver: its request id and role. */
async function activeGrant(user: string, justification: string): Promise<{ id: string; role: string }> {
  const [id] = (await requestAccess(h, user, { resources: ['prod-db'], duration: '60', justification })) as [string];
  await approve(h, PEOPLE.approver, id, { 'tune.databases.prod-db': targetDb });
  await h.settle();
  const role = await roleOf(id);
  expect(await roleExists(role)).toBe(true);
  return { id, role };
}

describe('a deactivated member (user_change with deleted: true)', () => {
  let granted: { id: string; role: string };
  let pending: string;

  it('ends their active grant now: the role is gone from the target database, approvers see why', async () => {
    granted = await activeGrant(LEAVER, 'OFF-1 active');
    [pending] = (await requestAccess(h, LEAVER, {
      resources: ['app-one'],
      duration: '60',
      justification: 'OFF-1 pending',
    })) as [string];
    expect(await statusOf(h, pending)).toBe('pending');

    h.slack.deactivateUser(LEAVER);
    const res = await h.driver.userChange(LEAVER);
    expect(res.status).toBe(200);
    // Bolt acks the event first and runs the listener after: wait for what it writes.
    await waitFor(
      async () => (await statusOf(h, granted.id)) === 'revoked' && (await statusOf(h, pending)) === 'cancelled',
      'the grant ended and the request cancelled',
    );
    await h.settle();

    expect(await roleExists(granted.role)).toBe(false);
    const [row] =
      await h.sql`select r.ended_by, g.status as grant_status, t.status as target_status from access_requests r join grants g on g.request_id = r.id join grant_targets t on t.grant_id = g.id where r.id = ${granted.id}`;
    expect(row).toMatchObject({
      ended_by: 'slack:user_deactivated',
      grant_status: 'revoked',
      target_status: 'removed',
    });
    expect(await trail(granted.id)).toEqual(
      expect.arrayContaining([{ actor: 'system', action: 'grant.ended', details: { reason: 'user_deactivated' } }]),
    );
    const message = approverMessage(h, PEOPLE.approver, granted.id).message;
    const text = allText(h.slack.message(message.channel, message.ts)!.blocks);
    expect(text).toContain("the requester's Slack account was deactivated");
    expect(text).not.toContain('review.revoke');
  });

  it('cancels their pending request, and the approvers’ message loses its buttons', async () => {
    expect(await statusOf(h, pending)).toBe('cancelled');
    expect(await trail(pending)).toEqual(
      expect.arrayContaining([
        { actor: 'system', action: 'request.cancelled', details: { reason: 'user_deactivated' } },
      ]),
    );
    const message = approverMessage(h, PEOPLE.approver, pending).message;
    const text = allText(h.slack.message(message.channel, message.ts)!.blocks);
    expect(text).toContain('Cancelled');
    expect(text).toContain("the requester's Slack account was deactivated");
    expect(text).not.toContain('review.approve');
  });

  it('tells nobody in a DM the deactivated person cannot read', async () => {
    const notices = h.slack
      .dmsTo(LEAVER)
      .filter((m) => allText(m.blocks).includes('was revoked') || allText(m.blocks).includes('You released'));
    expect(notices).toEqual([]);
  });

  it('a redelivered event (Slack retries) changes nothing: no audit row, no outbox row, no message', async () => {
    await h.settle();
    const before = await counts();
    const posts = h.slack.calls('chat.postMessage').length;
    const res = await h.driver.redeliverLastEvent(1);
    expect(res.status).toBe(200);
    await h.settle();
    expect(await counts()).toEqual(before);
    expect(h.slack.calls('chat.postMessage').length).toBe(posts);
  });

  it('a deactivated person’s `/access request` gets a clear sentence and opens no form', async () => {
    h.slack.clearViews(LEAVER);
    const reply = await replyTo(h, () => h.driver.command(LEAVER, '/access', 'request'));
    expect(reply.text).toBe(
      'Your Slack account is deactivated, so you cannot request, approve or hold access. Ask a workspace admin if this is a mistake.',
    );
    expect(h.slack.topView(LEAVER)).toBeUndefined();
  });

  it('an event for an account Slack still says is active changes nothing (the event is a hint, not authority)', async () => {
    const { id } = await activeGrant(QUIET_LEAVER, 'OFF-2 forged');
    const before = await counts();
    await h.driver.event({ type: 'user_change', user: { ...h.slack.renderedUser(QUIET_LEAVER), deleted: true } });
    await h.settle();
    expect(await statusOf(h, id)).toBe('active');
    expect(await counts()).toEqual(before);
  });

  it('the periodic check catches a holder deactivated while no event arrived', async () => {
    const [row] =
      await h.sql`select id from access_requests where requester_id = ${QUIET_LEAVER} and status = 'active'`;
    const id = row!.id as string;
    const role = await roleOf(id);
    h.slack.deactivateUser(QUIET_LEAVER); // no user_change: the bot was down, the event was lost
    await h.app.jobs.offboardNow();
    await h.settle();
    expect(await statusOf(h, id)).toBe('revoked');
    expect(await roleExists(role)).toBe(false);
    expect((await trail(id)).filter((e) => e.action === 'grant.ended')).toHaveLength(1);
    await h.app.jobs.offboardNow();
    expect((await trail(id)).filter((e) => e.action === 'grant.ended')).toHaveLength(1);
  });
});

describe('a deactivated approver', () => {
  it('leaves pending requests pending, and a requester whose only approver they were is told once', async () => {
    const [id] = (await requestAccess(h, STRANDED, {
      resources: ['staging-db'],
      duration: '60',
      justification: 'OFF-3 stranded',
    })) as [string];
    h.slack.deactivateUser(SOLE_APPROVER);
    await h.driver.userChange(SOLE_APPROVER);
    await waitFor(
      async () => (await trail(id)).some((e) => e.action === 'request.no_approver'),
      'the no-approver notice queued',
    );
    await h.settle();
    await h.driver.redeliverLastEvent(1);
    await h.settle();
    expect(await statusOf(h, id)).toBe('pending');
    const told = h.slack.dmsTo(STRANDED).filter((m) => allText(m.blocks).includes('Nobody can approve your request'));
    expect(told).toHaveLength(1);
    expect(allText(told[0]!.blocks)).toContain(id);
    expect((await trail(id)).filter((e) => e.action === 'request.no_approver')).toEqual([
      {
        actor: 'system',
        action: 'request.no_approver',
        details: { approver: SOLE_APPROVER, reason: 'user_deactivated' },
      },
    ]);
    // The departed approver's own message, should anyone click it, is refused with the sentence.
    const theirs = approverMessage(h, SOLE_APPROVER, id);
    const refused = await replyTo(h, () => h.driver.clickButton(SOLE_APPROVER, theirs, 'review.approve'));
    expect(refused.text).toContain('Your Slack account is deactivated');
    expect(await statusOf(h, id)).toBe('pending');
    // Their own message keeps its Cancel button: they can still withdraw it.
    expect(allText(myMessage(h, STRANDED, id).message.blocks)).toContain('mine.');
  });
});

describe('a user group disabled in Slack', () => {
  let id: string;

  it('its members cannot approve any more, nor request through it', async () => {
    h.slack.clearViews(PEOPLE.dba);
    await h.driver.command(PEOPLE.dba, '/access', 'request');
    expect(allText(await until(() => h.slack.topView(PEOPLE.dba), 'the request modal'))).toContain('grafana');
    h.slack.clearViews(PEOPLE.dba);
    [id] = (await requestAccess(h, GROUP_REQUESTER, {
      resources: ['grafana'],
      duration: '60',
      justification: 'OFF-4 group',
    })) as [string];
    const where = approverMessage(h, PEOPLE.dba, id);
    h.slack.disableUsergroup('S0DBTEAM');
    await h.driver.subteamUpdated('S0DBTEAM');
    const reply = await replyTo(h, () => h.driver.clickButton(PEOPLE.dba, where, 'review.approve'));
    expect(reply.text).toBe('Only an approver of this request can do that.');
    expect(h.slack.topView(PEOPLE.dba)).toBeUndefined();
    expect(await statusOf(h, id)).toBe('pending');
    const asked = await replyTo(h, () => h.driver.command(PEOPLE.dba, '/access', 'request'));
    expect(asked.text).toBe(
      "There's nothing you can request yet: no approval flow lists you as a requester. Ask an admin to add you to one.",
    );
  });

  it('App Home’s flow list says so next to each flow, and who can fix a flow left without approvers', async () => {
    await h.driver.appHomeOpened(PEOPLE.admin);
    await until(() => h.slack.home(PEOPLE.admin), 'the admin home');
    const before = h.slack.home(PEOPLE.admin)!.hash;
    await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'home.tab.flows');
    const home = await until(
      () => h.slack.home(PEOPLE.admin)?.hash !== before && h.slack.home(PEOPLE.admin),
      'the flows tab',
    );
    const blocks = home.view.blocks as Array<{ text?: { text: string } }>;
    const flow = (name: string) => blocks.map((b) => b.text?.text ?? '').find((t) => t.startsWith(`*${name}*`)) ?? '';
    expect(flow('support-prod')).toContain('Approver group @dba is disabled in Slack');
    expect(flow('dba-only')).toContain('Requester group @dba is disabled in Slack');
    expect(flow('support-prod')).not.toContain('Nobody can approve');
    expect(flow('dba-only')).toContain('Approver group @dba is disabled in Slack');
    expect(flow('dba-only')).toContain(
      '*Nobody can approve this flow.* A Slack admin can enable @dba again, or an admin of this bot can change its approvers in ACCESS_CONFIG.',
    );
    expect(flow('solo')).not.toContain('disabled in Slack');
  });
});
