import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SlackTransport } from '../../doubles/slack/driver.js';
import type { FakeSlack } from '../../doubles/slack/fake-slack.js';

/** Slack's ack deadline (doc §6: "Ack is still expected within 3 s"); later acks count as timed out. */
const WAIT_FOR_ACK_MS = 5000;

/**
 * Slack's side of Socket Mode (platform doc §6): FakeSlack's apps.connections.open hands out this
 * server's ws:// URL for the app-level token; a connecting app gets `hello` first, then envelopes
 * (`slash_commands`, `interactive`, `events_api`, payloads parsed, not signed), and acks each with
 * `{envelope_id, payload}`. Pings every `pingEveryMs`, as Slack does. `transport` plugs it into the
 * SlackDriver, so every journey step runs unchanged over the WebSocket.
 */
export class SocketModeServer {
  /** Every envelope sent, in order (type and id), for assertions. */
  readonly sent: Array<{ type: string; envelopeId: string }> = [];
  connections = 0;
  private readonly sockets = new Set<WebSocket>();
  private readonly waiting = new Map<string, (payload: unknown) => void>();

  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    private readonly pinger: NodeJS.Timeout,
  ) {}

  static async start(
    slack: FakeSlack,
    appToken: string,
    opts: { pingEveryMs?: number } = {},
  ): Promise<SocketModeServer> {
    const http = createServer((_req, res) => {
      res.writeHead(404);
      res.end();
    });
    const wss = new WebSocketServer({ server: http, path: '/link/' });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as AddressInfo).port;
    const pinger = setInterval(() => server.sockets.forEach((s) => s.ping()), opts.pingEveryMs ?? 5000).unref();
    const server = new SocketModeServer(http, wss, pinger);
    slack.acceptSocketMode(appToken, () => `ws://127.0.0.1:${port}/link/?ticket=${randomUUID()}&app_id=${slack.appId}`);
    wss.on('connection', (socket) => {
      server.sockets.add(socket);
      server.connections += 1;
      socket.send(
        JSON.stringify({
          type: 'hello',
          num_connections: server.sockets.size,
          debug_info: { host: 'applink-fake', build_number: 1, approximate_connection_time: 18060 },
          connection_info: { app_id: slack.appId },
        }),
      );
      socket.on('message', (data) => {
        let ack: { envelope_id?: string; payload?: unknown };
        try {
          ack = JSON.parse(String(data)) as typeof ack;
        } catch {
          return;
        }
        const resolve = ack.envelope_id ? server.waiting.get(ack.envelope_id) : undefined;
        if (!resolve) return;
        server.waiting.delete(ack.envelope_id!);
        resolve(ack.payload);
      });
      socket.on('close', () => server.sockets.delete(socket));
    });
    return server;
  }

  /** Apps connected now. */
  get open(): number {
    return this.sockets.size;
  }

  /** Tells every connected app to reconnect (Slack does this when it rotates its hosts). */
  disconnectAll(reason = 'refresh_requested') {
    for (const s of this.sockets)
      s.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-fake' } }));
  }

  /** What Slack would have POSTed, sent as an envelope on the newest connection; resolves with the ack. */
  readonly transport: SlackTransport = async (body, contentType) => {
    const socket = [...this.sockets].at(-1);
    if (!socket) throw new Error('no app is connected over Socket Mode');
    const envelopeId = randomUUID();
    const envelope = { envelope_id: envelopeId, ...envelopeOf(body, contentType) };
    this.sent.push({ type: envelope.type, envelopeId });
    const acked = new Promise<{ status: number; text: string }>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(envelopeId);
        resolve({ status: 0, text: '' });
      }, WAIT_FOR_ACK_MS);
      this.waiting.set(envelopeId, (payload) => {
        clearTimeout(timer);
        resolve({ status: 200, text: payload === undefined ? '' : JSON.stringify(payload) });
      });
    });
    socket.send(JSON.stringify(envelope));
    return acked;
  };

  async stop() {
    clearInterval(this.pinger);
    for (const s of this.sockets) s.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}

/** The envelope Slack sends for a body it would have POSTed over HTTP (doc §6, §2.1). */
function envelopeOf(body: string, contentType: string) {
  if (contentType.startsWith('application/json')) {
    return {
      type: 'events_api',
      payload: JSON.parse(body) as unknown,
      accepts_response_payload: false,
      retry_attempt: 0,
      retry_reason: '',
    };
  }
  const fields = new URLSearchParams(body);
  const payload = fields.get('payload');
  if (payload !== null)
    return { type: 'interactive', payload: JSON.parse(payload) as unknown, accepts_response_payload: true };
  return { type: 'slash_commands', payload: Object.fromEntries(fields), accepts_response_payload: true };
}
