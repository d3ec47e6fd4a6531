import { Webhook } from 'standardwebhooks';
import type { Route } from '../src/http/server.js';
import { readBody, sendJson } from '../doubles/support/http-util.js';

export interface ReceivedWebhook {
  receivedAt: string;
  /** false when the Standard Webhooks signature did not verify: the event was refused with 401. */
  verified: boolean;
  id: string;
  type: string;
  data: Record<string, unknown> | null;
  problem?: string;
}

const KEEP = 200;

/**
 * The target of the sample resources' `webhook` provisioner: it checks each event's signature as a
 * real receiver must (with the `standardwebhooks` reference code, the same secret the bot signs with)
 * and keeps the events for the page, so a grant visibly does something.
 */
export function createWebhookReceiver(secret: string) {
  const events: ReceivedWebhook[] = [];
  const verifier = new Webhook(secret);
  const remember = (e: ReceivedWebhook) => {
    events.unshift(e);
    events.length = Math.min(events.length, KEEP);
  };

  const route: Route = {
    method: 'POST',
    path: '/sandbox/webhooks',
    handler: async (req, res) => {
      const body = await readBody(req);
      const header = (name: string) => String(req.headers[name] ?? '');
      const headers = {
        'webhook-id': header('webhook-id'),
        'webhook-timestamp': header('webhook-timestamp'),
        'webhook-signature': header('webhook-signature'),
      };
      const receivedAt = new Date().toISOString();
      let payload: { type?: unknown; data?: unknown };
      try {
        payload = verifier.verify(body, headers) as typeof payload;
      } catch (e) {
        remember({
          receivedAt,
          verified: false,
          id: headers['webhook-id'],
          type: 'unverified',
          data: null,
          problem: (e as Error).message,
        });
        sendJson(res, 401, { error: 'signature did not verify' });
        return;
      }
      const data = payload.data && typeof payload.data === 'object' ? (payload.data as Record<string, unknown>) : null;
      remember({
        receivedAt,
        verified: true,
        id: headers['webhook-id'],
        type: String(payload.type ?? 'unknown'),
        data,
      });
      // The provisioner passes `instructions` on to the requester's DM: it shows where the grant went.
      const instructions =
        payload.type === 'grant.activated'
          ? 'Sandbox: the built-in webhook receiver got this grant (see "Webhook receiver" on the page).'
          : undefined;
      sendJson(res, 200, instructions ? { instructions } : { ok: true });
    },
  };

  return { route, events: (): readonly ReceivedWebhook[] => events };
}

export type WebhookReceiver = ReturnType<typeof createWebhookReceiver>;
