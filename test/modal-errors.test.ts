import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryProvisioner } from '../src/provisioners/memory/memory-provisioner.js';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approve, approverMessage, myMessage, requestAccess, statusOf } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/**
 * Slack refuses `response_action: errors` keyed to a block the submitted modal has no input for (the
 * person sees a generic error, the double answers slackError). These are the answers that could do so.
 */
const dir = mkdtempSync(join(tmpdir(), 'access-modal-errors-'));
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'ca')]);
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'rita@laptop', '-f', join(dir, 'user')]);
const userPublicKey = readFileSync(join(dir, 'user.pub'), 'utf8').trim();

const memory = createMemoryProvisioner();
const accessFile = `
resources:
  - name: web-1
    type: ssh
    tags: [production]
    defaults: { login_users: [deploy] }
    provisioner: { type: ssh, ca_key: "env:ACCESS_SECRET_SSH_CA_KEY", host: web-1.internal }
  - { name: prod-db, type: database, tags: [production], provisioner: { type: memory } }
flows:
  - name: prod
    resources: { tags: [production] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    accessFile,
    app: {
      secretEnv: { ACCESS_SECRET_SSH_CA_KEY: readFileSync(join(dir, 'ca'), 'utf8') },
      extraProvisioners: [memory.provisioner],
    },
  });
});
afterAll(async () => {
  await h?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('field errors the modal has no field for', () => {
  it('an SSH key removed after the form opened without its field: the form shows the field and says why', async () => {
    await h.sql`insert into ssh_keys (user_id, public_key) values (${PEOPLE.requester}, ${userPublicKey})`;
    await h.driver.command(PEOPLE.requester, '/access', 'request web-1');
    const modal = await until(() => h.slack.topView(PEOPLE.requester), 'request modal');
    expect(modal.view.blocks.map((b: any) => b.block_id)).not.toContain('request.ssh_key');
    await h.sql`delete from ssh_keys where user_id = ${PEOPLE.requester}`;

    const res = await h.driver.submitView(PEOPLE.requester, modal.id, { 'request.justification': 'deploy hotfix' });
    expect(res.slackError).toBeUndefined();
    const shown = h.slack.topView(PEOPLE.requester)!;
    expect(shown.id).toBe(modal.id);
    expect(shown.view.blocks.map((b: any) => b.block_id)).toContain('request.ssh_key');
    expect(allText(shown.view.blocks)).toContain('paste it here');
    expect(await h.sql`select 1 from access_requests`).toHaveLength(0);

    // What the person typed is still there; with the key pasted, the request goes out.
    const again = await h.driver.submitView(PEOPLE.requester, modal.id, { 'request.ssh_key': userPublicKey });
    expect(again.slackError).toBeUndefined();
    expect(again.json?.response_action).toBe('update');
    const [row] = await h.sql`select justification from access_requests`;
    expect(row!.justification).toBe('deploy hotfix');
    h.slack.clearViews(PEOPLE.requester);
  });

  it('a resource problem on the extension modal (which has no resource picker) is said in the modal', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'INC-9',
    });
    await approve(h, PEOPLE.approver, id!);
    await h.settle();
    expect(await statusOf(h, id!)).toBe('active');
    await h.driver.clickButton(PEOPLE.requester, myMessage(h, PEOPLE.requester, id!), 'request.extend');
    const ask = await until(() => h.slack.topView(PEOPLE.requester), 'extend modal');
    await h.driver.submitView(PEOPLE.requester, ask.id, {
      'extend.duration': '120',
      'extend.reason': 'INC-9 needs longer',
    });
    h.slack.clearViews(PEOPLE.requester);
    await h.settle();
    const [ext] = await h.sql`select id from access_requests where extends_request_id = ${id!}`;

    await h.driver.clickButton(PEOPLE.approver, approverMessage(h, PEOPLE.approver, ext!.id), 'review.approve');
    const tuning = await until(() => h.slack.topView(PEOPLE.approver), 'extension approval modal');
    expect(tuning.view.title.text).toBe('Approve extension');
    // The grant's recorded resources no longer match what the extension asks for.
    await h.sql`update grants set policy = jsonb_set(policy, '{resources}', '[]'::jsonb) where request_id = ${id!}`;
    const res = await h.driver.submitView(PEOPLE.approver, tuning.id, {});
    expect(res.slackError).toBeUndefined();
    const shown = h.slack.topView(PEOPLE.approver)!;
    expect(allText(shown.view.blocks)).toContain('Keep at least one resource');
    expect(await statusOf(h, ext!.id)).toBe('pending');
  });
});
