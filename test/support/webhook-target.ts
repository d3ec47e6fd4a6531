import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Webhook } from 'standardwebhooks';

/**
 * A provisioning target we can watch: a local HTTP receiver for the `webhook` provisioner. It checks
 * each Standard Webhooks signature, records every delivery (retries included) with a high-resolution
 * wall-clock time, and can be told to be "down" (answer 503) for a while, or to hold chosen deliveries
 * unanswered (recorded on arrival, as a real target acts on what it received) so a test can kill their
 * sender mid-call.
 */
export interface Delivery {
  id: string;
  type: string;
  grantId: string;
  requestId: string;
  resource: string;
  /** Wall-clock ms (fractional) when it arrived. */
  at: number;
}

/** A delivery left unanswered: `aborted` once its sender closed the connection before any answer. */
export interface HeldDelivery {
  delivery: Delivery;
  /** The sender's side of the connection (its local port), to find which process sent it. */
  remotePort: number;
  aborted: boolean;
  /** Answers 200 now (if the sender is still there). */
  release(): void;
}

export const WEBHOOK_SECRET = `whsec_${Buffer.from('access-requests-webhook-target-secret').toString('base64')}`;

export interface WebhookTarget {
  url: string;
  deliveries: Delivery[];
  /** Deliveries answered 503 while down (not counted in `deliveries`). */
  refused: number;
  down: boolean;
  /** Deliveries for which this says true are held unanswered (see `held`); null holds none. */
  hold: ((delivery: Delivery) => boolean) | null;
  held: HeldDelivery[];
  /** Grants whose access is present now: activated and not revoked since. */
  present(): Set<string>;
  /** Distinct deliveries of one type per grant (by webhook-id): a retry of the same message counts once. */
  count(type: string, grantId: string): number;
  stop(): Promise<void>;
}

export async function startWebhookTarget(secret = WEBHOOK_SECRET): Promise<WebhookTarget> {
  const verifier = new Webhook(secret);
  const target: Omit<WebhookTarget, 'url' | 'stop'> = {
    deliveries: [],
    refused: 0,
    down: false,
    hold: null,
    held: [],
    present() {
      const on = new Set<string>();
      for (const d of target.deliveries) {
        const key = `${d.grantId}/${d.resource}`;
        if (d.type === 'grant.activated') on.add(key);
        if (d.type === 'grant.revoked') on.delete(key);
      }
      return on;
    },
    count(type, grantId) {
      return new Set(target.deliveries.filter((d) => d.type === type && d.grantId === grantId).map((d) => d.id)).size;
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.timeOrigin + performance.now();
      if (target.down) {
        target.refused += 1;
        res.writeHead(503).end('down for the test');
        return;
      }
      const header = (n: string) => String(req.headers[n] ?? '');
      try {
        const body = Buffer.concat(chunks).toString('utf8');
        const event = verifier.verify(body, {
          'webhook-id': header('webhook-id'),
          'webhook-timestamp': header('webhook-timestamp'),
          'webhook-signature': header('webhook-signature'),
        }) as {
          type: string;
          data: { grant_id: string; request_id: string; resource: { name: string } };
        };
        const delivery = {
          id: header('webhook-id'),
          type: event.type,
          grantId: event.data.grant_id,
          requestId: event.data.request_id,
          resource: event.data.resource.name,
          at,
        };
        target.deliveries.push(delivery);
        const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
        if (!target.hold?.(delivery)) return void answer();
        const held: HeldDelivery = {
          delivery,
          remotePort: req.socket.remotePort ?? 0,
          aborted: false,
          release: () => !held.aborted && !res.writableEnded && answer(),
        };
        res.once('close', () => (held.aborted = !res.writableEnded));
        target.held.push(held);
      } catch {
        res.writeHead(401).end('bad signature');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(target, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as WebhookTarget;
}
