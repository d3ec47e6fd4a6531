import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener } from 'node:http';
import type { Logger } from 'pino';

/** Slack: "if the difference between now and the request timestamp is more than five minutes, ignore it". */
const WINDOW_SECONDS = 5 * 60;
/** Slack's payloads are a few KB; past this the request is not Slack's. */
const MAX_BODY_BYTES = 1024 * 1024;
/** Signatures remembered for replay detection; the oldest are forgotten first past this (bounded memory). */
const MAX_REMEMBERED = 200_000;

/**
 * In front of Bolt's receiver on /slack/events, two checks Bolt does not make (found by
 * test/hostile/signed-requests.test.ts):
 * - a correctly signed command or interaction sent again (the same timestamp and body, so the same
 *   signature) is a replay: Slack never sends one twice, an eavesdropper can, and Bolt would run it
 *   again (a second request, a second decision attempt);
 * - a timestamp more than five minutes in the future: Bolt only refuses old ones.
 * Requests whose signature does not verify go on to Bolt unchanged, which refuses them as before
 * (so only genuine signatures are remembered). The body is read here once and handed to Bolt as
 * `rawBody`, which its receiver takes instead of reading the stream again.
 * Per process: replicas behind a load balancer each remember what they saw.
 */
/**
 * Commands and interactions can change something, and Slack makes each unique (trigger_id, action_ts).
 * A type-ahead query (block_suggestion) carries nothing unique: the same query typed twice in one second
 * is the same signed body, and only reads. Events (JSON) are idempotent here and Slack's retries of them
 * must not be refused.
 */
function changesState(req: IncomingMessage, body: Buffer): boolean {
  if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return false;
  const payload = new URLSearchParams(body.toString('utf8')).get('payload');
  if (payload === null) return true;
  try {
    return (JSON.parse(payload) as { type?: unknown }).type !== 'block_suggestion';
  } catch {
    return true;
  }
}

export function guardSlackRequests(
  next: RequestListener,
  signingSecret: string,
  logger: Logger,
  nowMs: () => number = Date.now,
): RequestListener {
  const seen = new Map<string, number>();

  const verified = (signature: string, timestamp: string, body: Buffer) => {
    const expected = Buffer.from(
      `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:`).update(body).digest('hex')}`,
    );
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  const forgetOld = (now: number) => {
    for (const [signature, until] of seen) {
      if (until > now && seen.size <= MAX_REMEMBERED) break;
      seen.delete(signature);
    }
  };

  const refuse = (res: Parameters<RequestListener>[1], reason: string, req: IncomingMessage) => {
    logger.warn({ reason, path: req.url }, 'refused a Slack request');
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: reason }));
  };

  return (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'body_too_large' }));
        return;
      }
      const body = Buffer.concat(chunks);
      const timestamp = String(req.headers['x-slack-request-timestamp'] ?? '');
      const signature = String(req.headers['x-slack-signature'] ?? '');
      if (/^\d{1,12}$/.test(timestamp) && verified(signature, timestamp, body)) {
        const now = nowMs();
        if (Math.abs(now / 1000 - Number(timestamp)) > WINDOW_SECONDS)
          return refuse(res, 'stale_or_future_timestamp', req);
        if (changesState(req, body)) {
          forgetOld(now);
          if (seen.has(signature)) return refuse(res, 'replayed', req);
          seen.set(signature, (Number(timestamp) + WINDOW_SECONDS) * 1000 + 60_000);
        }
      }
      (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
      next(req, res);
    });
  };
}
