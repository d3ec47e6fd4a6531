import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DOUBLE_CLIENT_ID,
  DOUBLE_CLIENT_SECRET,
  startEntraDouble,
  type EntraDouble,
} from '../doubles/entra/entra-double.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approve, approverMessage, replyTo, requestAccess, statusOf } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

const rita = PEOPLE.requester;
const dana = PEOPLE.dba;
const sam = PEOPLE.supporter;
const oscar = PEOPLE.other;
const alex = PEOPLE.approver;

/** The requester's manager from Microsoft Graph (`GET /users/{upn}/manager`) through the Entra group source's app. */
const accessFile = (url: string, tenant: string) => `
group_sources:
  - name: entra-jit
    source: entra
    connection:
      tenant_id: ${tenant}
      client_id: ${DOUBLE_CLIENT_ID}
      client_secret: "env:ACCESS_SECRET_ENTRA_CLIENT_SECRET"
      authority_host: "${url}"
      graph_url: "${url}"
    filter: { name_prefix: jit- }
    tags: [entra-jit]
    interval: 1d
resources:
  - { name: staging-db, type: database, tags: [staging] }
flows:
  - name: staging
    resources: { tags: [staging] }
    requesters: { everyone: true }
    approvers: { manager: true, manager_fallback: { groups: [S0DBTEAM] } }
`;

let entra: EntraDouble;
let h: Harness;
beforeAll(async () => {
  entra = await startEntraDouble();
  entra.setAppRoles(DOUBLE_CLIENT_ID, ['GroupMember.ReadWrite.All', 'User.Read.All']);
  const danaInEntra = entra.addUser({ userPrincipalName: 'dana@example.com' });
  entra.addUser({ userPrincipalName: 'rita@example.com', managerId: danaInEntra.id });
  // Alex's UPN is on the tenant's own domain: found by mail instead; his manager's mail is Rita's.
  const ritaByMail = entra.addUser({ userPrincipalName: 'rita.r@contoso.onmicrosoft.com', mail: 'RITA@example.com' });
  entra.addUser({
    userPrincipalName: 'alex@contoso.onmicrosoft.com',
    mail: 'alex@example.com',
    managerId: ritaByMail.id,
  });
  entra.addUser({ userPrincipalName: 'sam@example.com' });
  entra.addUser({ userPrincipalName: 'oscar@example.com', managerId: danaInEntra.id });
  h = await startHarness({
    accessFile: accessFile(entra.url, entra.tenantId),
    app: {
      secretEnv: { ACCESS_SECRET_ENTRA_CLIENT_SECRET: DOUBLE_CLIENT_SECRET },
      entraManagerOptions: { ca: entra.ca, retry: { maxRetries: 0, delaySeconds: 0, maxRetryAfterSeconds: 0 } },
    },
  });
  for (const [id, email] of [
    [dana, 'dana@example.com'],
    [alex, 'alex@example.com'],
    [sam, 'sam@example.com'],
    [oscar, 'oscar@example.com'],
  ] as const)
    h.slack.updateUser(id, { email });
});
afterAll(async () => {
  await h?.stop();
  await entra?.stop();
});

const justification = 'INC-12: look at a slow query';
const managerCalls = () => entra.graphRequests().filter((r) => /\/manager(\?|$)/.test(r.path)).length;
const ask = async (who: string) =>
  ((await requestAccess(h, who, { resources: ['staging-db'], duration: '60', justification })) as [string])[0];

describe("the requester's manager from Entra ID", () => {
  it('found by UPN through Graph with a bearer token: the manager is asked, the message says Entra ID, and approves', async () => {
    const id = await ask(rita);
    expect(allText(approverMessage(h, dana, id).message.blocks)).toContain(`Manager: <@${dana}> (from Entra ID)`);
    const calls = entra.graphRequests().filter((r) => r.path.includes('/manager'));
    expect(calls.map((r) => r.path)).toContain(
      '/v1.0/users/rita%40example.com/manager?$select=id,mail,userPrincipalName,displayName',
    );
    expect(calls.every((r) => String(r.headers.authorization).startsWith('Bearer '))).toBe(true);
    const [created] =
      await h.sql`select details from audit_events where request_id = ${id} and action = 'request.created'`;
    expect(created!.details).toMatchObject({ manager: { slackId: dana, source: 'Entra ID' } });
    await approve(h, dana, id);
    expect(await statusOf(h, id)).toBe('active');
  });

  it('a second request within ten minutes does not ask Graph again', async () => {
    const before = managerCalls();
    const id = await ask(rita);
    expect(allText(approverMessage(h, dana, id).message.blocks)).toContain(`Manager: <@${dana}> (from Entra ID)`);
    expect(managerCalls()).toBe(before);
  });

  it('a requester whose UPN is not their e-mail is found by mail, and the manager by mail too', async () => {
    const id = await ask(alex);
    expect(allText(approverMessage(h, rita, id).message.blocks)).toContain(`Manager: <@${rita}> (from Entra ID)`);
  });

  it("no manager in Entra ID (Graph's 404 on 'manager'): the fallback group is asked and the message says so", async () => {
    const id = await ask(sam);
    expect(allText(approverMessage(h, dana, id).message.blocks)).toContain(
      `No manager found for <@${sam}> in Entra ID: asked the fallback group <!subteam^S0DBTEAM>`,
    );
  });

  it('/access whocan says where the manager comes from', async () => {
    const reply = await replyTo(h, () => h.driver.command(PEOPLE.admin, '/access', 'whocan staging-db'));
    expect(allText(reply.blocks)).toContain("*Approvers:* the requester's manager (from Entra ID), else");
  });

  it('Graph down: the request is not blocked, the fallback is asked with a note', async () => {
    entra.failGraph(1, { status: 503, match: /\/manager/ });
    const id = await ask(oscar);
    expect(await statusOf(h, id)).toBe('pending');
    expect(allText(approverMessage(h, dana, id).message.blocks)).toContain(
      'Entra ID did not answer (HTTP 503): asked the fallback group <!subteam^S0DBTEAM>',
    );
  });
});
