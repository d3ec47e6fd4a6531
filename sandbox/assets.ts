import { readdirSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Route } from '../src/http/server.js';

// Next to this module: sandbox/public under tsx, dist/sandbox/public after `npm run build` copies it.
const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * The page and its scripts, read once at start: plain files, no build step. `/sandbox` is the page;
 * everything else is under `/sandbox/assets/` (the server matches exact paths, so each file is a route).
 */
export function sandboxAssetRoutes(): Route[] {
  const files = readdirSync(PUBLIC_DIR).filter((f) => TYPES[extname(f)] !== undefined);
  const route = (path: string, file: string): Route => {
    const body = readFileSync(`${PUBLIC_DIR}${file}`);
    const type = TYPES[extname(file)]!;
    return {
      method: 'GET',
      path,
      handler: (_req, res) => {
        res.writeHead(200, {
          'content-type': type,
          'cache-control': 'no-store',
          // Only our own scripts and styles run on the page; nothing is loaded from elsewhere.
          'content-security-policy':
            "default-src 'self'; img-src 'self' data: https:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
          'x-content-type-options': 'nosniff',
        });
        res.end(body);
      },
    };
  };
  return [
    route('/sandbox', 'index.html'),
    route('/sandbox/', 'index.html'),
    ...files.filter((f) => f !== 'index.html').map((f) => route(`/sandbox/assets/${f}`, f)),
  ];
}
