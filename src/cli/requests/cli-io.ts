import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ApiError } from '../../domain/request-api.js';
import { CliConfigError } from '../../client/cli-config.js';
import type { HttpAccessApi } from '../../client/http-access-api.js';

/**
 * What every command of `access-requests` shares: its streams (stdout carries results only, so `--json`
 * output can be piped; progress and errors go to stderr), its exit codes, and the one place an error
 * becomes a sentence.
 */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(raw: boolean): unknown };
  env: Record<string, string | undefined>;
  /** The client for the configured bot and token (throws CliConfigError when not logged in). */
  api(): HttpAccessApi;
  /** Ends with this code on Ctrl-C after `cleanup` printed its sentence (a waiting command's). */
  onInterrupt(cleanup: (() => void) | null): void;
}

export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** Bad use of the command line: exit 2 with the sentence and where to read more. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure already worded for a person (exit 1). */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly code: number = EXIT.failed,
  ) {
    super(message);
    this.name = 'CliFailure';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs with its refusals turned into sentences about this command. */
export function parseCommandLine<O extends Options>(command: string, args: string[], options: O) {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = (error as Error).message;
    const option = /'(-[^' ]+)/.exec(message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
      throw new UsageError(`${option ?? 'That option'} is not an option of \`access-requests ${command}\`.`, command);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
      throw new UsageError(
        /does not take/.test(message)
          ? `${option} takes no value.`
          : `${option ?? 'An option'} needs a value (e.g. ${option ?? '--for'} …).`,
        command,
      );
    throw new UsageError(message, command);
  }
}

/** The flag a person typed for each field the server names in a refusal. */
const FIELD_FLAGS: Record<string, string> = {
  resources: 'resources',
  duration_minutes: '--for',
  justification: '--why',
  starts_at: '--start',
  ssh_public_key: '--ssh-key',
  fields: '--field',
  status: '--status',
  limit: '--limit',
};

/** An error as the lines a person reads on stderr; never a stack trace. */
export function describeError(error: unknown): { lines: string[]; code: number; usage?: string } {
  if (error instanceof UsageError)
    return { lines: [error.message], code: EXIT.usage, ...(error.command ? { usage: error.command } : {}) };
  if (error instanceof CliFailure) return { lines: [error.message], code: error.code };
  if (error instanceof CliConfigError) return { lines: [error.message], code: EXIT.failed };
  if (error instanceof ApiError) {
    // One line per refused field, named as it was typed (`--why: Write at least 10 characters.`); the
    // summary first only when it says more than the fields (the server's is the first field's sentence).
    const fields = Object.entries(error.body.fields ?? {}).filter(([, sentence]) => sentence);
    const flag = (field: string) =>
      FIELD_FLAGS[field] ?? (field.startsWith('fields.') ? `--field ${field.slice('fields.'.length)}` : field);
    const lines = fields.map(([field, sentence]) => `${flag(field)}: ${sentence}`);
    if (!fields.some(([, sentence]) => error.body.message.startsWith(sentence))) lines.unshift(error.body.message);
    if (error.status === 401 && !/login/.test(error.body.message)) lines.push('Log in again: access-requests login');
    return { lines, code: EXIT.failed };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { lines: [`Something went wrong: ${message.split('\n')[0]}`], code: EXIT.failed };
}

/** JSON on stdout, as scripts read it. */
export const printJson = (io: CliIo, value: unknown) => void io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** One `access-requests <name>` command: its options (parseArgs), its help, and what it does. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The full `--help` text (usage, options, an example). */
  help: string;
  options: Options;
  run(input: { values: Values; positionals: string[]; io: CliIo }): Promise<number>;
}

export const stringValue = (values: Values, name: string): string | undefined => {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
};
