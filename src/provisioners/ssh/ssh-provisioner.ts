import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PermanentProvisioningError, type GrantContext, type Provisioner, type ProvisionResult } from '../port.js';
import { isSecretRef } from '../secrets.js';
import {
  PRINCIPAL,
  SshKeygenError,
  buildRevokedKeysList as buildKrl,
  parsePublicKey,
  runSshKeygen,
  serialForGrant,
  sshTime,
  withPrivateDir,
  writePrivateFile,
} from './openssh.js';

/**
 * SSH access as short-lived OpenSSH user certificates: hosts trust the CA once (`TrustedUserCAKeys`),
 * and every grant is a certificate for the requester's own public key, limited to the approved login
 * users and to the grant window. Nothing is installed on the hosts per grant.
 *
 * Settings (as written by admins, before secret resolution):
 *   ca_key: env:ACCESS_SECRET_NAME | file:/path (in ACCESS_SECRETS_DIR)   the CA private key (required, never a literal)
 *   host:   string                  shown in the instructions
 *   port:   number                  optional, default 22
 */

export interface SshProvisionerOptions {
  /** Path of the ssh-keygen binary (default: `ssh-keygen` from PATH). */
  sshKeygen?: string;
  /** Parent of the per-call private directories (default: the OS temp dir). */
  tmpDir?: string;
}

/** Signing starts this much before the grant so a host whose clock lags still accepts the certificate. */
const CLOCK_SKEW_MS = 60_000;
const HOST = /^[A-Za-z0-9.:_[\]-]{1,253}$/;

export interface SshGrantState {
  serial: string;
  keyId: string;
  principals: string[];
  validBefore: string;
}

export function validateSshSettings(settings: Record<string, unknown>): string | null {
  const { ca_key: caKey, host, port } = settings;
  if (caKey === undefined || caKey === null || caKey === '') {
    return 'SSH settings need ca_key: a reference to the CA private key, such as env:ACCESS_SECRET_SSH_CA_KEY or file:/run/secrets/ssh_ca (in ACCESS_SECRETS_DIR).';
  }
  if (!isSecretRef(caKey)) {
    // Deliberately does not echo the value: it may be the private key itself.
    return 'SSH ca_key must be a secret reference (env:ACCESS_SECRET_NAME or file:/path in ACCESS_SECRETS_DIR), never the key itself; move the key into an environment variable or a mounted file.';
  }
  if (typeof host !== 'string' || !HOST.test(host)) {
    return 'SSH settings need host: the host name or address requesters connect to (letters, digits, dots, colons, hyphens).';
  }
  if (port !== undefined && (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)) {
    return 'SSH port must be a whole number between 1 and 65535 (default 22).';
  }
  return null;
}

function principalsOf(ctx: GrantContext): string[] {
  if (ctx.grant.type !== 'ssh') {
    throw new PermanentProvisioningError(
      `The SSH provisioner was given a ${ctx.grant.type} grant for ${ctx.resource.name}.`,
    );
  }
  const users = [...new Set(ctx.grant.loginUsers)];
  // The policy schema already limits these, but they end up in a certificate that grants logins:
  // check again here so nothing odd (commas, spaces, shell characters) can widen or confuse it.
  const bad = users.filter((u) => !PRINCIPAL.test(u));
  if (users.length === 0 || bad.length > 0) {
    throw new PermanentProvisioningError(
      `The SSH grant for ${ctx.resource.name} has login users that are not valid Unix user names; each must match ^[a-z_][a-z0-9_.-]{0,31}$.`,
    );
  }
  return users;
}

function requesterKey(ctx: GrantContext): string {
  const hint =
    'Set your SSH public key with `/access ssh-key <public key>` (the one line from your id_ed25519.pub, for example), then ask again.';
  if (!ctx.sshPublicKey) throw new PermanentProvisioningError(`You have not set an SSH public key. ${hint}`);
  const line = parsePublicKey(ctx.sshPublicKey);
  if (!line) {
    throw new PermanentProvisioningError(
      `Your SSH public key is not a valid OpenSSH public key (ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa). ${hint}`,
    );
  }
  return line;
}

function connection(ctx: GrantContext): { host: string; port: number; caKey: string } {
  const { ca_key: caKey, host, port } = ctx.settings;
  if (typeof caKey !== 'string' || caKey.trim() === '') {
    throw new PermanentProvisioningError(`The SSH CA key of ${ctx.resource.name} is not configured.`);
  }
  if (typeof host !== 'string' || !HOST.test(host)) {
    throw new PermanentProvisioningError(`The SSH host of ${ctx.resource.name} is missing or invalid.`);
  }
  const p = port === undefined ? 22 : port;
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 65535) {
    throw new PermanentProvisioningError(`The SSH port of ${ctx.resource.name} is invalid.`);
  }
  return { host, port: p, caKey };
}

/** Key ids appear in sshd logs; keep them one printable line whatever the ids contain. */
function keyIdFor(ctx: GrantContext): string {
  const clean = (s: string) => s.replace(/[^\x21-\x7e]/g, '_');
  return `access-request:${clean(ctx.requestId)}:${clean(ctx.requesterId)}`;
}

function instructionsFor(
  resource: string,
  host: string,
  port: number,
  principals: string[],
  validBefore: Date,
): string {
  const certFile = `~/.ssh/${resource.replace(/[^A-Za-z0-9._-]/g, '_')}-cert.pub`;
  const lines = principals.map((u) => `ssh -i <your key> -o CertificateFile=${certFile} ${u}@${host} -p ${port}`);
  return [
    `Save the SSH certificate below as ${certFile}, then connect with:`,
    ...lines,
    `The certificate works until ${validBefore.toISOString()} and only for your own key.`,
  ].join('\n');
}

async function signCertificate(ctx: GrantContext, opts: SshProvisionerOptions): Promise<ProvisionResult> {
  const principals = principalsOf(ctx);
  const publicKey = requesterKey(ctx);
  const { host, port, caKey } = connection(ctx);
  if (!(ctx.expiresAt.getTime() > ctx.startsAt.getTime())) {
    throw new PermanentProvisioningError(`The SSH grant for ${ctx.resource.name} ends before it starts.`);
  }
  const serial = serialForGrant(ctx.grantId);
  const keyId = keyIdFor(ctx);
  const from = new Date(ctx.startsAt.getTime() - CLOCK_SKEW_MS);
  // ssh-keygen has second resolution; the certificate ends at expiresAt truncated to the second.
  const validBefore = new Date(Math.floor(ctx.expiresAt.getTime() / 1000) * 1000);

  const cert = await withPrivateDir(opts.tmpDir, async (dir) => {
    await writePrivateFile(join(dir, 'ca'), caKey);
    await writePrivateFile(join(dir, 'user.pub'), publicKey);
    const args = [
      '-q',
      '-s',
      'ca',
      '-I',
      keyId,
      '-n',
      principals.join(','),
      '-V',
      `${sshTime(from)}:${sshTime(validBefore)}`,
    ];
    try {
      await runSshKeygen(opts.sshKeygen ?? 'ssh-keygen', [...args, '-z', serial.toString(), 'user.pub'], dir);
    } catch (e) {
      if (e instanceof SshKeygenError && /load|passphrase|invalid format|libcrypto/i.test(e.stderr)) {
        // The CA key could not be used: retrying will not help. The message names the cause, never the key.
        throw new PermanentProvisioningError(
          `The SSH CA key of ${ctx.resource.name} could not be loaded (not an unencrypted OpenSSH private key?).`,
        );
      }
      throw e;
    }
    return (await readFile(join(dir, 'user-cert.pub'), 'utf8')).trim();
  });

  const state: SshGrantState = { serial: serial.toString(), keyId, principals, validBefore: validBefore.toISOString() };
  return {
    state: { ...state },
    instructions: instructionsFor(ctx.resource.name, host, port, principals, validBefore),
    secret: { label: 'SSH certificate', value: cert },
    // Public (it names the person's own public key and works only with its private key): the request
    // API hands it to the CLI, which writes it beside the key. The DM still carries it as before.
    certificate: cert,
  };
}

export function createSshProvisioner(opts: SshProvisionerOptions = {}): Provisioner {
  return {
    type: 'ssh',
    validateSettings: validateSshSettings,
    provision: (ctx) => signCertificate(ctx, opts),
    // A certificate's window cannot be changed after signing: extending issues a new one (same serial,
    // same principals) covering the new window; the old one simply expires at its own end.
    extend: (ctx) => signCertificate(ctx, opts),
    async deprovision() {
      // Nothing to undo: no state was created on any host, and the certificate stops working at
      // expiresAt on its own. Ending it earlier would need a KRL (RevokedKeys) distributed to the
      // hosts, which this service does not control; operators can build one with
      // buildRevokedKeysList from the serials kept in the grant state.
    },
    async isPresent(_ctx, state) {
      const end = typeof state.validBefore === 'string' ? Date.parse(state.validBefore) : NaN;
      return Number.isFinite(end) && Date.now() < end;
    },
  };
}

/** Builds an OpenSSH KRL revoking these serials of the CA; see openssh.ts. */
export function buildRevokedKeysList(
  serials: bigint[],
  caPublicKey: string,
  opts?: SshProvisionerOptions,
): Promise<Buffer> {
  return buildKrl(serials, caPublicKey, opts);
}
