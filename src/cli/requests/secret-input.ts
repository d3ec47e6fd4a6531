import { CliFailure, EXIT, type CliIo } from './cli-io.js';

/** A token is a line; anything much longer on stdin is not one (and is not kept around). */
const MAX_BYTES = 8192;

/** All of standard input (`--token-stdin`), capped. */
export async function readAllStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.length > MAX_BYTES) throw new CliFailure('Standard input is far longer than a token; nothing was saved.');
  }
  return text;
}

/**
 * A line typed at the terminal without echo (the token is never on screen or in scrollback): raw mode,
 * characters kept until Enter, Backspace honoured, Ctrl-C and Ctrl-D stop.
 */
export function readHidden(io: CliIo, prompt: string): Promise<string> {
  const stdin = io.stdin;
  io.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (error: Error | null) => {
      stdin.removeListener('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(null);
        if (ch === '\u0003') return done(new CliFailure('Login stopped; nothing was saved.', EXIT.interrupted));
        if (ch === '\u0004') return done(typed ? null : new CliFailure('No token was given; nothing was saved.'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else if (ch >= ' ') typed += ch;
        if (typed.length > MAX_BYTES)
          return done(new CliFailure('That is far longer than a token; nothing was saved.'));
      }
    };
    stdin.setRawMode?.(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
