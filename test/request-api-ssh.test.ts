import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';
import { approve, replyTo } from './support/journey-steps.js';
import { apiClient, openApiChecker, type Checker } from './support/request-api-client.js';
import { PEOPLE } from './support/workspace.js';
import { SSH_WEB_ACCESS_FILE, sshTestKeys } from './support/ssh-keys.js';

/**
 * SSH access asked for through the request API: the certificate the SSH provisioner signs for the
 * person's own key comes back in `access[].ssh_certificate` (public), with the instructions, while the
 * DM still carries it; an approved extension hands over the new certificate.
 */
const keys = sshTestKeys('access-api-ssh-');
const { dir, userPublicKey } = keys;

let h: Harness;
let checker: Checker;
let call: ReturnType<typeof apiClient>;
beforeAll(async () => {
  h = await startHarness({
    accessFile: SSH_WEB_ACCESS_FILE,
    app: { secretEnv: { ACCESS_SECRET_SSH_CA_KEY: keys.caKey } },
  });
  checker = await openApiChecker(h);
  const reply = await replyTo(h, () => h.driver.command(PEOPLE.requester, '/access', 'token create ssh'));
  call = apiClient(h, checker, /```(ark_pat_\S+)```/.exec(reply.text)![1]!, { 'x-access-channel': 'cli' });
});
afterAll(async () => {
  await h?.stop();
  keys.remove();
});

const describeCertificate = keys.describe;

describe('an SSH grant through the API', () => {
  let id: string;
  let first: string;

  it('hands over the certificate for the person’s own key once approved, and says the DM has it too', async () => {
    const made = await call('POST', '/api/v1/requests', {
      body: {
        resources: ['web-1'],
        duration_minutes: 120,
        justification: 'deploy hotfix',
        ssh_public_key: userPublicKey,
      },
    });
    expect(made.status).toBe(201);
    id = made.json.requests[0].id;
    await h.settle();
    const waiting = call('GET', `/api/v1/requests/${id}/wait?timeout=30`);
    await approve(h, PEOPLE.approver, id);
    const { json } = await waiting;
    expect(json.request.status).toBe('active');
    const [access] = json.request.access;
    expect(access).toMatchObject({
      resource: 'web-1',
      status: 'active',
      credential: { label: 'SSH certificate', delivered_in: 'slack_dm' },
    });
    expect(access.instructions).toContain('CertificateFile=');
    expect(access.ssh_certificate).toMatch(/^ssh-ed25519-cert-v01@openssh\.com /);
    first = access.ssh_certificate;
    const described = describeCertificate(first);
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', join(dir, 'user.pub')], { encoding: 'utf8' }).split(
      ' ',
    )[1]!;
    expect(described).toContain(fingerprint);
    expect(described).toContain('deploy');
    expect(described).toContain(`access-request:${id}:${PEOPLE.requester}`);
    // The DM carries the same certificate.
    expect(JSON.stringify(h.slack.dmsTo(PEOPLE.requester))).toContain(first.split(' ')[1]!.slice(0, 60));
  });

  it('an approved extension hands over the new certificate', async () => {
    const more = await call('POST', `/api/v1/requests/${id}/extend`, {
      body: { duration_minutes: 60, justification: 'deploy takes longer' },
    });
    expect(more.status).toBe(201);
    await h.settle();
    await approve(h, PEOPLE.approver, more.json.id);
    await h.settle();
    const { json } = await call('GET', `/api/v1/requests/${id}`);
    const renewed = json.access[0].ssh_certificate as string;
    expect(renewed).toMatch(/^ssh-ed25519-cert-v01@openssh\.com /);
    expect(renewed).not.toBe(first);
  });

  it('after release the certificate is no longer offered', async () => {
    const released = await call('POST', `/api/v1/requests/${id}/release`);
    expect(released.json.access[0]).toMatchObject({ ssh_certificate: null, instructions: null });
  });
});
