import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackDriver, until } from '../doubles/slack/driver.js';
import { commandFields } from '../doubles/slack/payloads.js';
import { createMemoryProvisioner } from '../src/provisioners/memory/memory-provisioner.js';
import { SIGNING_SECRET, startHarness, type Harness } from './support/harness.js';
import { allText, approverMessage, countRows, forgeClick, replyTo } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

const memory = createMemoryProvisioner();

/** Oscar is designated by name, Sam through the support group (which also holds Gus, a guest). */
const accessFile = `
resources:
  - { name: prod-db, type: database, tags: [production], provisioner: { type: memory } }
  - { name: web-1, type: ssh, tags: [production] }
  - { name: staging-db, type: database, tags: [staging] }
flows:
  - name: prod
    resources: { tags: [production] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR], groups: [S0DBTEAM] }
    max_duration: 8h
    break_glass: { users: [U0OTHER], groups: [S0SUPPORT], max_duration: 1h, channel: C0INCIDENT }
  - name: staging
    resources: { tags: [staging] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ accessFile, app: { extraProvisioners: [memory.provisioner] } });
  h.slack.addChannel({ id: 'C0INCIDENT', name: 'incidents' });
});
afterAll(async () => {
  await h?.stop();
});

const command = async (user: string, text: string) => {
  const reply = await replyTo(h, () => h.driver.command(user, '/access', text));
  await h.settle();
  return reply.text;
};
const stored = async () => ({
  requests: await countRows(h, 'access_requests'),
  grants: await countRows(h, 'grants'),
  audit: await countRows(h, 'audit_events'),
});
const breakGlassIds = async () =>
  (await h.sql`select id from access_requests where kind = 'break_glass' order by created_at, id`).map(
    (r) => r.id as string,
  );

async function openHome(user: string) {
  const before = h.slack.calls('views.publish').length;
  await h.driver.appHomeOpened(user);
  await until(
    () =>
      h.slack.calls('views.publish').filter((c) => c.args.user_id === user).length > 0 &&
      h.slack.calls('views.publish').length > before,
    'home published',
  );
  return h.slack.home(user)!;
}

describe('a designated person breaks the glass', () => {
  let id: string;

  it('gets access at once with a reason, read-write, audited as break-glass', async () => {
    const text = await command(PEOPLE.other, 'break-glass prod-db 30m INC-9 checkout is down, on-call DBA unreachable');
    expect(text).toContain('Break-glass access granted: prod-db: read-write (all databases)');
    [id] = (await breakGlassIds()) as [string];
    const [row] =
      await h.sql`select status, kind, requester_id, justification, reviewed_by from access_requests where id = ${id}`;
    expect(row).toEqual({
      status: 'active',
      kind: 'break_glass',
      requester_id: PEOPLE.other,
      justification: 'INC-9 checkout is down, on-call DBA unreachable',
      reviewed_by: null,
    });
    const [grant] = await h.sql`select id, status, policy from grants where request_id = ${id}`;
    expect(grant).toMatchObject({
      status: 'active',
      policy: { durationMinutes: 30, resources: [{ access: 'read-write' }] },
    });
    expect(memory.has(grant!.id as string, 'prod-db')).toBe(true);
    const [event] =
      await h.sql`select actor, details from audit_events where request_id = ${id} and action = 'request.break_glass'`;
    expect(event).toMatchObject({
      actor: PEOPLE.other,
      details: { flow: 'prod', justification: 'INC-9 checkout is down, on-call DBA unreachable', durationMinutes: 30 },
    });
  });

  it('is announced loudly in the rule’s channel and to every approver by DM', async () => {
    const post = h.slack.messagesIn('C0INCIDENT').find((m) => allText(m.blocks).includes(id));
    expect(allText(post?.blocks)).toContain(':rotating_light: *Break-glass:*');
    for (const approver of [PEOPLE.approver, PEOPLE.dba]) {
      const dm = approverMessage(h, approver, id).message;
      expect(dm.text).toContain(':rotating_light:');
      expect(allText(dm.blocks)).toContain('breakglass.acknowledge');
      expect(allText(dm.blocks)).toContain('Not reviewed yet');
    }
  });

  it('is listed for review in the App Home of approvers and admins, not of others', async () => {
    for (const user of [PEOPLE.approver, PEOPLE.admin]) {
      const home = allText((await openHome(user)).view.blocks);
      expect(home).toContain('Break-glass access to review');
      expect(home).toContain(id);
    }
    expect(allText((await openHome(PEOPLE.requester)).view.blocks)).not.toContain('Break-glass access to review');
  });

  it('the requester cannot acknowledge their own break-glass', async () => {
    const res = await forgeClick(
      h,
      PEOPLE.other,
      approverMessage(h, PEOPLE.approver, id),
      'breakglass.acknowledge',
      id,
    );
    expect(res.status).toBe(200);
    const reply = await until(
      () => h.slack.responses().find((r) => String(r.body.text).includes('your own break-glass')),
      'the refusal',
    );
    expect(reply.body.text).toBe('You cannot review your own break-glass access: another approver of the flow must.');
    expect((await h.sql`select reviewed_by from access_requests where id = ${id}`)[0]?.reviewed_by).toBeNull();
  });

  it('nor can someone who does not approve the flow', async () => {
    await forgeClick(h, PEOPLE.requester, approverMessage(h, PEOPLE.approver, id), 'breakglass.acknowledge', id);
    await until(
      () => h.slack.responses().find((r) => String(r.body.text).includes('Only an approver of the prod flow')),
      'the refusal',
    );
    expect((await h.sql`select reviewed_by from access_requests where id = ${id}`)[0]?.reviewed_by).toBeNull();
  });

  it('an approver acknowledges the review: recorded, audited, and every message updated', async () => {
    await h.driver.clickButton(PEOPLE.dba, approverMessage(h, PEOPLE.dba, id), 'breakglass.acknowledge');
    // The click is acknowledged before the listener writes: wait for its answer, then for the messages.
    await until(
      () => h.slack.responses().find((r) => String(r.body.text).includes('you reviewed the break-glass access')),
      'the confirmation',
    );
    await h.settle();
    const [row] = await h.sql`select reviewed_by, reviewed_at from access_requests where id = ${id}`;
    expect(row?.reviewed_by).toBe(PEOPLE.dba);
    expect(row?.reviewed_at).toBeInstanceOf(Date);
    const [event] =
      await h.sql`select actor from audit_events where request_id = ${id} and action = 'request.reviewed'`;
    expect(event?.actor).toBe(PEOPLE.dba);
    for (const approver of [PEOPLE.approver, PEOPLE.dba]) {
      const text = allText(approverMessage(h, approver, id).message.blocks);
      expect(text).toContain(`Reviewed by <@${PEOPLE.dba}>`);
      expect(text).not.toContain('breakglass.acknowledge');
    }
    expect(allText((await openHome(PEOPLE.approver)).view.blocks)).not.toContain(id);
  });

  it('a second acknowledgement changes nothing and says who reviewed it', async () => {
    const res = await forgeClick(
      h,
      PEOPLE.approver,
      approverMessage(h, PEOPLE.approver, id),
      'breakglass.acknowledge',
      id,
    );
    expect(res.status).toBe(200);
    await until(
      () => h.slack.responses().find((r) => String(r.body.text).includes(`<@${PEOPLE.dba}> already reviewed`)),
      'the answer',
    );
    expect(
      (
        await h.sql`select count(*)::int as n from audit_events where request_id = ${id} and action = 'request.reviewed'`
      )[0]?.n,
    ).toBe(1);
  });
});

describe('break-glass from App Home', () => {
  it('a member of a designated group gets the button and the form', async () => {
    const home = await openHome(PEOPLE.supporter);
    await h.driver.clickButton(PEOPLE.supporter, { viewId: home.id }, 'breakglass.open');
    const modal = await until(() => h.slack.topView(PEOPLE.supporter), 'break-glass modal');
    expect(allText(modal.view.blocks)).toContain('web-1');
    expect(allText(modal.view.blocks)).not.toContain('staging-db');
    const blank = await h.driver.submitView(PEOPLE.supporter, modal.id, {
      'bg.resource': 'prod-db',
      'bg.duration': '60',
      'bg.reason': '   ',
    });
    expect(blank.json).toMatchObject({
      response_action: 'errors',
      errors: { 'bg.reason': expect.stringContaining('needs a reason') },
    });
    const res = await h.driver.submitView(PEOPLE.supporter, modal.id, {
      'bg.resource': 'prod-db',
      'bg.duration': '60',
      'bg.reason': 'INC-10 payments stuck',
    });
    expect(res.json?.response_action).toBe('update');
    expect(allText(res.json.view)).toContain('Break-glass access granted');
    h.slack.clearViews(PEOPLE.supporter);
    await h.settle();
    const [row] =
      await h.sql`select status, duration_minutes from access_requests where kind = 'break_glass' and requester_id = ${PEOPLE.supporter}`;
    expect(row).toEqual({ status: 'active', duration_minutes: 60 });
  });

  it('people no flow designates do not get the button', async () => {
    expect(allText((await openHome(PEOPLE.requester)).view.blocks)).not.toContain('breakglass.open');
  });
});

describe('break-glass is refused, and nothing is stored', () => {
  it.each([
    [
      'someone not designated',
      PEOPLE.requester,
      'break-glass prod-db 30m INC-11 I really need it',
      'You are not designated for break-glass access to prod-db. Request access as usual with `/access request`.',
    ],
    [
      'a resource outside the rule',
      PEOPLE.other,
      'break-glass staging-db 30m INC-11 staging is down',
      'You are not designated for break-glass access to staging-db. Request access as usual with `/access request`.',
    ],
    [
      'no reason',
      PEOPLE.other,
      'break-glass prod-db 30m',
      'Break-glass needs a reason: say what is broken and why it cannot wait for an approval.',
    ],
    [
      'longer than the rule allows',
      PEOPLE.other,
      'break-glass prod-db 2h INC-12 long fix',
      'Break-glass access to prod-db lasts at most 1h.',
    ],
    [
      'a duration that is not one',
      PEOPLE.other,
      'break-glass prod-db soon INC-12 fix',
      'Say how long you need it, like 30m or 1h (at most 1h).',
    ],
    [
      'an SSH resource without default logins',
      PEOPLE.other,
      'break-glass web-1 30m INC-13 web down',
      'web-1 has no default login users',
    ],
    [
      'a guest, even in a designated group',
      PEOPLE.guest,
      'break-glass prod-db 30m INC-14 guest',
      "Guests can't request or approve access.",
    ],
    [
      'no arguments beyond the resource',
      PEOPLE.other,
      'break-glass prod-db',
      'Break glass with `/access break-glass <resource> <duration> <reason…>`',
    ],
  ])('%s', async (_what, user, text, expected) => {
    const before = await stored();
    expect(await command(user, text)).toContain(expected);
    expect(await stored()).toEqual(before);
  });
});

describe('a replayed break-glass', () => {
  it('the same signed command sent again to another replica grants nothing new and answers with the first grant', async () => {
    const replica = await h.replica();
    const other = new SlackDriver({
      eventsUrl: `http://127.0.0.1:${replica.port}/slack/events`,
      signingSecret: SIGNING_SECRET,
      slack: h.slack,
    });
    const body = new URLSearchParams(
      commandFields(h.slack, {
        userId: PEOPLE.other,
        command: '/access',
        text: 'break-glass prod-db 30m RPL-BG1 checkout is down',
        channelId: 'C0GENERAL',
        apiAppId: h.slack.appId,
        responseUrl: h.slack.newResponseUrl({ channel: 'C0GENERAL', userId: PEOPLE.other }),
        triggerId: h.slack.issueTriggerId(PEOPLE.other),
      }),
    ).toString();
    const ts = String(Math.floor(Date.now() / 1000));
    const first = await replyTo(h, () => h.driver.raw(body, 'application/x-www-form-urlencoded', { timestamp: ts }));
    expect(first.text).toContain('Break-glass access granted');
    const again = await replyTo(h, () => other.raw(body, 'application/x-www-form-urlencoded', { timestamp: ts }));
    const made =
      await h.sql`select id from access_requests where kind = 'break_glass' and justification like 'RPL-BG1%'`;
    expect(made).toHaveLength(1);
    expect(again.text).toContain(made[0]!.id);
    expect(await h.sql`select id from grants where request_id = ${made[0]!.id}`).toHaveLength(1);
  });
});
