import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiKeyService } from '../services/api-key-service.js';

export type KeyVerifier = Pick<ApiKeyService, 'verify'>;

/**
 * The API key of a request to the gateways' API (authorization, sessions), or null after answering 401.
 * One form is accepted, `Authorization: Bearer <key>` (RFC 6750); the 401 says so in a sentence and in
 * `WWW-Authenticate`, as RFC 6750 section 3 asks.
 */
export function requireApiKey(req: IncomingMessage, res: ServerResponse, keys: KeyVerifier): string | null {
  const keyId = keys.verify(req.headers.authorization);
  if (keyId) return keyId;
  const given = req.headers.authorization !== undefined;
  const text = JSON.stringify({
    error: 'unauthorized',
    message: given
      ? 'That is not a live API key in the accepted form: send "Authorization: Bearer ark_…" (an admin creates keys with /access apikey create).'
      : 'Send a live API key as "Authorization: Bearer ark_…" (an admin creates keys with /access apikey create).',
  });
  // The body (if any) is never read: closing instead of keeping the connection alive keeps Node from
  // reading it to the end to reuse the connection.
  req.pause();
  res.writeHead(401, {
    'content-type': 'application/json',
    connection: 'close',
    'cache-control': 'no-store',
    'content-length': String(Buffer.byteLength(text)),
    'www-authenticate': given
      ? 'Bearer realm="access-requests", error="invalid_token"'
      : 'Bearer realm="access-requests"',
  });
  res.end(text);
  return null;
}
