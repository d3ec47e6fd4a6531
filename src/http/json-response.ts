import type { ServerResponse } from 'node:http';

/** A JSON answer of the bot's APIs: never cached (it may name people and grants), its length said. */
export function sendJson(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
