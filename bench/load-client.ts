import { connect, type Socket } from 'node:net';

/**
 * A lean open-loop load generator, run in its own process by the benchmarks. It writes pre-built
 * HTTP/1.1 requests on raw keep-alive sockets (one in flight per socket) and times each answer in
 * microseconds: node's http client, or autocannon's whole-millisecond latencies, would measure the
 * client more than the server on a 2-core machine with a 2 ms goal.
 * Args: url body authorization rate seconds connections
 */
const [url, body, auth, rate, seconds, connections] = process.argv.slice(2);
const target = new URL(url!);
const request = Buffer.from(
  `POST ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: application/json\r\nAuthorization: ${auth}\r\nContent-Length: ${Buffer.byteLength(body!)}\r\n\r\n${body}`,
);
// The first second is warm-up (JIT, connection set-up on the server); it is sent but not counted.
const WARMUP = Number(rate);
const total = Number(rate) * Number(seconds) + WARMUP;
const interval = 1e9 / Number(rate);
const latencies: number[] = [];
const statuses: Record<string, number> = {};
let queued = 0;
let answered = 0;

interface Conn {
  socket: Socket;
  busy: boolean;
  started: bigint;
  buffer: string;
}
const idle: Conn[] = [];
const backlog: bigint[] = [];

function open(): Promise<Conn> {
  return new Promise((resolve) => {
    const conn: Conn = { socket: connect(Number(target.port), target.hostname), busy: false, started: 0n, buffer: '' };
    conn.socket.setNoDelay(true);
    conn.socket.on('connect', () => resolve(conn));
    conn.socket.on('data', (chunk) => {
      conn.buffer += chunk.toString('latin1');
      const headerEnd = conn.buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(conn.buffer.slice(0, headerEnd))?.[1] ?? 0);
      if (conn.buffer.length < headerEnd + 4 + length) return;
      const status = conn.buffer.slice(9, 12);
      statuses[status] = (statuses[status] ?? 0) + 1;
      conn.buffer = conn.buffer.slice(headerEnd + 4 + length);
      answered += 1;
      if (answered > WARMUP) latencies.push(Number(process.hrtime.bigint() - conn.started) / 1000);
      const next = backlog.shift();
      if (next !== undefined) fire(conn, next);
      else {
        conn.busy = false;
        idle.push(conn);
      }
    });
  });
}

function fire(conn: Conn, due: bigint) {
  conn.busy = true;
  // Timed from the moment the request is written: the 1 ms scheduling tick is the client's, not the server's.
  // A request that waited for a free socket is timed from when it was due instead (queueing counts).
  const now = process.hrtime.bigint();
  conn.started = now - due > 1_500_000n ? due : now;
  conn.socket.write(request);
}

const conns = await Promise.all(Array.from({ length: Number(connections) }, open));
idle.push(...conns);
const started = process.hrtime.bigint();
await new Promise<void>((done) => {
  const tick = setInterval(() => {
    const due = Math.min(total, Math.floor(Number(process.hrtime.bigint() - started) / interval));
    for (; queued < due; queued++) {
      const dueAt = started + BigInt(Math.round(queued * interval));
      const conn = idle.pop();
      if (conn) fire(conn, dueAt);
      else backlog.push(dueAt);
    }
    if (queued >= total) {
      clearInterval(tick);
      done();
    }
  }, 1);
});
while (answered < total) await new Promise((r) => setTimeout(r, 5));
const elapsed = Number(process.hrtime.bigint() - started) / 1e9 - 1;
latencies.sort((a, b) => a - b);
const pick = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
const errors = Object.entries(statuses)
  .filter(([s]) => s !== '200')
  .reduce((n, [, c]) => n + c, 0);
process.stdout.write(
  JSON.stringify({
    kinds: statuses,
    sent: total - WARMUP,
    completed: latencies.length,
    errors,
    perSecond: latencies.length / elapsed,
    p50: pick(50),
    p99: pick(99),
    max: latencies.at(-1) ?? 0,
  }),
);
for (const c of conns) c.socket.destroy();
