import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { parsePublicKey } from '../../domain/ssh-key.js';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Thin, careful wrappers around `ssh-keygen`: the OpenSSH tools are the reference implementation of
 * the certificate and KRL formats, so we drive them rather than re-implement the wire format. Every
 * argument goes through execFile (no shell), and every input is validated before it reaches argv.
 */

/** Unix login names we are willing to put into a certificate (what useradd accepts, minus oddities). */
export { parsePublicKey };

export const PRINCIPAL = /^[a-z_][a-z0-9_.-]{0,31}$/;

/**
 * A 63-bit serial from the grant id: the same grant always gets the same serial (retries and extensions
 * stay revocable by one KRL entry), and 63 bits keep it positive in signed 64-bit tools. Zero is
 * avoided because some tools treat serial 0 as "no serial".
 */
export function serialForGrant(grantId: string): bigint {
  const digest = createHash('sha256').update(`ssh-cert-serial:${grantId}`).digest();
  const serial = digest.readBigUInt64BE(0) & 0x7fff_ffff_ffff_ffffn;
  return serial === 0n ? 1n : serial;
}

/** ssh-keygen's UTC absolute time (`YYYYMMDDHHMMSSZ`, OpenSSH ≥ 8.x), independent of the host's TZ. */
export function sshTime(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace(/[-:T]/g, '')}Z`;
}

export class SshKeygenError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'SshKeygenError';
  }
}

/**
 * Runs ssh-keygen without a shell. `detached` gives it a new session without a controlling terminal,
 * so a passphrase-protected key fails at once instead of prompting on the operator's tty; the timeout
 * covers anything else that could hang.
 */
export function runSshKeygen(binary: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // stdin is /dev/null: a passphrase prompt that falls back to stdin reads EOF and fails fast.
    const child = spawn(binary, args, {
      cwd,
      detached: true,
      timeout: 20_000,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', (e) => reject(new SshKeygenError(`ssh-keygen could not be started: ${e.message}`, '')));
    child.once('close', (code, signal) => {
      if (code === 0) return resolve(stdout);
      const detail = stderr.trim().slice(0, 500);
      reject(new SshKeygenError(`ssh-keygen ${args[0] ?? ''} failed (${signal ?? `exit ${code}`}): ${detail}`, detail));
    });
  });
}

/**
 * A private directory (0700) for key material, removed afterwards whatever happens: the CA key never
 * outlives the call on disk.
 */
export async function withPrivateDir<T>(parent: string | undefined, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(parent ?? tmpdir(), 'jit-ssh-'));
  try {
    await chmod(dir, 0o700);
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes a file that only the owner can read; `flag: 'wx'` refuses to follow a pre-planted file. */
export async function writePrivateFile(path: string, content: string): Promise<void> {
  await writeFile(path, content.endsWith('\n') ? content : `${content}\n`, { mode: 0o600, flag: 'wx' });
}

/**
 * Builds an OpenSSH KRL revoking the given certificate serials of one CA. Operators distribute it to
 * hosts (`RevokedKeys` in sshd_config) to cut certificates off before they expire.
 */
export async function buildRevokedKeysList(
  serials: bigint[],
  caPublicKey: string,
  opts: { sshKeygen?: string; tmpDir?: string } = {},
): Promise<Buffer> {
  const caLine = parsePublicKey(caPublicKey);
  if (!caLine) throw new Error('the CA public key is not a valid OpenSSH public key line');
  for (const s of serials) {
    if (s <= 0n || s > 0xffff_ffff_ffff_ffffn) throw new Error(`serial ${s} is outside 1..2^64-1`);
  }
  return withPrivateDir(opts.tmpDir, async (dir) => {
    await writePrivateFile(join(dir, 'ca.pub'), caLine);
    await writePrivateFile(join(dir, 'spec'), serials.map((s) => `serial: ${s}`).join('\n'));
    await runSshKeygen(opts.sshKeygen ?? 'ssh-keygen', ['-k', '-f', 'krl', '-s', 'ca.pub', 'spec'], dir);
    return readFile(join(dir, 'krl'));
  });
}
