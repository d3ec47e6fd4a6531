import { REQUEST_STATUSES, type RequestStatus } from '../../domain/request-lifecycle.js';
import { accessInstructions } from './access-output.js';
import { EXIT, printJson, stringValue, UsageError, type Command } from './cli-io.js';
import { bundleLines, requestableTable, requestDetails, requestTable, statusSentence } from './render.js';
import { waitAndFinish } from './request-command.js';

/** Request ids as the bot makes them (`req_…`): anything else is a typo, said before any call. */
export function requestId(command: string, positionals: string[]): string {
  if (positionals.length !== 1)
    throw new UsageError(`Give one request id (e.g. access-requests ${command} req_abc123).`, command);
  const id = positionals[0]!;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new UsageError(`${JSON.stringify(id)} is not a request id.`, command);
  return id;
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'show one request (and wait for it with --wait)',
  help: `usage: access-requests status <id> [--wait] [--json]

Shows a request: its status, approvals, and once granted how to use the access.

  --wait   wait until it is decided and set up (as request --wait does)
  --json   print the request as JSON on stdout

example:
  access-requests status req_abc123 --wait`,
  options: { wait: { type: 'boolean' }, json: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    const id = requestId('status', positionals);
    const api = io.api();
    const request = await api.get(id);
    if (values.wait) {
      const code = await waitAndFinish(io, api, [request], {
        json: values.json === true,
        sshKeyFile: null,
        single: true,
      });
      return code;
    }
    if (values.json) {
      printJson(io, request);
      return EXIT.ok;
    }
    const lines = [statusSentence(request), ...requestDetails(request)];
    if (request.status === 'active' && request.grant && Date.parse(request.grant.starts_at) <= Date.now())
      lines.push('', ...accessInstructions(request, { env: io.env }));
    io.stdout.write(`${lines.join('\n')}\n`);
    return EXIT.ok;
  },
};

export const listCommand: Command = {
  name: 'list',
  summary: 'list your requests',
  help: `usage: access-requests list [--status STATUS] [--limit N] [--json]

Lists your requests, newest first.

  --status STATUS  only these: ${REQUEST_STATUSES.join(', ')}
  --limit N        at most N, 1 to 100 (default 20)
  --json           print them as JSON on stdout

example:
  access-requests list --status active`,
  options: { status: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    if (positionals.length > 0) throw new UsageError(`list takes no arguments (got ${positionals[0]}).`, 'list');
    const status = stringValue(values, 'status');
    if (status !== undefined && !(REQUEST_STATUSES as readonly string[]).includes(status))
      throw new UsageError(`--status is one of ${REQUEST_STATUSES.join(', ')}.`, 'list');
    const limitText = stringValue(values, 'limit');
    const limit = limitText === undefined ? undefined : Number(limitText);
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0 && limit <= 100))
      throw new UsageError('--limit is a whole number from 1 to 100.', 'list');
    const requests = await io.api().listMine({
      ...(status ? { status: status as RequestStatus } : {}),
      ...(limit !== undefined ? { limit } : {}),
    });
    if (values.json) printJson(io, requests);
    else io.stdout.write(`${requestTable(requests).join('\n')}\n`);
    return EXIT.ok;
  },
};

export const resourcesCommand: Command = {
  name: 'resources',
  summary: 'what you may request, and for how long',
  help: `usage: access-requests resources [--json]

Lists what you may request: each resource, its type, the longest duration its flow allows, and whether
a justification (or a ticket) is needed; then the bundles you may pick, with their parts.

example:
  access-requests resources`,
  options: { json: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    if (positionals.length > 0)
      throw new UsageError(`resources takes no arguments (got ${positionals[0]}).`, 'resources');
    const items = await io.api().requestable();
    // --json stays the resources' list (the contract scripts read); the bundles are in the text.
    if (values.json) printJson(io, items);
    else io.stdout.write(`${[...requestableTable(items), ...bundleLines(await io.api().bundles())].join('\n')}\n`);
    return EXIT.ok;
  },
};
