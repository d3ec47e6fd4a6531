import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;
export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** An exact path, or a prefix ending in `/*` (the handler reads the rest from the URL). */
  path: string;
  handler: RouteHandler;
}

/**
 * The bot's one HTTP server. `/slack/events` goes to Bolt's receiver (signature checks and all);
 * everything else is an exact-path route of ours. (Bolt's own custom routes compile a path pattern
 * per route on every request, which capped the authorization API at a third of this server's rate.)
 */
export function createHttpServer(slack: RequestListener | null, routes: Route[], logger: Logger): Server {
  const table = new Map(routes.filter((r) => !r.path.endsWith('/*')).map((r) => [`${r.method} ${r.path}`, r.handler]));
  const prefixes = routes.filter((r) => r.path.endsWith('/*')).map((r) => ({ ...r, prefix: r.path.slice(0, -1) }));
  return createServer((req, res) => {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    if (slack && path === '/slack/events') return slack(req, res);
    const handler =
      table.get(`${req.method} ${path}`) ??
      prefixes.find((r) => r.method === req.method && path.startsWith(r.prefix))?.handler;
    const url = new URL(raw, 'http://localhost');
    if (!handler) {
      const known = routes.some((r) => r.path === url.pathname);
      res.setHeader('cache-control', 'no-store');
      res.writeHead(known ? 405 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: known ? 'method_not_allowed' : 'not_found' }));
      return;
    }
    Promise.resolve(handler(req, res, url)).catch((error: unknown) => {
      logger.error({ err: error, path: url.pathname }, 'HTTP handler failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'internal_error' }));
    });
  });
}

export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(address && typeof address === 'object' ? address.port : port);
    });
  });
}

export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
