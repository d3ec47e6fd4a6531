import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { createMemoryProvisioner } from '../src/provisioners/memory/memory-provisioner.js';
import { startHarness, type Harness } from './support/harness.js';
import {
  allText,
  approverMessage,
  countRows,
  forgeClick,
  replyTo,
  statusOf,
  openNewFlowEditor,
} from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';
import { requestDto } from '../src/domain/request-dto.js';

const memory = createMemoryProvisioner();

// Dana (a team lead) may request for Rita, Gus (a guest) and Ada (not a requester of the flow);
// Rita and Dana are approvers too, and the flow allows self-approval: still neither may approve it.
const accessFile = `
resources:
  - { name: prod-db, type: database, provisioner: { type: memory } }
flows:
  - name: prod
    resources: { names: [prod-db] }
    requesters: { users: [U0REQ, U0OTHER, U0GUEST] }
    approvers: { users: [U0APPR, U0DBA1, U0REQ] }
    allow_self_approval: true
    on_behalf: { requesters: { users: [U0DBA1] }, for: { users: [U0REQ, U0GUEST, U0ADMIN] } }
`;

const lead = PEOPLE.dba;
const rita = PEOPLE.requester;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ accessFile, app: { extraProvisioners: [memory.provisioner] } });
});
afterAll(async () => {
  await h?.stop();
});

/** Opens the form as `user`, picks `forUser` in "For" (the form redraws), and returns the modal. */
async function formFor(user: string, forUser: string) {
  h.slack.clearViews(user);
  await h.driver.command(user, '/access', 'request');
  const modal = await until(() => h.slack.topView(user), 'the request modal');
  await h.driver.selectAction(user, { viewId: modal.id }, 'request.for.pick', forUser);
  return until(() => {
    const v = h.slack.topView(user);
    return v && allText(v.view.blocks).includes(`"initial_user":"${forUser}"`) ? v : undefined;
  }, 'the form redrawn for the beneficiary');
}

describe('a request on behalf of someone', () => {
  let id: string;

  it('offers the lead a "For" picker, and the form then offers what the beneficiary may get', async () => {
    const modal = await formFor(lead, rita);
    expect(allText(modal.view.blocks)).toContain('"action_id":"request.for.pick"');
    expect(allText(modal.view.blocks)).toContain('"value":"prod-db"');
    const res = await h.driver.submitView(lead, modal.id, {
      'request.for': rita,
      'request.resources': ['prod-db'],
      'request.duration': '60',
      'request.justification': 'INC-7 restore for Rita',
    });
    expect(res.json?.response_action).toBe('update');
    // The asker's "Request sent" says whose access it is.
    expect(allText(res.json?.view?.blocks)).toMatch(
      new RegExp(`Request \`req_\\w+\` for <@${rita}>: \`prod-db\` \\(1h\\)`),
    );
    h.slack.clearViews(lead);
    await h.settle();
    const [row] = await h.sql`select id, requester_id, requested_by, notified_approvers from access_requests`;
    id = row!.id as string;
    expect(row).toMatchObject({ requester_id: rita, requested_by: lead, notified_approvers: [PEOPLE.approver] });
  });

  it('tells the approver who asks for whom, and gives the asker their own copy without buttons', async () => {
    const { message } = approverMessage(h, PEOPLE.approver, id);
    expect(allText(message.blocks)).toContain(`<@${lead}> asks for <@${rita}>: prod-db for 1h`);
    const asked = await until(
      () => h.slack.dmsTo(lead).find((m) => allText(m.blocks).includes(id)),
      "the asker's copy",
    );
    expect(allText(asked.blocks)).toContain(`You asked for <@${rita}>`);
    expect(allText(asked.blocks)).not.toContain('request.cancel');
    const ritas = h.slack.dmsTo(rita).find((m) => allText(m.blocks).includes(id));
    expect(allText(ritas?.blocks)).toContain(`<@${lead}> requested access for you`);
  });

  it('lists it for both in /access list, and the request API names who asked', async () => {
    for (const who of [lead, rita]) {
      const reply = await replyTo(h, () => h.driver.command(who, '/access', 'list'));
      expect(allText(reply)).toContain(`for <@${rita}> · asked by <@${lead}>`);
    }
    const details = await h.app.services.requests.get(id);
    expect(requestDto(details!, [])).toMatchObject({ requester: rita, requested_by: lead });
  });

  it('writes request.created naming both, the asker as the actor', async () => {
    const [event] =
      await h.sql`select actor, details from audit_events where request_id = ${id} and action = 'request.created'`;
    expect(event!.actor).toBe(lead);
    expect(event!.details).toMatchObject({ requested_by: lead, beneficiary: rita });
  });

  it('lets neither the beneficiary nor the asker approve it, even with self-approval allowed', async () => {
    for (const who of [rita, lead]) {
      const where = approverMessage(h, PEOPLE.approver, id);
      const reply = await replyTo(h, () => forgeClick(h, who, where, 'review.approve', id));
      expect(allText(reply)).toContain("You can't approve or deny your own request.");
    }
    expect(await statusOf(h, id)).toBe('pending');
  });

  it('grants the beneficiary once approved: the ready DM with the secret goes to them, never to the asker', async () => {
    const where = approverMessage(h, PEOPLE.approver, id);
    await h.driver.clickButton(PEOPLE.approver, where, 'review.approve');
    const tuning = await until(() => h.slack.topView(PEOPLE.approver), 'the tuning modal');
    await h.driver.submitView(PEOPLE.approver, tuning.id, {});
    h.slack.clearViews(PEOPLE.approver);
    await h.settle();
    expect(await statusOf(h, id)).toBe('active');
    const [grant] = await h.sql`select g.id from grants g where g.request_id = ${id}`;
    const secret = `tok-${grant!.id as string}`;
    await until(() => allText(h.slack.dmsTo(rita)).includes(secret), 'the ready DM to Rita');
    expect(allText(h.slack.dmsTo(lead))).not.toContain(secret);
    await until(() => allText(h.slack.dmsTo(lead)).includes('was approved by'), 'the approval notice to the asker');
    expect(allText(h.slack.dmsTo(lead))).toContain(`The access and its details went to <@${rita}>`);
  });
});

describe('refusals', () => {
  it('shows no "For" picker to someone no flow allows, and refuses a forged beneficiary, changing nothing', async () => {
    h.slack.clearViews(PEOPLE.other);
    await h.driver.command(PEOPLE.other, '/access', 'request');
    const modal = await until(() => h.slack.topView(PEOPLE.other), 'the request modal');
    expect(allText(modal.view.blocks)).not.toContain('request.for');
    const before = await countRows(h, 'access_requests');
    const res = await h.driver.submitView(
      PEOPLE.other,
      modal.id,
      { 'request.resources': ['prod-db'], 'request.duration': '60', 'request.justification': 'forged' },
      { raw: { 'request.for': { 'request.for.pick': { type: 'users_select', selected_user: rita } } } },
    );
    expect(allText(res.json)).toContain('You may not request access on behalf of others.');
    expect(await countRows(h, 'access_requests')).toBe(before);
  });

  it('refuses a beneficiary who is not eligible for the resource, and a guest', async () => {
    const before = await countRows(h, 'access_requests');
    for (const [who, sentence] of [
      [PEOPLE.admin, 'No flow lets you request anything for'],
      [PEOPLE.guest, 'cannot get access: guests, bots and deactivated people never can.'],
    ] as const) {
      const modal = await formFor(lead, who);
      expect(allText(modal.view.blocks)).toContain(sentence);
      const res = await h.driver.submitView(
        lead,
        modal.id,
        { 'request.justification': 'for them' },
        {
          raw: {
            'request.for': { 'request.for.pick': { type: 'users_select', selected_user: who } },
            'request.resources': {
              'request.resources.select': { type: 'multi_static_select', selected_options: [{ value: 'prod-db' }] },
            },
          },
        },
      );
      expect(allText(res.json)).toContain(sentence);
    }
    expect(await countRows(h, 'access_requests')).toBe(before);
  });
});

describe('the App Home flow editor', () => {
  it('saves who may request for whom, and says what is missing under the field', async () => {
    const modal = await openNewFlowEditor(h, PEOPLE.admin);
    expect(modal.view.blocks.length).toBeLessThanOrEqual(100);
    const base = {
      'af.name': 'leads',
      'af.resources': ['prod-db'],
      'af.req.users': [rita],
      'af.appr.users': [PEOPLE.approver],
      'af.max': '60',
    };
    const missing = await h.driver.submitView(PEOPLE.admin, modal.id, { ...base, 'af.behalf.users': [lead] });
    expect(missing.json?.errors).toEqual({
      'af.behalf.users': 'Pick for whom they may request: users, groups, or anyone the flow allows.',
    });
    const res = await h.driver.submitView(PEOPLE.admin, modal.id, {
      ...base,
      'af.behalf.users': [lead],
      'af.behalf.for': 'anyone_in_flow',
    });
    expect(res.text).toBe('');
    const [row] = await h.sql`select on_behalf from flows where name = 'leads'`;
    expect(row!.on_behalf).toEqual({
      requesterUsers: [lead],
      requesterGroups: [],
      forUsers: [],
      forGroups: [],
      forAnyoneInFlow: true,
    });
  });
});
