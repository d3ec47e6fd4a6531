import type { IncomingMessage, ServerResponse } from 'node:http';

/** "16 KiB", "5 MiB": how a limit is said in a refusal. */
export function sizeText(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/**
 * Answers 413 and closes the connection without reading the rest: the request is paused first, so the
 * sender's extra bytes stay in its own buffers (a 200 MiB upload costs us at most the limit and a socket
 * buffer). Pausing rather than destroying lets the answer reach the client: destroying the socket with
 * unread bytes makes the kernel send a reset, and the client sees ECONNRESET instead of the 413.
 */
function refuseTooLarge(req: IncomingMessage, res: ServerResponse, limit: number) {
  req.pause();
  const text = JSON.stringify({
    error: 'too_large',
    message: `The body may be at most ${sizeText(limit)}; this one is larger, so it was not read.`,
  });
  res.writeHead(413, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'content-length': String(Buffer.byteLength(text)),
    connection: 'close',
  });
  res.end(text);
}

/**
 * The one way a route of ours reads a request body. At most `limit` bytes are ever held: a Content-Length
 * over the limit is refused before reading anything, and a body that grows past it (chunked, or a lying
 * Content-Length) is refused the moment it does. On refusal (or an aborted upload) the answer is already
 * sent and this returns null; the caller just returns.
 */
export function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Buffer | null> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (!Number.isFinite(declared) || declared > limit) {
    refuseTooLarge(req, res, limit);
    return Promise.resolve(null);
  }
  return new Promise((resolve) => {
    let size = 0;
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      refuseTooLarge(req, res, limit);
      resolve(null);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    // An upload the client gave up on: nobody is left to answer.
    req.on('error', () => {
      res.destroy();
      resolve(null);
    });
  });
}
