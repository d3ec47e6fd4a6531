import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approve, approverMessage, statusOf } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';
import { SSH_WEB_ACCESS_FILE, sshTestKeys } from './support/ssh-keys.js';

const keys = sshTestKeys('access-ssh-e2e-');
const { userPublicKey } = keys;
const accessFile = SSH_WEB_ACCESS_FILE;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    accessFile,
    app: {
      secretEnv: {
        ACCESS_SECRET_SSH_CA_KEY: keys.caKey,
        // Declared by the operator, so an admin may name it in App Home.
        ACCESS_SECRET_BILLING_DB_ADMIN_URL: 'postgres://billing-admin@billing.internal/billing',
      },
    },
  });
});
afterAll(async () => {
  await h?.stop();
  keys.remove();
});

describe('SSH access through Slack', () => {
  it('the form asks for the public key when SSH resources need one, and refuses without it', async () => {
    await h.driver.command(PEOPLE.requester, '/access', 'request web-1');
    const modal = await until(() => h.slack.topView(PEOPLE.requester), 'modal');
    expect(modal.view.blocks.some((b: any) => b.block_id === 'request.ssh_key')).toBe(true);
    const res = await h.driver.submitView(PEOPLE.requester, modal.id, { 'request.justification': 'deploy hotfix' });
    expect(res.json.errors['request.ssh_key']).toContain('paste it here');
    const bad = await h.driver.submitView(PEOPLE.requester, modal.id, {
      'request.justification': 'deploy hotfix',
      'request.ssh_key': '-----BEGIN OPENSSH PRIVATE KEY-----',
    });
    expect(bad.json.errors['request.ssh_key']).toContain('public key line');
    expect(await h.sql`select 1 from ssh_keys`).toHaveLength(0);
    h.slack.clearViews(PEOPLE.requester);
  });

  it('approval signs a certificate for the tuned login users and the grant window, sent to the requester', async () => {
    await h.driver.command(PEOPLE.requester, '/access', 'request web-1');
    const modal = await until(() => h.slack.topView(PEOPLE.requester), 'modal');
    await h.driver.submitView(PEOPLE.requester, modal.id, {
      'request.justification': 'deploy hotfix',
      'request.duration': '120',
      'request.ssh_key': userPublicKey,
    });
    h.slack.clearViews(PEOPLE.requester);
    await h.settle();
    const [row] = await h.sql`select id from access_requests`;
    const id = row!.id as string;
    await h.driver.clickButton(PEOPLE.approver, approverMessage(h, PEOPLE.approver, id), 'review.approve');
    const tuning = await until(() => h.slack.topView(PEOPLE.approver), 'tuning');
    expect(tuning.view.blocks.find((b: any) => b.block_id === 'tune.login.web-1').element.initial_value).toBe('deploy');
    h.slack.clearViews(PEOPLE.approver);
    await approve(h, PEOPLE.approver, id, { 'tune.login.web-1': 'deploy, ops' });
    await h.settle();
    expect(await statusOf(h, id)).toBe('active');
    const ready = h.slack.dmsTo(PEOPLE.requester).find((m) => allText(m.blocks).includes('is ready'))!;
    const cert = /(ssh-ed25519-cert-v01@openssh\.com [A-Za-z0-9+/=]+)/.exec(allText(ready.blocks))![1]!;
    const info = keys.describe(cert);
    expect(info).toContain('Type: ssh-ed25519-cert-v01@openssh.com user certificate');
    expect(info).toContain(`Key ID: "access-request:${id}:${PEOPLE.requester}"`);
    expect(info).toMatch(/Principals: \n\s+deploy\n\s+ops\n/);
    const [grant] = await h.sql`select expires_at from grants where request_id = ${id}`;
    const validTo = /Valid: from \S+ to (\S+)/.exec(info)![1]!;
    expect(new Date(`${validTo}Z`).getTime()).toBe(Math.floor((grant!.expires_at as Date).getTime() / 1000) * 1000);
    expect(await h.sql`select public_key from ssh_keys where user_id = ${PEOPLE.requester}`).toEqual([
      { public_key: userPublicKey },
    ]);
  });

  it('an admin cannot save a provisioner with a secret written in clear', async () => {
    await h.driver.appHomeOpened(PEOPLE.admin);
    await until(() => h.slack.home(PEOPLE.admin), 'home');
    await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'home.tab.resources');
    await until(() => allText(h.slack.home(PEOPLE.admin)!.view.blocks).includes('admin.resource.add'), 'resources tab');
    await h.driver.clickButton(PEOPLE.admin, { viewId: h.slack.home(PEOPLE.admin)!.id }, 'admin.resource.add');
    const modal = await until(() => h.slack.topView(PEOPLE.admin), 'resource modal');
    const res = await h.driver.submitView(PEOPLE.admin, modal.id, {
      'ar.name': 'billing-db',
      'ar.type': 'database',
      'ar.provisioner': 'postgres',
      'ar.settings': 'admin_url: postgres://postgres:hunter2@db/billing',
    });
    expect(res.json.errors['ar.settings']).toContain('secret reference');
    const ok = await h.driver.submitView(PEOPLE.admin, modal.id, {
      'ar.settings': 'admin_url: env:ACCESS_SECRET_BILLING_DB_ADMIN_URL\nhost: billing.internal',
    });
    expect(ok.status).toBe(200);
    const [row] = await h.sql`select provisioner from resources where name = 'billing-db'`;
    expect(row!.provisioner).toEqual({
      type: 'postgres',
      settings: { admin_url: 'env:ACCESS_SECRET_BILLING_DB_ADMIN_URL', host: 'billing.internal' },
    });
    expect(JSON.stringify(await h.sql`select * from audit_events`)).not.toContain('hunter2');
  });
});
