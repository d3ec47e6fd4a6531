import type { Route } from './server.js';

/** A load balancer gives up after a few seconds: answer 503 before that rather than hang. */
export const HEALTH_TIMEOUT_MS = 2000;

/** GET /healthz: 200 when the database answers, 503 otherwise (for load balancers, Docker, readiness probes). */
export function healthRoute(checkDatabase: () => Promise<void>, timeoutMs = HEALTH_TIMEOUT_MS): Route {
  return {
    path: '/healthz',
    method: 'GET',
    handler: async (_req, res) => {
      let timer: NodeJS.Timeout | undefined;
      // A database that stopped answering (a black-holed network, a full pool) would otherwise keep the
      // check waiting for the driver's own connect timeout, longer than any probe waits.
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('database check timed out')), timeoutMs);
      });
      try {
        await Promise.race([checkDatabase(), timeout]);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true }));
      } catch {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: 'database unavailable' }));
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * GET /livez: 200 whenever the process answers HTTP, checking nothing else. A liveness probe on /healthz
 * would restart every replica during a database outage, which only adds start-up failures to the outage:
 * the bot recovers by itself once the database is back (readiness, on /healthz, takes it out of service
 * meanwhile). A process that stopped answering at all still fails this.
 */
export function livenessRoute(): Route {
  return {
    path: '/livez',
    method: 'GET',
    handler: (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ ok: true }));
    },
  };
}
