import { createHmac } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

/**
 * Sends bursts of signed Slack requests, all at once, the way Slack does when many people type a
 * command in the same moment: its own process, so the bench process (the Slack double) and this
 * client do not queue behind each other. Each burst is one JSON line on stdin
 * `{ url, secret, bodies: string[] }`; for each body it opens a connection first, then writes every
 * request in one tight loop and times each to the first byte of the answer (Slack's ack). Answers one
 * JSON line per burst: `[{ sentAt, ackMs, status }]`, sentAt in wall-clock ms (performance.timeOrigin
 * based, like FakeSlack's call times).
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

function opened(url: URL): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => resolve(socket));
    socket.setNoDelay(true);
    socket.once('error', reject);
  });
}

async function burst({ url, secret, bodies }: Burst): Promise<Result[]> {
  const target = new URL(url);
  const sockets = await Promise.all(bodies.map(() => opened(target)));
  const ts = Math.floor(Date.now() / 1000);
  const requests = bodies.map((body) => {
    const signature = `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
    return Buffer.from(
      `POST ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Slack-Request-Timestamp: ${ts}\r\nX-Slack-Signature: ${signature}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
  const answers = sockets.map(
    (socket) =>
      new Promise<{ firstByte: bigint; status: number }>((resolve, reject) => {
        let firstByte = 0n;
        let head = '';
        socket.on('data', (chunk: Buffer) => {
          if (firstByte === 0n) firstByte = process.hrtime.bigint();
          if (head.length < 12) head += chunk.toString('latin1', 0, 12);
        });
        socket.once('end', () => resolve({ firstByte, status: Number(head.slice(9, 12)) }));
        socket.once('error', reject);
      }),
  );
  const sentAt: number[] = [];
  const started: bigint[] = [];
  for (const [i, socket] of sockets.entries()) {
    sentAt.push(wallMs());
    started.push(process.hrtime.bigint());
    socket.write(requests[i]!);
  }
  const done = await Promise.all(answers);
  for (const s of sockets) s.destroy();
  return done.map((a, i) => ({ sentAt: sentAt[i]!, ackMs: Number(a.firstByte - started[i]!) / 1e6, status: a.status }));
}

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  process.stdout.write(`${JSON.stringify(await burst(JSON.parse(line) as Burst))}\n`);
}
