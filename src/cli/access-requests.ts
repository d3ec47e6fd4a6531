import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { loadCliConfig } from '../client/cli-config.js';
import { createHttpAccessApi, type HttpAccessApi } from '../client/http-access-api.js';
import { cancelCommand, extendCommand, releaseCommand } from './requests/change-commands.js';
import { describeError, EXIT, parseCommandLine, UsageError, type CliIo, type Command } from './requests/cli-io.js';
import { loginCommand, logoutCommand } from './requests/login-commands.js';
import { mcpCommand } from './requests/mcp-command.js';
import { requestCommand } from './requests/request-command.js';
import { listCommand, resourcesCommand, statusCommand } from './requests/show-commands.js';

/**
 * `access-requests`: ask for access from a terminal (docs/cli.md). It speaks only the bot's HTTP request API
 * with the person's own token (src/client/), so everything a request goes through in Slack (flows,
 * justification and ticket checks, approvals by people in Slack) applies unchanged. stdout carries results
 * (text, or JSON with --json); progress and errors go to stderr. Exit codes: 0 done, 1 refused or failed,
 * 2 bad usage, 130 stopped with Ctrl-C.
 */
export const COMMANDS: Command[] = [
  loginCommand,
  logoutCommand,
  resourcesCommand,
  requestCommand,
  statusCommand,
  listCommand,
  cancelCommand,
  releaseCommand,
  extendCommand,
  mcpCommand,
];

export function version(): string {
  // dist/cli/ and src/cli/ are both two folders below package.json.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `usage: access-requests <command> [options]

Ask for just-in-time access from a terminal; people approve in Slack.

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run access-requests <command> --help for its options. docs/cli.md has the details.

example:
  access-requests login --url https://access.corp.example
  access-requests request prod-db --for 1h --why "INC-42 restore the orders table" --wait
`;
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  try {
    if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
      const topic = name === 'help' ? COMMANDS.find((c) => c.name === args[0]) : undefined;
      io.stdout.write(topic ? `${topic.help}\n` : overview());
      return EXIT.ok;
    }
    if (name === '--version' || name === '-v' || name === 'version') {
      io.stdout.write(`access-requests ${version()}\n`);
      return EXIT.ok;
    }
    const command = COMMANDS.find((c) => c.name === name);
    if (!command)
      throw new UsageError(
        `${name.startsWith('-') ? `${name} is not an option` : `"${name}" is not a command`}; the commands are ${COMMANDS.map((c) => c.name).join(', ')}.`,
      );
    const { values, positionals } = parseCommandLine(command.name, args, command.options);
    if (values.help) {
      io.stdout.write(`${command.help}\n`);
      return EXIT.ok;
    }
    return await command.run({ values, positionals, io });
  } catch (error) {
    const { lines, code, usage } = describeError(error);
    io.stderr.write(`${lines.join('\n')}\n`);
    if (code === EXIT.usage) io.stderr.write(`See access-requests ${usage ? `${usage} ` : ''}--help.\n`);
    return code;
  }
}

/** The process's streams and environment; the client made on first use from the saved login. */
export function processIo(): CliIo {
  let interrupt: (() => void) | null = null;
  process.on('SIGINT', () => {
    interrupt?.();
    process.exit(EXIT.interrupted);
  });
  let api: HttpAccessApi | null = null;
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    api() {
      api ??= createHttpAccessApi({
        ...loadCliConfig(process.env),
        channel: 'cli',
        userAgent: `access-requests/${version()} node/${process.versions.node}`,
      });
      return api;
    },
    onInterrupt: (cleanup) => void (interrupt = cleanup),
  };
}

// Run as a program (node dist/cli/access-requests.js, bin/access-requests.mjs), not when imported by a test.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  process.exitCode = await run(process.argv.slice(2), processIo());
}
