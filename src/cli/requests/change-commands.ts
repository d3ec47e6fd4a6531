import { randomUUID } from 'node:crypto';
import { formatDuration } from '../../domain/duration.js';
import { EXIT, printJson, stringValue, UsageError, type Command } from './cli-io.js';
import { formatTime, resourceNames, statusSentence } from './render.js';
import { durationOption, waitAndFinish } from './request-command.js';
import { requestId } from './show-commands.js';

export const cancelCommand: Command = {
  name: 'cancel',
  summary: 'withdraw a pending request',
  help: `usage: access-requests cancel <id> [--json]

Withdraws a request nobody has decided on yet; its approvers' messages say so.

example:
  access-requests cancel req_abc123`,
  options: { json: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    const request = await io.api().cancel(requestId('cancel', positionals));
    if (values.json) printJson(io, request);
    else io.stdout.write(`Cancelled ${request.id} (${resourceNames(request)}).\n`);
    return EXIT.ok;
  },
};

export const releaseCommand: Command = {
  name: 'release',
  summary: 'end your access early',
  help: `usage: access-requests release <id> [--json]

Ends your own active access now, before it expires (Slack's Release button).

example:
  access-requests release req_abc123`,
  options: { json: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    const request = await io.api().release(requestId('release', positionals));
    if (values.json) printJson(io, request);
    else io.stdout.write(`Released ${request.id}: access to ${resourceNames(request)} is being removed.\n`);
    return EXIT.ok;
  },
};

export const extendCommand: Command = {
  name: 'extend',
  summary: 'ask for more time on active access',
  help: `usage: access-requests extend <id> --for DURATION --why TEXT [--wait] [--json]

Asks for more time on an active grant; it goes to the approvers like a request.

  --for DURATION   how much more: 15m, 30m, 1h…
  --why TEXT       why you need longer
  --wait           wait for the decision
  --json           print the extension request as JSON on stdout

example:
  access-requests extend req_abc123 --for 30m --why "INC-42 restore still running"`,
  options: { for: { type: 'string' }, why: { type: 'string' }, wait: { type: 'boolean' }, json: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    const id = requestId('extend', positionals);
    const minutes = durationOption('extend', stringValue(values, 'for'));
    const why = stringValue(values, 'why');
    if (!why?.trim()) throw new UsageError('Say why you need longer with --why.', 'extend');
    const api = io.api();
    const extension = await api.extend(id, { duration_minutes: minutes, justification: why }, randomUUID());
    if (values.wait)
      return waitAndFinish(io, api, [extension], { json: values.json === true, sshKeyFile: null, single: true });
    if (values.json) {
      printJson(io, extension);
      return EXIT.ok;
    }
    io.stdout.write(
      extension.status === 'approved'
        ? `Extended ${id} by ${formatDuration(minutes)}${extension.grant ? `: it now ends ${formatTime(extension.grant.expires_at)}` : ''}.\n`
        : `${statusSentence(extension)}\n`,
    );
    return EXIT.ok;
  },
};
