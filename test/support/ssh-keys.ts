import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A CA key and Rita's key pair made by ssh-keygen in a folder of their own, for SSH grants in tests. */
export function sshTestKeys(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'ca')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'rita@laptop', '-f', join(dir, 'user')]);
  return {
    dir,
    /** The CA's private key, as the operator declares it (ACCESS_SECRET_SSH_CA_KEY). */
    caKey: readFileSync(join(dir, 'ca'), 'utf8'),
    userPublicKey: readFileSync(join(dir, 'user.pub'), 'utf8').trim(),
    /** What `ssh-keygen -L` says of a certificate: its key id, principals and validity. */
    describe(certificate: string): string {
      writeFileSync(join(dir, 'user-cert.pub'), `${certificate}\n`);
      return execFileSync('ssh-keygen', ['-L', '-f', join(dir, 'user-cert.pub')], {
        encoding: 'utf8',
        env: { ...process.env, TZ: 'UTC' },
      });
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** One SSH server (web-1, login `deploy`) that Rita may request and Alex approves. */
export const SSH_WEB_ACCESS_FILE = `
resources:
  - name: web-1
    type: ssh
    tags: [production]
    defaults: { login_users: [deploy] }
    provisioner: { type: ssh, ca_key: "env:ACCESS_SECRET_SSH_CA_KEY", host: web-1.internal }
flows:
  - name: web
    resources: { tags: [production] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
`;
