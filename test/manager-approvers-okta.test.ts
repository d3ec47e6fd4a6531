import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOktaDouble, type OktaDouble } from '../doubles/okta/okta-double.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approve, approverMessage, requestAccess, statusOf } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

const TOKEN = '00okta-api-token-managers-0123456';
const rita = PEOPLE.requester;
const dana = PEOPLE.dba;
const sam = PEOPLE.supporter;
const oscar = PEOPLE.other;
const alex = PEOPLE.approver;

const accessFile = (url: string) => `
group_sources:
  - name: okta-jit
    source: okta
    connection: { org_url: "${url}", token: "env:ACCESS_SECRET_OKTA_API_TOKEN" }
    filter: { name_prefix: jit- }
    tags: [okta-jit]
    interval: 1d
resources:
  - { name: staging-db, type: database, tags: [staging] }
flows:
  - name: staging
    resources: { tags: [staging] }
    requesters: { everyone: true }
    approvers: { manager: true, manager_fallback: { groups: [S0DBTEAM] } }
`;

let okta: OktaDouble;
let h: Harness;
beforeAll(async () => {
  okta = await startOktaDouble({ token: TOKEN });
  const danaInOkta = okta.addUser({ login: 'dana@example.com' });
  // Rita's manager by Okta id, Alex's by login; Sam has none.
  okta.addUser({ login: 'rita@example.com', managerId: danaInOkta.id });
  okta.addUser({ login: 'alex@example.com', managerId: 'rita@example.com' });
  okta.addUser({ login: 'sam@example.com' });
  okta.addUser({ login: 'oscar@example.com', managerId: danaInOkta.id });
  h = await startHarness({
    accessFile: accessFile(okta.url),
    app: { secretEnv: { ACCESS_SECRET_OKTA_API_TOKEN: TOKEN } },
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
  await okta?.stop();
});

const justification = 'INC-11: look at a slow query';
const userCalls = () => okta.requests.filter((r) => r.path.startsWith('/api/v1/users')).length;
const ask = async (who: string) =>
  ((await requestAccess(h, who, { resources: ['staging-db'], duration: '60', justification })) as [string])[0];

describe("the requester's manager from Okta", () => {
  it('found by managerId, then e-mail, then Slack: the manager is asked, the message says Okta, and approves', async () => {
    const id = await ask(rita);
    expect(allText(approverMessage(h, dana, id).message.blocks)).toContain(`Manager: <@${dana}> (from Okta)`);
    expect(okta.requests.filter((r) => r.path.startsWith('/api/v1/users')).every((r) => r.authorized)).toBe(true);
    const [created] =
      await h.sql`select details from audit_events where request_id = ${id} and action = 'request.created'`;
    expect(created!.details).toMatchObject({ manager: { slackId: dana, source: 'Okta' } });
    await approve(h, dana, id);
    expect(await statusOf(h, id)).toBe('active');
  });

  it('a second request within ten minutes does not ask Okta again', async () => {
    const before = userCalls();
    const id = await ask(rita);
    expect(allText(approverMessage(h, dana, id).message.blocks)).toContain(`Manager: <@${dana}> (from Okta)`);
    expect(userCalls()).toBe(before);
  });

  it('a managerId that is a login works too', async () => {
    const id = await ask(alex);
    expect(allText(approverMessage(h, rita, id).message.blocks)).toContain(`Manager: <@${rita}> (from Okta)`);
  });

  it('nobody found: the fallback group is asked and the message says so', async () => {
    const id = await ask(sam);
    expect(allText(approverMessage(h, dana, id).message.blocks)).toContain(
      `No manager found for <@${sam}> in Okta: asked the fallback group <!subteam^S0DBTEAM>`,
    );
  });

  it('Okta down: the request is not blocked, the fallback is asked with a note', async () => {
    okta.setDown(true);
    try {
      const id = await ask(oscar);
      expect(await statusOf(h, id)).toBe('pending');
      expect(allText(approverMessage(h, dana, id).message.blocks)).toContain(
        'Okta did not answer (HTTP 503): asked the fallback group <!subteam^S0DBTEAM>',
      );
    } finally {
      okta.setDown(false);
    }
  });
});
