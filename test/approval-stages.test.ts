import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import type { AccessApp } from '../src/app.js';
import { startHarness, type Harness } from './support/harness.js';
import {
  allText,
  approve,
  approverMessage,
  forgeClick,
  myMessage,
  openNewFlowEditor,
  replyTo,
  requestAccess,
  statusOf,
} from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';
import { apiClient, openApiChecker } from './support/request-api-client.js';

// Two stages: a peer review (Alex or Oscar), then the owner (Dana or Ada; Ada is also asked on escalation).
const STAGED_FILE = `
resources:
  - name: prod-db
    type: database
    tags: [production]
  - name: web-1
    type: ssh
  - name: grafana
    type: http
flows:
  - name: staged-pair
    resources: { names: [grafana] }
    requesters: { users: [U0REQ] }
    stages:
      - name: two peers
        approvers: { users: [U0APPR, U0OTHER] }
        approvals_required: 2
      - name: owner
        approvers: { users: [U0DBA1, U0APPR] }
  - name: staged-prod
    resources: { names: [prod-db] }
    requesters: { users: [U0REQ] }
    max_duration: 8h
    stages:
      - name: peer review
        approvers: { users: [U0APPR, U0OTHER] }
      - name: owner approval
        approvers: { users: [U0DBA1, U0ADMIN] }
        reminders: { escalate_after: 30m, escalate_to: { users: [U0SUPP2] } }
  - name: plain
    resources: { names: [web-1] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
`;

let h: Harness;
let replica: AccessApp;
beforeAll(async () => {
  h = await startHarness({ accessFile: STAGED_FILE });
  replica = await h.replica();
});
afterAll(async () => {
  await h?.stop();
});

const justification = 'INC-42: staged access';
const ask = async () =>
  (await requestAccess(h, PEOPLE.requester, { resources: ['prod-db'], duration: '120', justification }))[0]!;
const hasMessage = (user: string, id: string) => h.slack.dmsTo(user).some((m) => JSON.stringify(m.blocks).includes(id));
const actions = async (id: string) =>
  (await h.sql`select action from audit_events where request_id = ${id} order by id`).map((r) => r.action as string);

describe('a two-stage flow', () => {
  it('asks stage 2 only once stage 1 passed, and grants the narrowest of all approvals', async () => {
    const id = await ask();
    // Stage 1's approvers are asked; stage 2's are not, yet.
    expect(hasMessage(PEOPLE.approver, id)).toBe(true);
    expect(hasMessage(PEOPLE.other, id)).toBe(true);
    expect(hasMessage(PEOPLE.dba, id)).toBe(false);
    expect(hasMessage(PEOPLE.admin, id)).toBe(false);
    expect(allText(approverMessage(h, PEOPLE.approver, id).message.blocks)).toContain('Stage 1 of 2: peer review');
    expect(allText(myMessage(h, PEOPLE.requester, id).message.blocks)).toContain('Stage 1 of 2: peer review');

    // Oscar's App Home lists it to review (stage 1).
    await h.driver.appHomeOpened(PEOPLE.other);
    await until(() => allText(h.slack.home(PEOPLE.other)?.view.blocks ?? []).includes(id), 'Oscar’s home');

    // The peer narrows the duration to one hour.
    const res = await approve(h, PEOPLE.approver, id, { 'tune.duration': '60' });
    expect(allText(res.json)).toContain('Stage passed');
    expect(await statusOf(h, id)).toBe('pending');
    const [row] = await h.sql`select stage_index, notified_approvers from access_requests where id = ${id}`;
    expect(row).toMatchObject({ stage_index: 1 });
    expect(row!.notified_approvers).toEqual(expect.arrayContaining([PEOPLE.dba, PEOPLE.admin]));

    // Stage 2's approvers get their messages now, saying where the request is.
    const owner = allText(approverMessage(h, PEOPLE.dba, id).message.blocks);
    expect(owner).toContain(`Stage 2 of 2: owner approval · peer review passed by <@${PEOPLE.approver}>`);
    expect(owner).toContain('review.approve');
    expect(hasMessage(PEOPLE.admin, id)).toBe(true);
    // Stage 1's messages say the stage passed and have no buttons any more.
    for (const peer of [PEOPLE.approver, PEOPLE.other]) {
      const text = allText(approverMessage(h, peer, id).message.blocks);
      expect(text).toContain(`peer review passed by <@${PEOPLE.approver}>`);
      expect(text).toContain('now at stage 2 of 2: owner approval');
      expect(text).not.toContain('review.approve');
    }
    expect(allText(myMessage(h, PEOPLE.requester, id).message.blocks)).toContain('Stage 2 of 2: owner approval');
    // Dana's App Home lists it to review, with the stage; Oscar's (stage 1 only) no longer does.
    await h.driver.appHomeOpened(PEOPLE.dba);
    await until(() => allText(h.slack.home(PEOPLE.dba)?.view.blocks ?? []).includes(id), 'Dana’s home');
    expect(allText(h.slack.home(PEOPLE.dba)!.view.blocks)).toContain('Stage 2 of 2: owner approval');
    // Oscar's Home, open since stage 1, drops it once the stage passed (he is no approver of stage 2).
    await until(
      () => !allText(h.slack.home(PEOPLE.other)?.view.blocks ?? []).includes(id),
      'Oscar’s home without the request',
    );
    // `/access list` says it too.
    await h.driver.command(PEOPLE.requester, '/access', 'list');
    const list = await until(
      () => h.slack.ephemeralsTo(PEOPLE.requester).find((m) => JSON.stringify(m).includes(id)),
      'the list',
    );
    expect(allText(list)).toContain('Stage 2 of 2: owner approval');

    // The owner's tuning modal offers at most what the peer kept: one hour, read-only.
    await h.driver.clickButton(PEOPLE.dba, approverMessage(h, PEOPLE.dba, id), 'review.approve');
    const modal = await until(() => h.slack.topView(PEOPLE.dba), 'the tuning modal');
    const blocks = modal.view.blocks as { block_id?: string; element?: { options?: { value: string }[] } }[];
    const offered = (block: string) => blocks.find((b) => b.block_id === block)!.element!.options!.map((o) => o.value);
    expect(offered('tune.access.prod-db')).toEqual(['read-only']);
    expect(Math.max(...offered('tune.duration').map(Number))).toBe(60);
    expect(allText(modal.view)).toContain('Earlier stages kept');
    // A forged submission asking for more still gets what the peer allowed: the grant is the narrowest.
    await h.driver.submitView(
      PEOPLE.dba,
      modal.id,
      {},
      {
        raw: {
          'tune.access.prod-db': {
            'tune.choice.value': { type: 'radio_buttons', selected_option: { value: 'read-write' } },
          },
        },
      },
    );
    h.slack.clearViews(PEOPLE.dba);
    await h.settle();
    expect(await statusOf(h, id)).toBe('active');
    const [grant] = await h.sql`select policy from grants where request_id = ${id}`;
    expect(grant!.policy).toMatchObject({ durationMinutes: 60, resources: [{ access: 'read-only' }] });
    const approvals =
      await h.sql`select approver_id, stage_index from approvals where request_id = ${id} order by created_at`;
    expect(approvals).toEqual([
      { approver_id: PEOPLE.approver, stage_index: 0 },
      { approver_id: PEOPLE.dba, stage_index: 1 },
    ]);
    expect(await actions(id)).toEqual(['request.created', 'request.stage_passed', 'request.approved']);
    const [passed] =
      await h.sql`select actor, details from audit_events where request_id = ${id} and action = 'request.stage_passed'`;
    expect(passed).toMatchObject({
      actor: PEOPLE.approver,
      details: { stage: 'peer review', next: 'owner approval', by: [PEOPLE.approver] },
    });
  });

  it('a stage-1 approver cannot decide stage 2, and a deny at stage 2 ends the request', async () => {
    const id = await ask();
    await approve(h, PEOPLE.approver, id);
    // Oscar was asked in stage 1 only: his message has no buttons, and a forged click is refused.
    const oscars = approverMessage(h, PEOPLE.other, id);
    expect(allText(oscars.message.blocks)).not.toContain('review.approve');
    const reply = await replyTo(h, () => forgeClick(h, PEOPLE.other, oscars, 'review.approve', id));
    expect(reply).toMatchObject({ text: 'Only an approver of this request can do that.' });
    // Alex, who passed stage 1, is refused too (he is no approver of stage 2).
    const alex = await replyTo(h, () => forgeClick(h, PEOPLE.approver, oscars, 'review.deny', id));
    expect(alex).toMatchObject({ text: 'Only an approver of this request can do that.' });
    expect(await statusOf(h, id)).toBe('pending');
    // Dana denies at stage 2: the request ends; nobody else is asked.
    await h.driver.clickButton(PEOPLE.dba, approverMessage(h, PEOPLE.dba, id), 'review.deny');
    const modal = await until(() => h.slack.topView(PEOPLE.dba), 'deny modal');
    await h.driver.submitView(PEOPLE.dba, modal.id, { 'deny.reason': 'not this week' });
    h.slack.clearViews(PEOPLE.dba);
    await h.settle();
    expect(await statusOf(h, id)).toBe('denied');
    expect(allText(myMessage(h, PEOPLE.requester, id).message.blocks)).toContain(`Denied by <@${PEOPLE.dba}>`);
    expect(await h.sql`select 1 from grants where request_id = ${id}`).toHaveLength(0);
  });

  it('two approvers of one stage clicking at once make one stage decision', async () => {
    const id = await ask();
    await h.driver.clickButton(PEOPLE.approver, approverMessage(h, PEOPLE.approver, id), 'review.approve');
    await h.driver.clickButton(PEOPLE.other, approverMessage(h, PEOPLE.other, id), 'review.approve');
    const first = await until(() => h.slack.topView(PEOPLE.approver), 'modal 1');
    const second = await until(() => h.slack.topView(PEOPLE.other), 'modal 2');
    const answers = await Promise.all([
      h.driver.submitView(PEOPLE.approver, first.id, {}),
      h.driver.submitView(PEOPLE.other, second.id, {}),
    ]);
    // One passed the stage; the other is told the stage was decided by someone else.
    const texts = answers.map((a) => allText(a.json));
    expect(texts.filter((t) => t.includes('Stage passed'))).toHaveLength(1);
    expect(texts.filter((t) => t.includes('already decided by another approver'))).toHaveLength(1);
    h.slack.clearViews(PEOPLE.approver);
    h.slack.clearViews(PEOPLE.other);
    await h.settle();
    expect((await actions(id)).filter((a) => a === 'request.stage_passed')).toHaveLength(1);
    const [row] = await h.sql`select stage_index, status from access_requests where id = ${id}`;
    expect(row).toMatchObject({ stage_index: 1, status: 'pending' });
    expect(await h.sql`select 1 from approvals where request_id = ${id}`).toHaveLength(1);
    // Each stage-2 approver got one message.
    for (const owner of [PEOPLE.dba, PEOPLE.admin])
      expect(h.slack.dmsTo(owner).filter((m) => JSON.stringify(m.blocks).includes(id))).toHaveLength(1);
  });

  it('two approvals completing an N-of-2 stage at once pass it once, with both counted', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, { resources: ['grafana'], duration: '60', justification });
    await h.driver.clickButton(PEOPLE.approver, approverMessage(h, PEOPLE.approver, id!), 'review.approve');
    await h.driver.clickButton(PEOPLE.other, approverMessage(h, PEOPLE.other, id!), 'review.approve');
    const first = await until(() => h.slack.topView(PEOPLE.approver), 'modal 1');
    const second = await until(() => h.slack.topView(PEOPLE.other), 'modal 2');
    await Promise.all([
      h.driver.submitView(PEOPLE.approver, first.id, {}),
      h.driver.submitView(PEOPLE.other, second.id, {}),
    ]);
    h.slack.clearViews(PEOPLE.approver);
    h.slack.clearViews(PEOPLE.other);
    await h.settle();
    expect(await h.sql`select 1 from approvals where request_id = ${id!} and stage_index = 0`).toHaveLength(2);
    expect((await actions(id!)).filter((a) => a === 'request.stage_passed')).toHaveLength(1);
    expect(h.slack.dmsTo(PEOPLE.dba).filter((m) => JSON.stringify(m.blocks).includes(id!))).toHaveLength(1);
    // Alex is listed in both stages, but approved stage 1: a person approves a request once, so he is not asked again.
    const [row] = await h.sql`select notified_approvers from access_requests where id = ${id!}`;
    expect(row!.notified_approvers).toEqual([PEOPLE.dba]);
    expect(allText(approverMessage(h, PEOPLE.approver, id!).message.blocks)).not.toContain('review.approve');
    const owner = allText(approverMessage(h, PEOPLE.dba, id!).message.blocks);
    // Both peers are named (in the order they committed).
    expect(owner).toContain('Stage 2 of 2: owner · two peers passed by <@');
    expect(owner).toContain(`<@${PEOPLE.approver}>`);
    expect(owner).toContain(`<@${PEOPLE.other}>`);
  });

  it('a stage that passes while another replica escalates sends no duplicate messages', async () => {
    const id = await ask();
    await approve(h, PEOPLE.approver, id);
    // Stage 2 escalates after 30 minutes; the decision and both replicas' jobs race for the row.
    h.clock.advance(31);
    await Promise.all([h.app.jobs.lifecycleNow(), replica.jobs.lifecycleNow(), approve(h, PEOPLE.dba, id)]);
    await h.settle();
    await replica.jobs.drainOutbox();
    await h.settle();
    expect(await statusOf(h, id)).toBe('active');
    expect((await actions(id)).filter((a) => a === 'request.escalated').length).toBeLessThanOrEqual(1);
    for (const person of [PEOPLE.approver, PEOPLE.other, PEOPLE.dba, PEOPLE.admin, PEOPLE.supporter]) {
      const messages = h.slack.dmsTo(person).filter((m) => JSON.stringify(m.blocks).includes(id));
      expect(messages.length).toBeLessThanOrEqual(1);
    }
  });

  it('/access whocan and explain name the stages, and who is asked first', async () => {
    const command = (user: string, text: string) => replyTo(h, () => h.driver.command(user, '/access', text));
    const whocan = allText((await command(PEOPLE.approver, 'whocan prod-db')).blocks);
    expect(whocan).toContain(
      '*Approval stages:* 1. peer review: <@U0APPR>, <@U0OTHER> · one approval → 2. owner approval: <@U0DBA1>, <@U0ADMIN> · one approval',
    );
    const explain = allText((await command(PEOPLE.approver, `explain <@${PEOPLE.requester}> prod-db`)).blocks);
    expect(explain).toContain('*Who would approve first (stage 1 of 2: peer review):* <@U0APPR>, <@U0OTHER>');
  });

  it('a flow without stages behaves as before: one approval grants, no stage line', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, { resources: ['web-1'], duration: '60', justification });
    expect(allText(approverMessage(h, PEOPLE.approver, id!).message.blocks)).not.toContain('Stage ');
    await approve(h, PEOPLE.approver, id!, { 'tune.login.web-1': 'deploy' });
    expect(await statusOf(h, id!)).toBe('active');
    expect(await actions(id!)).not.toContain('request.stage_passed');
  });
});

describe('stages in the App Home flow editor', () => {
  const openEditor = () => openNewFlowEditor(h, PEOPLE.admin);
  const form = (stages: string) => ({
    'af.name': 'staged-web',
    'af.resources': ['web-1'],
    'af.req.users': [PEOPLE.requester],
    'af.max': '60',
    'af.stages': stages,
  });

  it('says what is wrong under the stages field, with its path, and saves nothing', async () => {
    const modal = await openEditor();
    const res = await h.driver.submitView(
      PEOPLE.admin,
      modal.id,
      form('- name: peer review\n  approvers: { users: [U0APPR] }\n- name: owner\n  approvers: {}\n'),
    );
    expect(res.json).toMatchObject({
      response_action: 'errors',
      errors: { 'af.stages': 'stages[1].approvers: must name at least one approver user or group' },
    });
    expect(await h.sql`select 1 from flows where name = 'staged-web'`).toHaveLength(0);
    h.slack.clearViews(PEOPLE.admin);
  });

  it('an admin adds a two-stage flow; it is stored, shown again in the editor and exported', async () => {
    const modal = await openEditor();
    const stages =
      '- name: peer review\n  approvers: { users: [U0APPR] }\n- name: owner approval\n  approvers: { users: [U0DBA1] }\n  reminders: { remind_after: 1h }\n';
    const res = await h.driver.submitView(PEOPLE.admin, modal.id, form(stages));
    expect(res.text).toBe('');
    h.slack.clearViews(PEOPLE.admin);
    const [row] = await h.sql`select stages, approver_users from flows where name = 'staged-web'`;
    expect(row!.stages).toMatchObject([
      { name: 'peer review', approverUsers: [PEOPLE.approver], approvalsRequired: 1 },
      { name: 'owner approval', approverUsers: [PEOPLE.dba], remindAfterMinutes: 60 },
    ]);
    expect(row!.approver_users).toEqual([PEOPLE.approver, PEOPLE.dba]);
    // Edited again, the editor shows the stages as saved.
    const [saved] = await h.sql`select id from flows where name = 'staged-web'`;
    await until(
      () => allText(h.slack.home(PEOPLE.admin)?.view.blocks ?? []).includes(saved!.id as string),
      'the flow in the list',
    );
    await h.driver.selectAction(
      PEOPLE.admin,
      { viewId: h.slack.home(PEOPLE.admin)!.id },
      `admin.flow.menu.${saved!.id as string}`,
      `edit:${saved!.id as string}`,
    );
    const edit = await until(() => h.slack.topView(PEOPLE.admin), 'edit modal');
    const field = (edit.view.blocks as { block_id?: string; element?: { initial_value?: string } }[]).find(
      (b) => b.block_id === 'af.stages',
    );
    expect(field!.element!.initial_value).toContain('name: owner approval');
    h.slack.clearViews(PEOPLE.admin);
    const flows = await h.app.services.admin.flows();
    const { exportAccessFile } = await import('../src/services/config-export.js');
    const text = exportAccessFile(
      [],
      flows.filter((f) => f.name === 'staged-web'),
    );
    expect(text).toContain('stages:');
    expect(text).toContain('name: owner approval');
    expect(text).not.toMatch(/^ {4}approvers:/m);
  });
});

describe('a staged request through the request API', () => {
  it('shows the stage it is at, and the stages passed with who passed them, as the OpenAPI document says', async () => {
    const checker = await openApiChecker(h);
    const reply = await replyTo(h, () => h.driver.command(PEOPLE.requester, '/access', 'token create staged cli'));
    const call = apiClient(h, checker, /```(ark_pat_\S+)```/.exec(reply.text)![1]!, { 'x-access-channel': 'cli' });
    const made = await call('POST', '/api/v1/requests', {
      body: { resources: ['prod-db'], duration_minutes: 60, justification: 'INC-77 stages through the API' },
    });
    expect(made.status).toBe(201);
    const id = made.json.requests[0].id as string;
    expect(made.json.requests[0].stage).toEqual({ number: 1, of: 2, name: 'peer review', passed: [] });
    expect(made.json.requests[0].approvals_required).toBe(1);

    await h.settle();
    await approve(h, PEOPLE.approver, id);
    const after = await call('GET', `/api/v1/requests/${id}`);
    expect(after.json).toMatchObject({
      status: 'pending',
      stage: { number: 2, of: 2, name: 'owner approval', passed: [{ name: 'peer review', by: [PEOPLE.approver] }] },
      names: { [PEOPLE.approver]: 'Alex Approver' },
    });
    expect(after.json.approvers).toEqual(expect.arrayContaining([PEOPLE.dba]));
    expect(checker.checked()).toBeGreaterThanOrEqual(2);
  });
});
