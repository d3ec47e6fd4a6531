import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentProvisioningError } from '../../src/provisioners/port.js';
import { buildRevokedKeysList, createSshProvisioner } from '../../src/provisioners/ssh/ssh-provisioner.js';
import {
  ensureUser,
  generateKey,
  grantContext,
  mustRun,
  removeUser,
  run,
  sshWhoami,
  sshdUnavailable,
  startSshd,
  type Sshd,
} from './ssh-support.js';

const USER_A = 'jit_ssh_a';
const USER_B = 'jit_ssh_b';

let dir: string;
let workDir: string;
let ca: { privateKey: string; publicKey: string };
let user: { privateKey: string; publicKey: string };
let provisioner: ReturnType<typeof createSshProvisioner>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssh-test-'));
  workDir = join(dir, 'work');
  await mustRun('mkdir', ['-m', '700', workDir]);
  ca = await generateKey(join(dir, 'ca'), 'test-ca');
  user = await generateKey(join(dir, 'user'), 'dev@laptop');
  provisioner = createSshProvisioner({ tmpDir: workDir });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function ctxFor(over: Parameters<typeof grantContext>[0] = {}) {
  return grantContext({
    sshPublicKey: user.publicKey,
    settings: { ca_key: ca.privateKey, host: '127.0.0.1', port: 22 },
    ...over,
  });
}

async function writeCert(name: string, cert: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `${cert}\n`, { mode: 0o600 });
  return path;
}

describe('SSH provisioner: certificates', () => {
  it('signs a user certificate for the tuned login users and the grant window', async () => {
    const ctx = ctxFor({ loginUsers: [USER_A, 'deploy'] });
    const result = await provisioner.provision(ctx);
    const { serial, keyId, principals, validBefore } = result.state as Record<string, unknown>;
    expect(keyId).toBe('access-request:req-42:U123');
    expect(principals).toEqual([USER_A, 'deploy']);
    expect(validBefore).toBe('2030-01-02T04:04:05.000Z');
    expect(result.secret?.label).toBe('SSH certificate');
    expect(result.secret?.value).toMatch(/^ssh-ed25519-cert-v01@openssh\.com [A-Za-z0-9+/=]+/);
    expect(result.instructions).toContain(
      `ssh -i <your key> -o CertificateFile=~/.ssh/bastion-cert.pub ${USER_A}@127.0.0.1 -p 22`,
    );
    expect(result.instructions).not.toContain('PRIVATE KEY');

    const certPath = await writeCert('cert-1.pub', result.secret?.value ?? '');
    // ssh-keygen prints times in the local zone: pin it to UTC to compare with the grant.
    const listing = await mustRun('ssh-keygen', ['-L', '-f', certPath], { ...process.env, TZ: 'UTC' });
    expect(listing).toMatch(/Type: ssh-ed25519-cert-v01@openssh\.com user certificate/);
    expect(listing).toContain('Key ID: "access-request:req-42:U123"');
    expect(listing).toContain(`Serial: ${String(serial)}`);
    // Starts a minute early for clock skew, ends exactly at expiresAt.
    expect(listing).toContain('Valid: from 2030-01-02T03:03:05 to 2030-01-02T04:04:05');
    const principalBlock = /Principals:\s*\n((?:\s{16}\S+\n)+)/.exec(listing)?.[1] ?? '';
    expect(principalBlock.trim().split(/\s+/)).toEqual([USER_A, 'deploy']);
    const fingerprint = (await mustRun('ssh-keygen', ['-l', '-f', join(dir, 'ca.pub')])).split(' ')[1];
    expect(listing).toContain(`Signing CA: ED25519 ${fingerprint}`);

    // Nothing (CA key above all) is left behind in the working directory.
    expect(await readdir(workDir)).toEqual([]);
  });

  it('derives the serial from the grant id: same grant, same serial; other grant, other serial', async () => {
    const a = await provisioner.provision(ctxFor());
    const again = await provisioner.provision(ctxFor());
    const other = await provisioner.provision(ctxFor({ grantId: 'grant-2' }));
    expect(a.state.serial).toBe(again.state.serial);
    expect(other.state.serial).not.toBe(a.state.serial);
    expect(BigInt(String(a.state.serial))).toBeLessThan(2n ** 63n);
  });

  it('extends by issuing a new certificate for the new window', async () => {
    const ctx = ctxFor();
    const first = await provisioner.provision(ctx);
    const later = new Date(ctx.expiresAt.getTime() + 30 * 60_000);
    const extended = await provisioner.extend!({ ...ctx, expiresAt: later }, first.state);
    expect(extended.state.validBefore).toBe(later.toISOString());
    expect(extended.state.serial).toBe(first.state.serial);
    const listing = await mustRun(
      'ssh-keygen',
      ['-L', '-f', await writeCert('cert-ext.pub', extended.secret?.value ?? '')],
      {
        ...process.env,
        TZ: 'UTC',
      },
    );
    expect(listing).toContain('to 2030-01-02T04:34:05');
  });

  it('reports presence until validBefore and deprovisions without error', async () => {
    const ctx = ctxFor();
    expect(await provisioner.isPresent!(ctx, { validBefore: new Date(Date.now() + 60_000).toISOString() })).toBe(true);
    expect(await provisioner.isPresent!(ctx, { validBefore: new Date(Date.now() - 1000).toISOString() })).toBe(false);
    expect(await provisioner.isPresent!(ctx, {})).toBe(false);
    await expect(provisioner.deprovision(ctx, { serial: '1' })).resolves.toBeUndefined();
  });
});

describe('SSH provisioner: refusals', () => {
  it('refuses a missing public key and tells the requester how to set one', async () => {
    const err = await provisioner.provision(ctxFor({ sshPublicKey: null })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect((err as Error).message).toContain('/access ssh-key <public key>');
  });

  it.each([
    ['garbage', 'not a key'],
    ['bad base64', 'ssh-ed25519 AAAA!!!! me'],
    ['body of another type', () => `ssh-rsa ${user.publicKey.split(' ')[1]}`],
    ['unknown type', () => `ssh-dss ${user.publicKey.split(' ')[1]}`],
    ['a certificate', () => `ssh-ed25519-cert-v01@openssh.com ${user.publicKey.split(' ')[1]}`],
    ['two lines', () => `${user.publicKey}\n${user.publicKey}`],
    ['a private key', () => ca.privateKey],
  ])('refuses a malformed public key (%s)', async (_name, key) => {
    const sshPublicKey = typeof key === 'function' ? key() : key;
    const err = await provisioner.provision(ctxFor({ sshPublicKey })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect((err as Error).message).toContain('/access ssh-key <public key>');
    expect((err as Error).message).not.toContain('PRIVATE KEY');
  });

  it('validates settings: ca_key must be a secret reference, never a literal key', () => {
    expect(
      provisioner.validateSettings({ ca_key: 'env:ACCESS_SECRET_SSH_CA_KEY', host: 'bastion.example.com' }),
    ).toBeNull();
    expect(provisioner.validateSettings({ ca_key: 'file:/run/secrets/ca', host: 'b', port: 2222 })).toBeNull();
    const literal = provisioner.validateSettings({ ca_key: ca.privateKey, host: 'b' });
    expect(literal).toMatch(/secret reference/);
    expect(literal).not.toContain('PRIVATE KEY');
    expect(provisioner.validateSettings({ host: 'b' })).toMatch(/ca_key/);
    expect(provisioner.validateSettings({ ca_key: 'env:ACCESS_SECRET_X' })).toMatch(/host/);
    expect(provisioner.validateSettings({ ca_key: 'env:ACCESS_SECRET_X', host: 'b', port: 70000 })).toMatch(/port/);
  });

  it.each([['root; id'], ['$(id)'], ['a,root'], ['-oProxyCommand=x'], ['Root'], ['a b'], ['x'.repeat(33)]])(
    'refuses login user %j even if the grant got through',
    async (bad) => {
      const err = await provisioner.provision(ctxFor({ loginUsers: [USER_A, bad] })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PermanentProvisioningError);
      expect((err as Error).message).toMatch(/not valid Unix user names/);
    },
  );

  it('refuses an unusable CA key without revealing it', async () => {
    const secretText = 'NOT-A-KEY-but-secret-4f2a';
    const err = await provisioner
      .provision(ctxFor({ settings: { ca_key: secretText, host: 'h' } }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).not.toContain(secretText);
    expect(String((err as Error).stack)).not.toContain(secretText);
    expect(await readdir(workDir)).toEqual([]);
  });
});

describe('SSH provisioner: revocation list', () => {
  it('builds a KRL that ssh-keygen -Q reports as revoking the serial', async () => {
    const revoked = await provisioner.provision(ctxFor({ grantId: 'revoked-grant' }));
    const kept = await provisioner.provision(ctxFor({ grantId: 'kept-grant' }));
    const krl = await buildRevokedKeysList([BigInt(String(revoked.state.serial))], ca.publicKey);
    const krlPath = join(dir, 'krl');
    await writeFile(krlPath, krl);

    const revokedCheck = await run('ssh-keygen', [
      '-Q',
      '-f',
      krlPath,
      await writeCert('revoked-cert.pub', revoked.secret?.value ?? ''),
    ]);
    expect(revokedCheck.code).not.toBe(0);
    expect(revokedCheck.stdout).toContain('REVOKED');
    const keptCheck = await run('ssh-keygen', [
      '-Q',
      '-f',
      krlPath,
      await writeCert('kept-cert.pub', kept.secret?.value ?? ''),
    ]);
    expect(keptCheck.code).toBe(0);
    expect(keptCheck.stdout).toMatch(/: ok/);
  });
});

describe('SSH provisioner: a real sshd on loopback', () => {
  const unavailable = sshdUnavailable();
  let sshd: Sshd | undefined;

  beforeAll(async () => {
    if (unavailable) return; // every test below fails with the reason
    await ensureUser(USER_A);
    await ensureUser(USER_B);
    sshd = await startSshd(dir, join(dir, 'ca.pub'));
  });

  afterAll(async () => {
    await sshd?.stop();
    if (!unavailable) {
      await removeUser(USER_A);
      await removeUser(USER_B);
    }
  });

  function server(): Sshd {
    if (unavailable) throw new Error(`Cannot run the sshd tests: ${unavailable}`);
    if (!sshd) throw new Error('sshd did not start');
    return sshd;
  }

  async function loginWith(loginUsers: string[], window: { startsAt: Date; expiresAt: Date }, as: string) {
    const s = server();
    const result = await provisioner.provision(
      ctxFor({ grantId: `live-${as}-${window.startsAt.getTime()}`, loginUsers, ...window }),
    );
    const cert = await writeCert(`live-${as}-${window.startsAt.getTime()}-cert.pub`, result.secret?.value ?? '');
    const r = await sshWhoami(s.port, as, join(dir, 'user'), cert);
    return { ...r, why: `ssh exit ${r.code}: ${r.stderr}\n--- sshd log ---\n${s.log().slice(-3000)}` };
  }

  const now = () => ({ startsAt: new Date(), expiresAt: new Date(Date.now() + 10 * 60_000) });

  it('lets the granted user log in', async () => {
    const r = await loginWith([USER_A], now(), USER_A);
    expect(r.code, r.why).toBe(0);
    expect(r.stdout.trim()).toBe(USER_A);
  });

  it('refuses a login user the certificate does not name', async () => {
    const r = await loginWith([USER_A], now(), USER_B);
    expect(r.code, r.why).toBe(255);
    expect(r.stdout).toBe('');
    // Refused for the right reason, not because of some unrelated setup problem.
    await expect.poll(() => server().log()).toContain('Certificate invalid: name is not a listed principal');
  });

  it('refuses a certificate whose window has passed', async () => {
    const past = { startsAt: new Date(Date.now() - 2 * 3600_000), expiresAt: new Date(Date.now() - 3600_000) };
    const r = await loginWith([USER_A], past, USER_A);
    expect(r.code, r.why).toBe(255);
    expect(r.stdout).toBe('');
    await expect.poll(() => server().log()).toContain('Certificate invalid: expired');
  });
});
