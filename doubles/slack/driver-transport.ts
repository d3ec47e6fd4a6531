/**
 * How the driver's requests reach the app: signed HTTP POSTs as Slack sends them (doc §1.1), or a
 * transport that stands in for them (Socket Mode), and the app's answer as the driver reports it.
 */
import { createHmac } from 'node:crypto';

export interface DriverResponse {
  status: number;
  text: string;
  json?: any;
  /** ms until the app answered; Slack gives up after 3 s (doc §1.3) */
  elapsedMs?: number;
  /** the answer came after Slack's 3 s deadline, so Slack ignored it (view left as it was) */
  timedOut?: boolean;
  /** false when Slack would not have sent anything (e.g. a select in an input block without dispatch_action) */
  dispatched?: boolean;
  /** Slack's complaint about the app's answer (e.g. an invalid `response_action: update` view) */
  slackError?: string;
  slackMessages?: string[];
}

/** `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{rawBody}` (doc §1.1). */
export function signSlackRequest(signingSecret: string, timestamp: number | string, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

/**
 * How a request reaches the app instead of a signed HTTP POST: the body and content type Slack would
 * have POSTed, answered with what the app acked (status 200 and the ack's JSON, or a timeout).
 */
export type SlackTransport = (body: string, contentType: string) => Promise<{ status: number; text: string }>;

/** Where the app listens and how Slack signs for it; `transport` replaces the signed POST. */
export interface AppEndpoint {
  eventsUrl: string;
  signingSecret: string;
  transport?: SlackTransport | undefined;
}

/**
 * POST a body to the app, signed with the current time unless `headers` say otherwise (`signature: null`
 * omits it); an answer later than `ackDeadlineMs` is marked timed out, as Slack stops waiting.
 */
export async function postToApp(
  app: AppEndpoint,
  ackDeadlineMs: number,
  body: string,
  contentType: string,
  headers: { timestamp?: string; signature?: string | null; retryNum?: number } = {},
): Promise<DriverResponse> {
  const timestamp = headers.timestamp ?? String(Math.floor(Date.now() / 1000));
  const signature =
    headers.signature === undefined ? signSlackRequest(app.signingSecret, timestamp, body) : headers.signature;
  const h: Record<string, string> = { 'content-type': contentType, 'x-slack-request-timestamp': timestamp };
  if (signature !== null) h['x-slack-signature'] = signature;
  // An Events API retry (doc: "X-Slack-Retry-Num" / "X-Slack-Retry-Reason"): the same body, signed anew.
  if (headers.retryNum !== undefined)
    Object.assign(h, { 'x-slack-retry-num': String(headers.retryNum), 'x-slack-retry-reason': 'http_timeout' });
  const started = Date.now();
  let status: number;
  let text: string;
  let isJson: boolean;
  if (app.transport) {
    ({ status, text } = await app.transport(body, contentType));
    isJson = true;
  } else {
    const res = await fetch(app.eventsUrl, { method: 'POST', headers: h, body });
    status = res.status;
    text = await res.text();
    isJson = String(res.headers.get('content-type')).includes('json');
  }
  const elapsedMs = Date.now() - started;
  let json: any;
  if (text !== '' && (isJson || /^\s*[[{]/.test(text))) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { status, text, json, elapsedMs, timedOut: elapsedMs > ackDeadlineMs, dispatched: true };
}
