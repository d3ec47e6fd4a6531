import type { Route } from './server.js';

/** GET /healthz: 200 when the database answers, 503 otherwise (for load balancers and Docker). */
export function healthRoute(checkDatabase: () => Promise<void>): Route {
  return {
    path: '/healthz',
    method: 'GET',
    handler: async (_req, res) => {
      try {
        await checkDatabase();
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true }));
      } catch {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: 'database unavailable' }));
      }
    },
  };
}
