import { createHash, timingSafeEqual } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { Route } from './server.js';

/**
 * GET /metrics in Prometheus' text format. With METRICS_TOKEN set it asks for `Authorization: Bearer
 * <token>`; without, it is open (keep it on a network only Prometheus reaches).
 */
export function metricsRoute(registry: Registry, token: string | undefined): Route {
  // Hashes are compared, so the comparison takes the same time whatever the length of the guess.
  const expected = token ? digest(token) : null;
  return {
    path: '/metrics',
    method: 'GET',
    handler: async (req, res) => {
      if (expected) {
        const header = req.headers.authorization ?? '';
        const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
        if (!timingSafeEqual(digest(given), expected)) {
          res.writeHead(401, {
            'content-type': 'application/json',
            'cache-control': 'no-store',
            'www-authenticate': 'Bearer realm="metrics"',
          });
          res.end(JSON.stringify({ error: 'unauthorized' }));
          return;
        }
      }
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
      res.end(body);
    },
  };
}

const digest = (s: string) => createHash('sha256').update(s).digest();
