import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AccessDto, RequestDto } from '../../domain/request-api.js';
import { formatTime } from './render.js';

/**
 * What a person needs once access is granted, printed on stdout: each resource's instructions (for a
 * database the connection line; its password went to their Slack DM, never through the API), and for
 * SSH the certificate written beside their keys with the `ssh` line that uses it.
 */

/** A file name part that stays one path segment whatever a resource or request is called. */
const segment = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');

export function certificatePath(env: Record<string, string | undefined>, resource: string, requestId: string): string {
  return join(env.HOME || homedir(), '.ssh', 'access-requests', `${segment(resource)}-${segment(requestId)}-cert.pub`);
}

/** Writes an SSH certificate (0600 in a 0700 folder: ssh refuses neither, and it names what the person may reach). */
export function writeCertificate(path: string, certificate: string): void {
  const dir = join(path, '..');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  writeFileSync(path, `${certificate.trim()}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** `user@host -p 22` from the server's own `ssh …` lines, so ours point at the certificate file we wrote. */
function sshTargets(instructions: string | null): string[] {
  return (instructions ?? '')
    .split('\n')
    .map((line) => /^\s*ssh\s.*?(\S+@\S+(?:\s+-p\s+\d+)?)\s*$/.exec(line)?.[1])
    .filter((x): x is string => Boolean(x));
}

function sshLines(entry: AccessDto, certFile: string, keyFile: string | null): string[] {
  const key = keyFile ? ` -i ${keyFile}` : '';
  const targets = sshTargets(entry.instructions);
  const lines = [`  Certificate saved to ${certFile}`, '  Connect with:'];
  for (const target of targets.length > 0 ? targets : ['<login>@<host>'])
    lines.push(`    ssh${key} -o CertificateFile=${certFile} ${target}`);
  return lines;
}

/** The lines that say how to use a granted request, writing SSH certificates on the way. */
export function accessInstructions(
  request: RequestDto,
  options: { env: Record<string, string | undefined>; sshKeyFile?: string | null },
): string[] {
  const until = request.grant ? ` until ${formatTime(request.grant.expires_at)}` : '';
  const lines: string[] = [];
  for (const entry of request.access) {
    if (entry.status === 'failed') {
      lines.push(`${entry.resource}: setting it up failed; the bot's admins were told.`);
      continue;
    }
    if (entry.status !== 'active') {
      lines.push(`${entry.resource}: ${entry.status}.`);
      continue;
    }
    lines.push(`${entry.resource} is ready${until}.`);
    if (entry.ssh_certificate) {
      const path = certificatePath(options.env, entry.resource, request.id);
      writeCertificate(path, entry.ssh_certificate);
      lines.push(...sshLines(entry, path, options.sshKeyFile ? options.sshKeyFile.replace(/\.pub$/, '') : null));
    } else if (entry.instructions) {
      lines.push(...entry.instructions.split('\n').map((l) => `  ${l}`));
    }
    if (entry.credential && !entry.ssh_certificate)
      lines.push(`  Your ${entry.credential.label.toLowerCase()} is in your Slack DM from the access bot.`);
  }
  if (request.access.length === 0) lines.push(`${request.resources.map((r) => r.name).join(', ')}: granted${until}.`);
  return lines;
}
