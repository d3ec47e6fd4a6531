import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { readBody } from './request-body.js';

/** Slack: "if the difference between now and the request timestamp is more than five minutes, ignore it". */
const WINDOW_SECONDS = 5 * 60;
/** Slack's payloads are a few KB; past this the request is not Slack's. */
export const MAX_SLACK_BODY_BYTES = 1024 * 1024;
/** Requests remembered for replay detection; the oldest are forgotten first past this (bounded memory). */
const MAX_REMEMBERED = 200_000;
/**
 * The one signature form Slack sends: `v0=` and 64 lowercase hex digits. Anything else is refused here,
 * because Bolt compares only what follows the first `=` and would take `v0=<hex>=x` as the same
 * signature while a memory of header strings would take it for a new one.
 */
const SIGNATURE = /^v0=([0-9a-f]{64})$/;
const TIMESTAMP = /^\d{1,12}$/;

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

/**
 * In front of Bolt's receiver on /slack/events (found by test/hostile/signed-requests.test.ts):
 * - the body is read at most up to 1 MiB (413 past it, the rest left unread);
 * - the signature is verified here, in its one canonical form; a missing, malformed or wrong one is
 *   refused with 401 before Bolt sees the request;
 * - a correctly signed command or interaction sent again (the same timestamp and body) is a replay:
 *   Slack never sends one twice, an eavesdropper can, and Bolt would run it again. Requests are
 *   remembered by the HMAC this guard computed (a function of timestamp and body only), never by the
 *   header as sent, so no decoration of the header makes a replay look new;
 * - a timestamp more than five minutes in the future: Bolt only refuses old ones.
 * The body is handed to Bolt as `rawBody`, which its receiver takes instead of reading the stream again.
 *
 * The memory is per process: a replay sent to another replica within the five minutes passes this
 * guard. That is why every state-creating command and submission is idempotent in the database as well
 * (the request, extension and break-glass forms are keyed by their view or trigger id; a second
 * `/access apikey create` of the same name is refused for the same window); see docs/deploying.md.
 */
export function guardSlackRequests(
  next: RequestListener,
  signingSecret: string,
  logger: Logger,
  nowMs: () => number = Date.now,
): RequestListener {
  const seen = new Map<string, number>();

  /** The HMAC's hex digest when the signature header is the canonical form of it, else null. */
  const verifiedDigest = (signature: string, timestamp: string, body: Buffer): string | null => {
    const given = SIGNATURE.exec(signature)?.[1];
    if (!given || !TIMESTAMP.test(timestamp)) return null;
    const expected = createHmac('sha256', signingSecret).update(`v0:${timestamp}:`).update(body).digest('hex');
    return timingSafeEqual(Buffer.from(given), Buffer.from(expected)) ? expected : null;
  };

  const forgetOld = (now: number) => {
    for (const [digest, until] of seen) {
      if (until > now && seen.size <= MAX_REMEMBERED) break;
      seen.delete(digest);
    }
  };

  const refuse = (req: IncomingMessage, res: ServerResponse, reason: string, message: string) => {
    logger.warn({ reason, path: req.url }, 'refused a Slack request');
    res.writeHead(401, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ error: reason, message }));
  };

  return (req, res) => {
    void readBody(req, res, MAX_SLACK_BODY_BYTES).then((body) => {
      if (body === null) return;
      const timestamp = String(req.headers['x-slack-request-timestamp'] ?? '');
      const digest = verifiedDigest(String(req.headers['x-slack-signature'] ?? ''), timestamp, body);
      if (!digest)
        return refuse(req, res, 'invalid_signature', 'This request is not signed by Slack with this app’s secret.');
      const now = nowMs();
      if (Math.abs(now / 1000 - Number(timestamp)) > WINDOW_SECONDS)
        return refuse(req, res, 'stale_or_future_timestamp', 'This request’s timestamp is not within five minutes.');
      if (changesState(req, body)) {
        forgetOld(now);
        if (seen.has(digest)) return refuse(req, res, 'replayed', 'This request was already received once.');
        seen.set(digest, (Number(timestamp) + WINDOW_SECONDS) * 1000 + 60_000);
      }
      (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
      next(req, res);
    });
  };
}
