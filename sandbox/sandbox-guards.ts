import type { IncomingMessage } from 'node:http';
import postgres from 'postgres';
import type { Route } from '../src/http/server.js';

/** What marks a PostgreSQL database as the sandbox's own (COMMENT ON DATABASE). */
const SANDBOX_MARK = 'access-requests sandbox: sample data, safe to empty';

export class SandboxRefused extends Error {}

/**
 * The sandbox acts as anyone and moves its clock, running expiry on every row it finds: on a DATABASE_URL
 * it runs only on an empty database (which it then marks as its own) or one it marked before, never on a
 * database that holds a real bot's requests and grants.
 */
export async function claimSandboxDatabase(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10, fetch_types: false });
  try {
    const [row] = await sql<{ mark: string | null; bot: string | null; db: string }[]>`
      select shobj_description(d.oid, 'pg_database') as mark, to_regclass('public.access_requests')::text as bot,
             current_database() as db
      from pg_database d where d.datname = current_database()`;
    if (row!.mark === SANDBOX_MARK) return;
    if (row!.bot !== null)
      throw new SandboxRefused(
        `DATABASE_URL's database ${row!.db} holds a bot's data: the sandbox runs only on an empty database ` +
          '(or leave DATABASE_URL unset to use its own embedded one).',
      );
    await sql.unsafe(`comment on database "${row!.db.replaceAll('"', '""')}" is '${SANDBOX_MARK}'`);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Listening on every address: reached from this machine through loopback. */
export const ANY_ADDRESS: ReadonlySet<string> = new Set(['0.0.0.0', '::', '']);

/** Host names a browser on this machine uses, and the operator's PUBLIC_URL / HOST when given. */
export function allowedHosts(host: string, publicUrl: string | undefined): Set<string> {
  const hosts = new Set(['localhost', '127.0.0.1', '[::1]']);
  if (publicUrl) hosts.add(new URL(publicUrl).hostname);
  if (!ANY_ADDRESS.has(host)) hosts.add(host.includes(':') ? `[${host}]` : host);
  return hosts;
}

function hostnameOf(req: IncomingMessage): string | null {
  const header = req.headers.host;
  if (!header) return null;
  try {
    return new URL(`http://${header}`).hostname;
  } catch {
    return null;
  }
}

/**
 * DNS rebinding: a web page on evil.example whose name later resolves to 127.0.0.1 could drive the
 * sandbox's page API (which acts as anyone). Browsers still send `Host: evil.example`, so the sandbox's
 * routes answer only to the names above.
 */
export function checkHost(routes: Route[], hosts: ReadonlySet<string>): Route[] {
  return routes.map((route) => ({
    ...route,
    handler: (req, res, url) => {
      const name = hostnameOf(req);
      if (name && hosts.has(name)) return route.handler(req, res, url);
      res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end(
        `The sandbox answers only on ${[...hosts].join(', ')}: set PUBLIC_URL to the address you open it with.\n`,
      );
    },
  }));
}
