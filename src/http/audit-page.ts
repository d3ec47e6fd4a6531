import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ServerResponse } from 'node:http';
import { isAppError } from '../domain/errors.js';
import type { AuditViewService, SessionDetail } from '../services/audit-view-service.js';
import { renderAuditPage, renderLinkProblem } from './audit-page-html.js';
import type { Route } from './server.js';
import type { LinkSigner } from './signed-link.js';

const PAGE = /^\/audit\/(req_[0-9a-z]{6,20})$/;
const CAST = /^\/audit\/(req_[0-9a-z]{6,20})\/sessions\/(ses_[0-9a-z]{6,20})\.cast$/;

/** The player's files, read once from the package (served by the bot: the page works offline). */
function playerAssets() {
  // The package's exports hide package.json; find its folder from the main entry instead.
  const require = createRequire(import.meta.url);
  const main = require.resolve('asciinema-player');
  const dir = `${main.slice(0, main.lastIndexOf('/asciinema-player/') + '/asciinema-player/'.length)}dist/bundle/`;
  return { js: readFileSync(`${dir}asciinema-player.min.js`), css: readFileSync(`${dir}asciinema-player.css`) };
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, cache = 'no-store') {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': cache,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    // Only our own script and styles; the recordings come from the same origin. The player's terminal
    // emulator is WebAssembly, which needs 'wasm-unsafe-eval' (not general eval).
    'content-security-policy':
      "default-src 'none'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:",
  });
  res.end(body);
}

/** GET /audit/<request>?exp&sig (the page), /audit/<request>/sessions/<session>.cast, /assets/… */
export function auditPageRoutes(audit: AuditViewService, signer: LinkSigner): Route[] {
  const assets = playerAssets();
  return [
    {
      method: 'GET',
      path: '/favicon.ico',
      handler: (_q, res) => void res.writeHead(204, { 'cache-control': 'public, max-age=86400' }).end(),
    },
    {
      method: 'GET',
      path: '/assets/asciinema-player.min.js',
      handler: (_q, res) => send(res, 200, 'text/javascript; charset=utf-8', assets.js, 'public, max-age=86400'),
    },
    {
      method: 'GET',
      path: '/assets/asciinema-player.css',
      handler: (_q, res) => send(res, 200, 'text/css; charset=utf-8', assets.css, 'public, max-age=86400'),
    },
    {
      method: 'GET',
      path: '/audit/*',
      handler: async (_req, res, url) => {
        const check = signer.verify(url.pathname, url.searchParams);
        if (!check.ok)
          return send(
            res,
            check.reason === 'expired' ? 410 : 403,
            'text/html; charset=utf-8',
            renderLinkProblem(check.reason),
          );
        const cast = CAST.exec(url.pathname);
        if (cast) {
          const text = await audit.recording(cast[2]!);
          const session = text ? await audit.session(cast[2]!) : null;
          if (!text || !session) return send(res, 404, 'text/plain; charset=utf-8', 'no recording');
          return send(res, 200, 'application/x-asciicast; charset=utf-8', text);
        }
        const page = PAGE.exec(url.pathname);
        if (!page) return send(res, 404, 'text/plain; charset=utf-8', 'not found');
        try {
          const record = await audit.record(page[1]!);
          const sessions = (await Promise.all(record.sessions.map((s) => audit.session(s.id)))).filter(
            (s): s is SessionDetail => s !== null,
          );
          const castUrl = (sessionId: string) => {
            const path = `${url.pathname}/sessions/${sessionId}.cast`;
            return `${path}?${signer.query(path, check.exp)}`;
          };
          send(
            res,
            200,
            'text/html; charset=utf-8',
            renderAuditPage(record, sessions, castUrl, {
              js: '/assets/asciinema-player.min.js',
              css: '/assets/asciinema-player.css',
            }),
          );
        } catch (error) {
          if (isAppError(error) && error.code === 'not_found')
            return send(res, 404, 'text/plain; charset=utf-8', 'no such request');
          throw error;
        }
      },
    },
  ];
}
