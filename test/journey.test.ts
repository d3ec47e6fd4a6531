import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { mentionsBroadcast } from '../doubles/slack/block-kit.js';
import { startHarness, BOT_TOKEN, type Harness } from './support/harness.js';
import { PEOPLE } from './support/workspace.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

const allText = (blocks: unknown[]) => JSON.stringify(blocks);
const requestRows = () =>
  h.sql`select id, status, requester_id, justification, duration_minutes, decided_by, flow_name from access_requests order by created_at, id`;
const auditOf = (id: string) =>
  h.sql`select actor, action, details from audit_events where request_id = ${id} order by id`;

describe('the whole loop: request -> approve with tuning -> grant -> expiry -> audit', () => {
  let requestId: string;

  it('`/access request prod-db` opens a modal listing only what the person may request, prod-db preselected', async () => {
    await h.driver.command(PEOPLE.requester, '/access', 'request prod-db');
    const modal = await until(() => h.slack.topView(PEOPLE.requester), 'modal');
    const resources = modal.view.blocks.find((b: any) => b.block_id === 'request.resources');
    expect(resources.element.type).toBe('multi_static_select');
    expect(resources.element.options.map((o: any) => o.value)).toEqual(['k8s-prod', 'prod-db', 'staging-db', 'web-1']);
    expect(resources.element.initial_options.map((o: any) => o.value)).toEqual(['prod-db']);
    const durations = modal.view.blocks
      .find((b: any) => b.block_id === 'request.duration')
      .element.options.map((o: any) => o.value);
    expect(durations).toEqual(['15', '30', '60', '120', '240', '480']);
    h.slack.clearViews(PEOPLE.requester);
  });

  it('submitting stores a pending request, audits it, and shows who approves', async () => {
    await h.driver.command(PEOPLE.requester, '/access', 'request prod-db');
    const modal = await until(() => h.slack.topView(PEOPLE.requester), 'the request modal');
    const res = await h.driver.submitView(PEOPLE.requester, modal.id, {
      'request.duration': '240',
      'request.justification': 'INC-42: investigate failed payments <!channel>',
    });
    expect(res.status).toBe(200);
    expect(res.json?.response_action).toBe('update');
    const sent = h.slack.view(modal.id)!.view;
    expect(sent.title.text).toBe('Request sent');
    expect(allText(sent.blocks)).toContain(`Waiting for: <@${PEOPLE.approver}>, <@${PEOPLE.dba}>`);
    const rows = await requestRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      status: 'pending',
      requester_id: PEOPLE.requester,
      duration_minutes: 240,
      flow_name: 'support-prod',
    });
    requestId = rows[0]!.id;
    expect(requestId).toMatch(/^req_[0-9a-z]{10}$/);
    const audit = await auditOf(requestId);
    expect(audit.map((a) => a.action)).toEqual(['request.created']);
    expect(audit[0]!.details).toMatchObject({
      resources: ['prod-db'],
      durationMinutes: 240,
      approvers: [PEOPLE.approver, PEOPLE.dba],
    });
  });

  it('every approver (named and via group) gets a DM with Approve / Deny; the requester gets a confirmation', async () => {
    await h.settle();
    for (const approver of [PEOPLE.approver, PEOPLE.dba]) {
      const [dm] = h.slack.dmsTo(approver);
      expect(dm, `DM to ${approver}`).toBeDefined();
      const text = allText(dm!.blocks);
      expect(text).toContain(`<@${PEOPLE.requester}> requests access`);
      expect(text).toContain('prod-db');
      expect(text).toContain(requestId);
      expect(text).toMatch(/<!date\^\d+\^/);
      expect(text).toContain('INC-42');
      expect(text).toContain('&lt;!channel&gt;');
      expect(mentionsBroadcast(text)).toBe(false);
      const buttons = dm!.blocks.flatMap((b: any) =>
        b.type === 'actions' ? b.elements.map((e: any) => e.action_id) : [],
      );
      expect(buttons).toEqual(['review.approve', 'review.deny']);
    }
    const [confirmation] = h.slack.dmsTo(PEOPLE.requester);
    expect(allText(confirmation!.blocks)).toContain(
      `Waiting for approval from <@${PEOPLE.approver}>, <@${PEOPLE.dba}>`,
    );
    const refs =
      await h.sql`select role, user_id, channel, ts from slack_messages where request_id = ${requestId} order by id`;
    expect(refs.map((r) => [r.role, r.user_id])).toEqual([
      ['approver', PEOPLE.approver],
      ['approver', PEOPLE.dba],
      ['requester', PEOPLE.requester],
    ]);
    expect(refs[0]!.channel).toBe(h.slack.dmChannelOf(PEOPLE.approver));
  });

  it('Approve opens a tuning modal prefilled from the request', async () => {
    const [dm] = h.slack.dmsTo(PEOPLE.approver);
    await h.driver.clickButton(PEOPLE.approver, { channel: dm!.channel, ts: dm!.ts }, 'review.approve');
    const modal = await until(() => h.slack.topView(PEOPLE.approver), 'tuning modal');
    expect(modal.view.callback_id).toBe('review.tuning');
    expect(JSON.parse(modal.view.private_metadata)).toEqual({ requestId });
    const duration = modal.view.blocks.find((b: any) => b.block_id === 'tune.duration').element;
    expect(duration.initial_option.value).toBe('240');
    expect(duration.options.map((o: any) => o.value)).toEqual(['15', '30', '60', '120', '240']);
    const access = modal.view.blocks.find((b: any) => b.block_id === 'tune.access.prod-db').element;
    expect(access.initial_option.value).toBe('read-only');
  });

  it('submitting the tuning creates the grant and its policy, and audits it in the same transaction', async () => {
    const modal = h.slack.topView(PEOPLE.approver)!;
    const before = h.clock.now().getTime();
    const res = await h.driver.submitView(PEOPLE.approver, modal.id, {
      'tune.duration': '60',
      'tune.access.prod-db': 'read-write',
      'tune.databases.prod-db': 'app, reporting',
    });
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    expect(h.slack.topView(PEOPLE.approver)).toBeUndefined();
    const [grant] =
      await h.sql`select g.policy, g.status, g.expires_at, g.approved_by, r.status as request_status from grants g join access_requests r on r.id = g.request_id where g.request_id = ${requestId}`;
    expect(grant).toMatchObject({ status: 'active', approved_by: PEOPLE.approver, request_status: 'active' });
    expect(grant!.policy).toEqual({
      durationMinutes: 60,
      resources: [{ type: 'database', resource: 'prod-db', access: 'read-write', databases: ['app', 'reporting'] }],
    });
    const expiresIn = (grant!.expires_at as Date).getTime() - before;
    expect(expiresIn).toBeGreaterThan(59 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(61 * 60_000);
    const audit = await auditOf(requestId);
    expect(audit.map((a) => a.action)).toEqual(['request.created', 'request.approved']);
    expect(audit[1]).toMatchObject({ actor: PEOPLE.approver, details: { policy: grant!.policy } });
  });

  it('the requester is told what was granted, and every approver message loses its buttons and says who approved', async () => {
    await h.settle();
    for (const approver of [PEOPLE.approver, PEOPLE.dba]) {
      const [dm] = h.slack.dmsTo(approver);
      expect(dm!.updateCount).toBeGreaterThan(0);
      const text = allText(dm!.blocks);
      expect(text).toContain(`Approved by <@${PEOPLE.approver}>`);
      expect(text).not.toContain('review.approve');
      expect(text).toContain('prod-db: read-write (databases: app, reporting)');
    }
    const dms = h.slack.dmsTo(PEOPLE.requester);
    expect(dms).toHaveLength(2);
    expect(allText(dms[0]!.blocks)).toContain(`Approved by <@${PEOPLE.approver}>`);
    expect(allText(dms[1]!.blocks)).toContain(`<@${PEOPLE.approver}> approved your request \`${requestId}\``);
    expect(allText(dms[1]!.blocks)).toContain('You have access until <!date^');
  });

  it('`/access list` shows the request with its status and expiry', async () => {
    const res = await h.driver.command(PEOPLE.requester, '/access', 'list');
    expect(res.status).toBe(200);
    const reply = await until(() => h.slack.responses().at(-1), 'list reply');
    expect(reply.body.response_type).toBe('ephemeral');
    const text = allText(reply.body.blocks);
    expect(text).toContain(requestId);
    expect(text).toContain('*active*');
    expect(text).toContain('Access until');
    // The approver shortened 4h to 1h: the list shows what was granted, and what was asked.
    expect(text).toContain('· 1h (asked 4h) ·');
  });

  it('when expires_at passes the grant ends: status, audit, messages and a notice to the requester', async () => {
    h.clock.advance(61);
    await h.app.jobs.expireNow();
    const [row] =
      await h.sql`select r.status, g.status as grant_status, g.ended_at from access_requests r join grants g on g.request_id = r.id where r.id = ${requestId}`;
    expect(row).toMatchObject({ status: 'expired', grant_status: 'expired' });
    expect((await auditOf(requestId)).map((a) => [a.actor, a.action]).at(-1)).toEqual(['system', 'grant.expired']);
    await h.settle();
    const [dm] = h.slack.dmsTo(PEOPLE.dba);
    expect(allText(dm!.blocks)).toContain('the access expired');
    expect(allText(h.slack.dmsTo(PEOPLE.requester).at(-1)!.blocks)).toContain('has expired');
  });

  it('made no Web API call that Slack would have rejected', () => {
    expect(h.slack.calls('chat.postMessage').length).toBeGreaterThanOrEqual(5);
    expect(h.slack.failures()).toEqual([]);
  });

  it('never writes the bot token to the logs', () => {
    expect(h.logs.length).toBeGreaterThan(0);
    expect(h.logs.join('\n')).not.toContain(BOT_TOKEN);
  });
});
