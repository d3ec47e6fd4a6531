import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryProvisioner } from '../src/provisioners/memory/memory-provisioner.js';
import { until } from '../doubles/slack/driver.js';
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

const memory = createMemoryProvisioner();
const accessFile = `
resources:
  - { name: prod-db, type: database, tags: [production], provisioner: { type: memory } }
flows:
  - name: support-prod
    resources: { tags: [production] }
    requesters: { users: [U0REQ, U0OTHER] }
    approvers: { users: [U0APPR], groups: [S0DBTEAM] }
    max_duration: 8h
`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ accessFile, app: { extraProvisioners: [memory.provisioner] } });
});
afterAll(async () => {
  await h?.stop();
});

const ask = (justification: string) =>
  requestAccess(h, PEOPLE.requester, { resources: ['prod-db'], duration: '60', justification });

describe('cancel', () => {
  it('the requester withdraws a pending request; the approvers’ messages say so and lose their buttons', async () => {
    const [id] = await ask('INC-1');
    const reply = await replyTo(h, () =>
      h.driver.clickButton(PEOPLE.requester, myMessage(h, PEOPLE.requester, id!), 'request.cancel'),
    );
    expect(reply.text).toContain(`Cancelled \`${id}\``);
    expect(await statusOf(h, id!)).toBe('cancelled');
    await h.settle();
    const text = allText(approverMessage(h, PEOPLE.approver, id!).message.blocks);
    expect(text).toContain('Cancelled by the requester');
    expect(text).not.toContain('review.approve');
    expect(
      (await h.sql`select actor from audit_events where request_id = ${id!} and action = 'request.cancelled'`)[0]!
        .actor,
    ).toBe(PEOPLE.requester);
  });

  it('nobody else can cancel it', async () => {
    const [id] = await ask('INC-2');
    const { channel, ts } = myMessage(h, PEOPLE.requester, id!);
    h.slack.state.channels.get(channel)!.members = undefined; // let the forger "see" the DM: authority is checked by the bot
    const reply = await replyTo(h, () => h.driver.clickButton(PEOPLE.other, { channel, ts }, 'request.cancel'));
    expect(reply.text).toBe('Only the person who asked for this access can do that.');
    expect(await statusOf(h, id!)).toBe('pending');
  });
});

describe('nudge', () => {
  it('replies in the thread of each approver message, at most once per 30 minutes', async () => {
    const [id] = await ask('INC-3');
    await replyTo(h, () =>
      h.driver.clickButton(PEOPLE.requester, myMessage(h, PEOPLE.requester, id!), 'request.nudge'),
    );
    await h.settle();
    for (const approver of [PEOPLE.approver, PEOPLE.dba]) {
      const top = approverMessage(h, approver, id!);
      const replies = h.slack.messagesIn(top.channel).filter((m) => m.threadTs === top.ts);
      expect(replies).toHaveLength(1);
      expect(allText(replies[0]!.blocks)).toContain(
        `<@${PEOPLE.requester}> is still waiting for a decision on \`${id}\``,
      );
    }
    const again = await replyTo(h, () =>
      h.driver.clickButton(PEOPLE.requester, myMessage(h, PEOPLE.requester, id!), 'request.nudge'),
    );
    expect(again.text).toMatch(/you can nudge again in 30 minutes/);
    h.clock.advance(31);
    await replyTo(h, () =>
      h.driver.clickButton(PEOPLE.requester, myMessage(h, PEOPLE.requester, id!), 'request.nudge'),
    );
    await h.settle();
    const top = approverMessage(h, PEOPLE.approver, id!);
    expect(h.slack.messagesIn(top.channel).filter((m) => m.threadTs === top.ts)).toHaveLength(2);
    expect(
      await h.sql`select 1 from audit_events where request_id = ${id!} and action = 'request.nudged'`,
    ).toHaveLength(2);
  });
});

describe('extend', () => {
  it('goes through the flow and keeps the same grant alive, moving its end in the target too', async () => {
    const [id] = await ask('INC-4');
    await approve(h, PEOPLE.approver, id!);
    await h.settle();
    const [before] = await h.sql`select id, expires_at from grants where request_id = ${id!}`;
    await h.driver.clickButton(PEOPLE.requester, myMessage(h, PEOPLE.requester, id!), 'request.extend');
    const modal = await until(() => h.slack.topView(PEOPLE.requester), 'extend modal');
    const res = await h.driver.submitView(PEOPLE.requester, modal.id, {
      'extend.duration': '120',
      'extend.reason': 'INC-4 needs another two hours',
    });
    expect(res.json.view.title.text).toBe('Extension asked');
    h.slack.clearViews(PEOPLE.requester);
    await h.settle();
    const [ext] =
      await h.sql`select id, kind, extends_request_id, status from access_requests where extends_request_id = ${id!}`;
    expect(ext).toMatchObject({ kind: 'extension', status: 'pending' });
    expect(allText(approverMessage(h, PEOPLE.dba, ext!.id).message.blocks)).toContain(`asks to extend \`${id}\` by 2h`);

    await h.driver.clickButton(PEOPLE.dba, approverMessage(h, PEOPLE.dba, ext!.id), 'review.approve');
    const tuning = await until(() => h.slack.topView(PEOPLE.dba), 'tuning');
    expect(tuning.view.title.text).toBe('Approve extension');
    await h.driver.submitView(PEOPLE.dba, tuning.id, {});
    h.slack.clearViews(PEOPLE.dba);
    await h.settle();
    expect(await statusOf(h, ext!.id)).toBe('approved');
    expect(await statusOf(h, id!)).toBe('active');
    const [after] = await h.sql`select id, expires_at from grants where request_id = ${id!}`;
    expect(after!.id).toBe(before!.id);
    expect((after!.expires_at as Date).getTime() - (before!.expires_at as Date).getTime()).toBe(120 * 60_000);
    expect(memory.calls.filter((c) => c.grantId === before!.id).map((c) => c.op)).toEqual(['provision', 'extend']);
    expect(memory.has(before!.id, 'prod-db')).toBe(true);
    expect(allText(h.slack.dmsTo(PEOPLE.requester).at(-1)!.blocks)).toContain('approved your extension');
    const actions = (await h.sql`select action from audit_events where request_id = ${id!} order by id`).map(
      (r) => r.action,
    );
    expect(actions).toContain('grant.extended');
    expect(actions).toContain('grant.extended_in_target');
  });

  it('nobody can extend someone else’s grant', async () => {
    const [id] = await ask('INC-5');
    await approve(h, PEOPLE.approver, id!);
    const { channel, ts } = myMessage(h, PEOPLE.requester, id!);
    h.slack.state.channels.get(channel)!.members = undefined;
    const reply = await replyTo(h, () => h.driver.clickButton(PEOPLE.other, { channel, ts }, 'request.extend'));
    expect(reply.text).toBe('Only the person who asked for this access can do that.');
    expect(h.slack.topView(PEOPLE.other)).toBeUndefined();
    expect(await h.sql`select 1 from access_requests where extends_request_id = ${id!}`).toHaveLength(0);
  });
});

describe('release', () => {
  it('the requester ends their own access early; the target is cleaned up', async () => {
    const [id] = await ask('INC-6');
    await approve(h, PEOPLE.approver, id!);
    await h.settle();
    const [grant] = await h.sql`select id from grants where request_id = ${id!}`;
    const reply = await replyTo(h, () =>
      h.driver.clickButton(PEOPLE.requester, myMessage(h, PEOPLE.requester, id!), 'request.release'),
    );
    expect(reply.text).toContain(`Released \`${id}\``);
    await h.settle();
    expect(await statusOf(h, id!)).toBe('revoked');
    expect(memory.has(grant!.id, 'prod-db')).toBe(false);
    expect(allText(approverMessage(h, PEOPLE.approver, id!).message.blocks)).toContain('released by the requester');
  });
});
