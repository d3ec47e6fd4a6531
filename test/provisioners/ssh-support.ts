import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import type { GrantContext } from '../../src/provisioners/port.js';
import { HANG_GUARD_MS } from '../../doubles/support/until.js';

/** Helpers for the SSH provisioner tests: real OpenSSH binaries, a real sshd on loopback. */

export const SSHD = '/usr/sbin/sshd';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell and never rejects: the tests assert on the exit code. */
export function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: HANG_GUARD_MS, env: env ?? process.env }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    child.stdin?.end();
  });
}

export async function mustRun(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const r = await run(cmd, args, env);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** An unencrypted ed25519 key pair at `path` / `path.pub`; returns both texts. */
export async function generateKey(path: string, comment = 'test'): Promise<{ privateKey: string; publicKey: string }> {
  await mustRun('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
  return { privateKey: await readFile(path, 'utf8'), publicKey: (await readFile(`${path}.pub`, 'utf8')).trim() };
}

export function grantContext(over: Partial<GrantContext> & { loginUsers?: string[] } = {}): GrantContext {
  const { loginUsers = ['jit_ssh_a'], ...rest } = over;
  const startsAt = new Date(Date.UTC(2030, 0, 2, 3, 4, 5));
  return {
    grantId: 'grant-1',
    requestId: 'req-42',
    requesterId: 'U123',
    requesterEmail: 'dev@example.com',
    sshPublicKey: null,
    resource: { name: 'bastion', type: 'ssh' },
    settings: { host: '127.0.0.1', port: 22 },
    grant: { type: 'ssh', resource: 'bastion', loginUsers },
    startsAt,
    expiresAt: new Date(startsAt.getTime() + 60 * 60_000),
    ...rest,
  };
}

/**
 * Why the sshd tests cannot run here, or null. They must fail (not skip) when this is not null:
 * CI installs openssh-server and runs as root, so a missing sshd is a broken environment.
 */
export function sshdUnavailable(): string | null {
  if (!existsSync(SSHD)) {
    return `${SSHD} is missing: install openssh-server (apt-get install openssh-server; .ci/run does this as root).`;
  }
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return 'The sshd tests must run as root (they start sshd and create local users).';
  }
  return null;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface Sshd {
  port: number;
  process: ChildProcess;
  log: () => string;
  stop: () => Promise<void>;
}

/** Starts sshd in the foreground on a free loopback port, trusting `caPub` for user certificates. */
export async function startSshd(dir: string, caPubPath: string): Promise<Sshd> {
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  await generateKey(hostKey, 'host');
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      `HostKey ${hostKey}`,
      `TrustedUserCAKeys ${caPubPath}`,
      'AuthorizedKeysFile none',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'UsePAM no',
      `PidFile ${join(dir, 'sshd.pid')}`,
      'StrictModes no',
      'ListenAddress 127.0.0.1',
      `Port ${port}`,
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + HANG_GUARD_MS;
  while (!(await accepts(port))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`sshd did not start on 127.0.0.1:${port}:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    process: child,
    log: () => log,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * A local login user for the test. The password field is `*` (no password) rather than useradd's `!`:
 * without PAM, sshd treats `!` as a locked account and refuses even certificate logins.
 */
export async function ensureUser(name: string): Promise<void> {
  const exists = (await run('id', ['-u', name])).code === 0;
  if (!exists) await mustRun('useradd', ['-m', '-s', '/bin/sh', '-p', '*', name]);
  else await mustRun('usermod', ['-p', '*', name]);
}

export async function removeUser(name: string): Promise<void> {
  if ((await run('id', ['-u', name])).code === 0) await run('userdel', ['-r', name]);
}

/** `ssh … user@127.0.0.1 whoami` with only the given key and certificate, no config, no agent. */
export function sshWhoami(port: number, user: string, key: string, cert: string): Promise<RunResult> {
  return run('ssh', [
    '-F',
    '/dev/null',
    '-i',
    key,
    '-o',
    `CertificateFile=${cert}`,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'IdentityAgent=none',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=10',
    '-o',
    'LogLevel=ERROR',
    '-p',
    String(port),
    `${user}@127.0.0.1`,
    'whoami',
  ]);
}
