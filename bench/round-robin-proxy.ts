import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The simplest load balancer in front of several replicas: every request goes to the next replica in
 * turn, over kept-alive connections (as a real balancer's are). Its own process, so its CPU time is
 * measured apart from the Slack double's. Args: the replicas' base URLs. Prints `{"port":N}` once listening.
 */
const replicas = process.argv.slice(2).map((u) => new URL(u));
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
let turn = 0;

const server = createServer((req, res) => {
  const to = replicas[turn++ % replicas.length]!;
  const upstream = request(
    { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers, agent },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end('replica unreachable')));
  req.pipe(upstream);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () =>
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`),
);
