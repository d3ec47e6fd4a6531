import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { formatDuration, parseDuration } from '../../domain/duration.js';
import type { AccessApi, CreateRequestBody, RequestDto } from '../../domain/request-api.js';
import { parsePublicKey } from '../../domain/ssh-key.js';
import { accessInstructions } from './access-output.js';
import { EXIT, printJson, stringValue, UsageError, type CliIo, type Command } from './cli-io.js';
import { finish, follow } from './follow.js';
import { decider, people, resourceNames } from './render.js';

/** `--for 1h`: minutes, or a usage error naming the forms accepted. */
export function durationOption(command: string, text: string | undefined): number {
  if (text === undefined) throw new UsageError(`Say for how long with --for (e.g. --for 1h).`, command);
  const minutes = parseDuration(text);
  if (minutes === undefined)
    throw new UsageError(`--for takes a duration like 15m, 1h, 8h or 1d, not ${JSON.stringify(text)}.`, command);
  return minutes;
}

/** The public key line of `--ssh-key PATH`; a private key or anything else is refused before it leaves the machine. */
function sshPublicKey(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `Could not read the SSH key ${path} (${(error as { code?: string }).code ?? 'error'}).`,
      'request',
    );
  }
  if (/PRIVATE KEY/.test(text))
    throw new UsageError(
      `${path} is a private key: give its public half (${path}.pub); the private key never leaves your machine.`,
      'request',
    );
  const key = parsePublicKey(text.split('\n').find((l) => l.trim()) ?? '');
  if (!key)
    throw new UsageError(`${path} is not an OpenSSH public key (ssh-ed25519, ecdsa-sha2-… or ssh-rsa).`, 'request');
  return key;
}

/**
 * Follows every request to its end (they run side by side: one resource per flow may make several) and
 * prints how to use what was granted. The exit code is 0 only if everything was granted.
 */
export async function waitAndFinish(
  io: CliIo,
  api: AccessApi,
  requests: RequestDto[],
  /** `single`: --json prints the one request as an object (status, extend), not an array (request). */
  options: { json: boolean; sshKeyFile: string | null; single?: boolean },
): Promise<number> {
  let interrupted: RequestDto[] = requests;
  io.onInterrupt(() => {
    const pending = interrupted.map((r) => r.id);
    io.stderr.write(
      `\nStopped waiting; nothing was cancelled. Follow again with \`access-requests status ${pending[0]} --wait\`, or withdraw with \`access-requests cancel ${pending.join(' ')}\`.\n`,
    );
  });
  const settled = await Promise.all(
    requests.map((r) =>
      follow(io, api, r, requests.length > 1 ? `[${r.id}] ` : '').then((done) => {
        interrupted = interrupted.filter((x) => x.id !== done.id);
        return done;
      }),
    ),
  );
  io.onInterrupt(null);
  const codes = settled.map((r) =>
    finish(io, r, {
      quiet: options.json,
      instructions: (g) => accessInstructions(g, { env: io.env, sshKeyFile: options.sshKeyFile }),
    }),
  );
  // finish() writes SSH certificate files for JSON callers too; only the printing is left out.
  if (options.json) printJson(io, options.single ? settled[0] : settled);
  // Several parts (a bundle): say which were not granted, so a partial grant is not mistaken for all.
  const missed = settled.filter((_, i) => codes[i] !== 0);
  if (settled.length > 1 && missed.length)
    io.stderr.write(`Not granted: ${missed.map((r) => `${r.id} (${resourceNames(r)}, ${r.status})`).join('; ')}.\n`);
  return codes.every((c) => c === 0) ? EXIT.ok : EXIT.failed;
}

/** `--field severity=sev1 --field incident=INC-42` -> { severity: 'sev1', … }; the server checks the values. */
function fieldOptions(given: unknown): Record<string, string> | undefined {
  const list = Array.isArray(given) ? (given as unknown[]) : typeof given === 'string' ? [given] : [];
  if (list.length === 0) return undefined;
  const fields: Record<string, string> = {};
  for (const item of list) {
    const m = typeof item === 'string' ? /^([a-z][a-z0-9_]{0,31})=(.*)$/s.exec(item) : null;
    if (!m)
      throw new UsageError(`--field takes NAME=VALUE like severity=sev1, not ${JSON.stringify(item)}.`, 'request');
    fields[m[1]!] = m[2]!;
  }
  return fields;
}

export const requestCommand: Command = {
  name: 'request',
  summary: 'ask for access to one or more resources',
  help: `usage: access-requests request <resource…> --for DURATION --why TEXT [--field NAME=VALUE]… [--start TIME] [--ssh-key PATH] [--wait] [--json]
       access-requests request --bundle NAME --why TEXT [<resource…>] [--for DURATION] [--field NAME=VALUE]… [--wait] [--json]

Asks for access, as the request form in Slack does; people approve in Slack.

  --bundle NAME    a bundle (access profile; see access-requests resources): its parts, each with the
                   scope it asks for, one request per flow; resources and --for default to the bundle's
  --for DURATION   how long: 15m, 1h, 8h, 1d (at most what the flow allows; see access-requests resources)
  --why TEXT       the justification (some flows need a ticket, e.g. "INC-42 restore the orders table")
  --field N=V      a field the resource's flow asks for, e.g. --field severity=sev1 (repeat for each;
                   see access-requests resources --json for the fields)
  --start TIME     start later, at this ISO 8601 time (e.g. 2026-05-01T09:00:00Z)
  --ssh-key PATH   your SSH public key (for SSH resources; the bot signs a certificate for it)
  --wait           wait for the decision and the setup, then print how to use the access
  --json           print the request(s) as JSON on stdout

examples:
  access-requests request prod-db --for 1h --why "INC-42 restore the orders table" --wait
  access-requests request --bundle incident-responder --why "INC-42 payments are failing" --wait`,
  options: {
    bundle: { type: 'string' },
    for: { type: 'string' },
    why: { type: 'string' },
    start: { type: 'string' },
    field: { type: 'string', multiple: true },
    'ssh-key': { type: 'string' },
    wait: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals, io }) {
    const bundle = stringValue(values, 'bundle');
    if (positionals.length === 0 && bundle === undefined)
      throw new UsageError(
        'Name at least one resource to request, or a --bundle (see access-requests resources).',
        'request',
      );
    const forText = stringValue(values, 'for');
    const body: CreateRequestBody = {
      ...(positionals.length ? { resources: [...new Set(positionals)] } : {}),
      // A bundle brings its own duration: --for is needed only to change it.
      ...(bundle === undefined || forText !== undefined
        ? { duration_minutes: durationOption('request', forText) }
        : {}),
      justification: stringValue(values, 'why') ?? '',
      ...(bundle !== undefined ? { bundle } : {}),
    };
    const fields = fieldOptions(values.field);
    if (fields) body.fields = fields;
    const start = stringValue(values, 'start');
    if (start !== undefined) {
      if (Number.isNaN(Date.parse(start)) || !/^\d{4}-\d{2}-\d{2}/.test(start))
        throw new UsageError(
          `--start takes an ISO 8601 time like 2026-05-01T09:00:00Z, not ${JSON.stringify(start)}.`,
          'request',
        );
      body.starts_at = new Date(start).toISOString();
    }
    const keyFile = stringValue(values, 'ssh-key') ?? null;
    if (keyFile) body.ssh_public_key = sshPublicKey(keyFile);
    const api = io.api();
    // One key per invocation: a POST retried after a lost answer makes one request, not two.
    const created = await api.create(body, randomUUID());
    const pick = created[0]?.bundle;
    if (pick && !values.json)
      io.stderr.write(
        `Bundle ${pick.name}: ${created.length} ${created.length === 1 ? 'request' : 'requests'}, one per flow; each is decided on its own.\n`,
      );
    if (values.wait) return waitAndFinish(io, api, created, { json: values.json === true, sshKeyFile: keyFile });
    if (values.json) {
      printJson(io, created);
      return EXIT.ok;
    }
    for (const r of created) {
      const state =
        r.status === 'pending'
          ? `waiting for ${people(r, r.approvers)}`
          : r.status === 'active'
            ? `approved by ${decider(r, 'a rule')}`
            : r.status;
      io.stdout.write(`${r.id}: ${resourceNames(r)} for ${formatDuration(r.duration_minutes)}, ${state}.\n`);
    }
    io.stderr.write(`Follow with \`access-requests status ${created[0]?.id ?? ''} --wait\`.\n`);
    return EXIT.ok;
  },
};
