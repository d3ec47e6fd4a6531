import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { signSlackRequest } from '../doubles/slack/driver.js';

/**
 * Sends bursts of signed Slack requests, all at once, the way Slack does when many people type a
 * command in the same moment: its own process, so the bench process (the Slack double) and this
 * client do not queue behind each other. Each burst is one JSON line on stdin
 * `{ url, secret, bodies: string[] }`; every body goes on its own keep-alive connection (kept per URL
 * across bursts, as Slack's and a load balancer's connections are), all written in one tight loop,
 * each timed to the first byte of its answer (Slack's ack). Answers one JSON line per burst:
 * `[{ sentAt, ackMs, status }]`, sentAt in wall-clock ms (performance.timeOrigin based, like
 * FakeSlack's call times).
 *
 * Why kept connections: with a new connection per request, a connection the server had not accepted
 * before the burst waited for its accept behind the modals of the requests already read (the bot and
 * the bare Bolt app alike), and the figure measured that accept queue rather than the app.
 */
interface Burst {
  url: string;
  secret: string;
  bodies: string[];
}
interface Result {
  sentAt: number;
  ackMs: number;
  status: number;
}

const wallMs = () => performance.timeOrigin + performance.now();

/** One keep-alive connection that reads HTTP/1.1 answers (Content-Length or chunked). */
class Conn {
  private buffer = Buffer.alloc(0);
  private waiting: {
    firstByte: bigint;
    resolve: (r: { firstByte: bigint; status: number }) => void;
    reject: (e: Error) => void;
  } | null = null;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (this.waiting && this.waiting.firstByte === 0n) this.waiting.firstByte = process.hrtime.bigint();
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    socket.on('error', (e) => this.waiting?.reject(e));
    socket.on('close', () => this.waiting?.reject(new Error('connection closed')));
  }

  static open(url: URL): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => resolve(new Conn(socket)));
      socket.once('error', reject);
    });
  }

  get open() {
    return !this.socket.destroyed;
  }

  /** Writes the request now; resolves with the time of the answer's first byte and its status. */
  send(request: Buffer): Promise<{ firstByte: bigint; status: number }> {
    return new Promise((resolve, reject) => {
      this.waiting = { firstByte: 0n, resolve, reject };
      this.socket.write(request);
    });
  }

  private parse() {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0 || !this.waiting) return;
    const head = this.buffer.subarray(0, end).toString('latin1');
    const status = Number(head.slice(9, 12));
    let bodyEnd: number;
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (length) {
      bodyEnd = end + 4 + Number(length[1]);
      if (this.buffer.length < bodyEnd) return;
    } else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      const last = this.buffer.indexOf('\r\n0\r\n\r\n', end);
      if (last < 0) return;
      bodyEnd = last + 7;
    } else {
      bodyEnd = end + 4;
    }
    this.buffer = this.buffer.subarray(bodyEnd);
    const { firstByte, resolve } = this.waiting;
    this.waiting = null;
    resolve({ firstByte, status });
  }
}

const pools = new Map<string, Conn[]>();

async function connections(url: URL, n: number): Promise<Conn[]> {
  const pool = (pools.get(url.href) ?? []).filter((c) => c.open);
  while (pool.length < n) pool.push(await Conn.open(url));
  pools.set(url.href, pool);
  return pool.slice(0, n);
}

async function burst({ url, secret, bodies }: Burst): Promise<Result[]> {
  const target = new URL(url);
  const conns = await connections(target, bodies.length);
  const ts = Math.floor(Date.now() / 1000);
  const requests = bodies.map((body) => {
    const signature = signSlackRequest(secret, ts, body);
    return Buffer.from(
      `POST ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Slack-Request-Timestamp: ${ts}\r\nX-Slack-Signature: ${signature}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
  const sentAt: number[] = [];
  const started: bigint[] = [];
  const answers = conns.map((conn, i) => {
    sentAt.push(wallMs());
    started.push(process.hrtime.bigint());
    return conn.send(requests[i]!);
  });
  const done = await Promise.all(answers);
  return done.map((a, i) => ({ sentAt: sentAt[i]!, ackMs: Number(a.firstByte - started[i]!) / 1e6, status: a.status }));
}

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  process.stdout.write(`${JSON.stringify(await burst(JSON.parse(line) as Burst))}\n`);
}
