import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';
import {
  allText,
  approve,
  approverMessage,
  forgeClick,
  myMessage,
  replyTo,
  requestAccess,
  statusOf,
  openNewFlowEditor,
} from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

const rita = PEOPLE.requester;
const dana = PEOPLE.dba;
const sam = PEOPLE.supporter;
const oscar = PEOPLE.other;
const alex = PEOPLE.approver;

// Rita's manager is Dana; Oscar is his own manager (a mistake in the file); Alex has none.
const accessFile = `
managers:
  U0REQ: U0DBA1
  U0OTHER: U0OTHER
resources:
  - { name: staging-db, type: database, tags: [staging] }
  - { name: billing-db, type: database, tags: [billing] }
flows:
  - name: staging
    resources: { tags: [staging] }
    requesters: { everyone: true }
    approvers: { manager: true, manager_fallback: { groups: [S0SUPPORT] } }
    on_behalf: { requesters: { users: [U0APPR] }, for: { users: [U0REQ] } }
  - name: billing
    resources: { tags: [billing] }
    requesters: { everyone: true }
    stages:
      - name: manager
        approvers: { manager: true, manager_fallback: { users: [U0SUPP2] } }
      - name: owner
        approvers: { users: [U0APPR] }
`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ accessFile });
});
afterAll(async () => {
  await h?.stop();
});

const justification = 'INC-9: check a migration';
const row = async (id: string) =>
  (await h.sql`select status, decided_by, on_call_approvers, manager from access_requests where id = ${id}`)[0]!;
const created = async (id: string) =>
  (await h.sql`select details from audit_events where request_id = ${id} and action = 'request.created'`)[0]!
    .details as Record<string, unknown>;

describe("the requester's manager as an approver", () => {
  it('the manager from the access file gets the approver message, says where it came from, and can approve', async () => {
    const [id] = (await requestAccess(h, rita, { resources: ['staging-db'], duration: '60', justification })) as [
      string,
    ];
    const text = allText(approverMessage(h, dana, id).message.blocks);
    expect(text).toContain(`Manager: <@${dana}> (from the access file)`);
    expect(text).not.toContain('On call, asked too');
    // The requester sees who was asked too.
    expect(allText(myMessage(h, rita, id).message.blocks)).toContain(`Manager: <@${dana}> (from the access file)`);
    // The fallback group is not asked when the manager is found.
    expect(h.slack.dmsTo(sam).some((m) => allText(m.blocks).includes(id))).toBe(false);
    expect(await created(id)).toMatchObject({ manager: { slackId: dana, source: 'access file' } });
    // Someone else clicking a forged Approve is refused, and nothing changes.
    const reply = await replyTo(h, () => forgeClick(h, alex, approverMessage(h, dana, id), 'review.approve', id));
    expect(reply.text).toBe('Only an approver of this request can do that.');
    expect(await statusOf(h, id)).toBe('pending');
    await approve(h, dana, id);
    expect(await row(id)).toMatchObject({ status: 'active', decided_by: dana });
  });

  it('nobody found: the fallback group is asked and the message says so', async () => {
    const [id] = (await requestAccess(h, alex, { resources: ['staging-db'], duration: '60', justification })) as [
      string,
    ];
    const text = allText(approverMessage(h, sam, id).message.blocks);
    expect(text).toContain(
      `No manager found for <@${alex}> in the access file: asked the fallback group <!subteam^S0SUPPORT>`,
    );
    expect(await created(id)).toMatchObject({ manager: { slackId: null, fallbackGroups: ['S0SUPPORT'] } });
    await approve(h, sam, id);
    expect(await row(id)).toMatchObject({ status: 'active', decided_by: sam });
  });

  it('a requester who is their own manager is never asked to approve: the fallback is', async () => {
    const [id] = (await requestAccess(h, oscar, { resources: ['staging-db'], duration: '60', justification })) as [
      string,
    ];
    expect(h.slack.dmsTo(oscar).some((m) => allText(m.blocks).includes('review.approve'))).toBe(false);
    expect(allText(approverMessage(h, sam, id).message.blocks)).toContain(
      `<@${oscar}> is their own manager in the access file: asked the fallback group`,
    );
    expect((await row(id)).on_call_approvers).not.toContain(oscar);
    const reply = await replyTo(h, () => forgeClick(h, oscar, approverMessage(h, sam, id), 'review.approve', id));
    expect(reply.text).not.toBe('');
    expect(await statusOf(h, id)).toBe('pending');
  });

  it('a two-stage flow whose first stage is the manager: the manager passes it, then the owner decides', async () => {
    const [id] = (await requestAccess(h, rita, { resources: ['billing-db'], duration: '60', justification })) as [
      string,
    ];
    expect(allText(approverMessage(h, dana, id).message.blocks)).toContain(`Manager: <@${dana}>`);
    // The owner is not asked before the manager's stage passes.
    expect(h.slack.dmsTo(alex).some((m) => allText(m.blocks).includes(id))).toBe(false);
    await approve(h, dana, id);
    expect(await statusOf(h, id)).toBe('pending');
    await approve(h, alex, id);
    expect(await row(id)).toMatchObject({ status: 'active', decided_by: alex });
  });
});

describe('/access whocan and explain name the manager and who may ask for whom', () => {
  const command = (user: string, text: string) => replyTo(h, () => h.driver.command(user, '/access', text));

  it('whocan: "the requester\'s manager (from the access file), else" the fallback, and the on-behalf rule', async () => {
    const text = allText((await command(PEOPLE.admin, 'whocan staging-db')).blocks);
    expect(text).toContain(
      "*Approvers:* the requester's manager (from the access file), else @support (2: <@U0SUPP2>, <@U0GUEST>) · one approval",
    );
    expect(text).toContain(`*On behalf:* <@${alex}> may request for <@${rita}>`);
  });

  it('whocan: a stage of only the manager says so', async () => {
    const text = allText((await command(PEOPLE.admin, 'whocan billing-db')).blocks);
    expect(text).toContain(
      `1. manager: the requester's manager (from the access file), else <@${sam}> · one approval → 2. owner: <@${alex}>`,
    );
  });

  it("explain: looks the person's manager up, and counts them among who would approve", async () => {
    const text = allText((await command(PEOPLE.admin, `explain <@${rita}> staging-db`)).blocks);
    expect(text).toContain(`*Who would approve:* <@${dana}>`);
    expect(text).toContain(`Manager: <@${dana}> (from the access file)`);
    expect(text).toContain(`*On behalf:* <@${alex}> may request for <@${rita}>`);
    const none = allText((await command(PEOPLE.admin, `explain <@${alex}> staging-db`)).blocks);
    expect(none).toContain(`No manager found for <@${alex}> in the access file: asked the fallback group`);
  });

  it('the HTTP API answers the same as JSON', async () => {
    const { token } = await h.app.services.apiKeys.create(PEOPLE.admin, 'tooling');
    const get = async (path: string) =>
      (await (
        await fetch(`http://127.0.0.1:${h.port}${path}`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as Record<string, unknown>;
    expect(await get('/api/v1/whocan?resource=staging-db')).toMatchObject({
      flows: [
        {
          approvers: { manager: { sources: ['the access file'], fallback: { groups: [{ id: 'S0SUPPORT' }] } } },
          on_behalf: { requesters: { users: [alex] }, anyone_in_flow: false, for: { users: [rita] } },
        },
      ],
    });
    expect(await get(`/api/v1/explain?user=${rita}&resource=staging-db`)).toMatchObject({
      may_request: true,
      approvers: [dana],
      manager: { slackId: dana, source: 'access file' },
    });
  });
});

describe('the manager in the App Home flow editor', () => {
  it('an admin ticks "Requester\'s manager" with a fallback group: stored', async () => {
    const modal = await openNewFlowEditor(h, PEOPLE.admin);
    expect(allText(modal.view.blocks)).toContain("Requester's manager");
    const res = await h.driver.submitView(PEOPLE.admin, modal.id, {
      'af.name': 'manager-web',
      'af.resources': ['billing-db'],
      'af.req.users': [rita],
      'af.max': '60',
      'af.manager': ['manager'],
      'af.mgr.groups': ['S0SUPPORT'],
    });
    expect(res.text).toBe('');
    h.slack.clearViews(PEOPLE.admin);
    const [row] = await h.sql`select lifecycle, approver_users from flows where name = 'manager-web'`;
    expect(row!.lifecycle).toMatchObject({ managerApprover: { fallbackUsers: [], fallbackGroups: ['S0SUPPORT'] } });
    expect(row!.approver_users).toEqual([]);
  });
});
