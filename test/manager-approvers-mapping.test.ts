import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approve, approverMessage, requestAccess, statusOf } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

const rita = PEOPLE.requester;
const dana = PEOPLE.dba;
const sam = PEOPLE.supporter;
const oscar = PEOPLE.other;
const alex = PEOPLE.approver;

/** The `managers:` mapping by e-mail (matched through Slack's users.lookupByEmail), and its reload. */
const accessFile = (managers: string) => `
managers:
${managers}
resources:
  - { name: staging-db, type: database, tags: [staging] }
flows:
  - name: staging
    resources: { tags: [staging] }
    requesters: { everyone: true }
    approvers: { manager: true, manager_fallback: { users: [U0SUPP2] } }
`;
const FIRST = `  rita@example.com: dana@example.com
  OSCAR@example.com: nobody@example.com`;

let h: Harness;
let path: string;
beforeAll(async () => {
  path = join(mkdtempSync(join(tmpdir(), 'access-managers-')), 'access.yml');
  writeFileSync(path, accessFile(FIRST));
  h = await startHarness({ accessFile: accessFile(FIRST), app: { accessFilePath: path } });
  h.slack.updateUser(dana, { email: 'dana@example.com' });
  h.slack.updateUser(oscar, { email: 'oscar@example.com' });
  h.slack.updateUser(alex, { email: 'alex@example.com' });
});
afterAll(async () => {
  await h?.stop();
});

const justification = 'INC-13: check a migration';
const ask = async (who: string) =>
  ((await requestAccess(h, who, { resources: ['staging-db'], duration: '60', justification })) as [string])[0];

describe('the managers: mapping by e-mail', () => {
  it("the requester's Slack e-mail finds the entry, the manager's e-mail finds the Slack user, who approves", async () => {
    const id = await ask(rita);
    expect(allText(approverMessage(h, dana, id).message.blocks)).toContain(
      `Manager: <@${dana}> (from the access file)`,
    );
    await approve(h, dana, id);
    expect(await statusOf(h, id)).toBe('active');
  });

  it('a manager e-mail no Slack user has: the fallback is asked, and the message says why', async () => {
    const id = await ask(oscar);
    expect(allText(approverMessage(h, sam, id).message.blocks)).toContain(
      `The manager in the access file, nobody@example.com, is not a Slack user: asked the fallback <@${sam}>`,
    );
    const [created] =
      await h.sql`select details from audit_events where request_id = ${id} and action = 'request.created'`;
    expect(created!.details).toMatchObject({ manager: { slackId: null, unknownEmail: 'nobody@example.com' } });
  });
});

describe('a reloaded ACCESS_CONFIG', () => {
  it('a changed managers: mapping (and nothing else) sends the next request to the new manager', async () => {
    writeFileSync(path, accessFile(`  rita@example.com: ${alex}`));
    expect(await h.app.reloadAccessFile('sighup')).toMatchObject({ outcome: 'unchanged' });
    const id = await ask(rita);
    expect(allText(approverMessage(h, alex, id).message.blocks)).toContain(
      `Manager: <@${alex}> (from the access file)`,
    );
    expect(h.slack.dmsTo(dana).some((m) => allText(m.blocks).includes(id))).toBe(false);
  });
});
