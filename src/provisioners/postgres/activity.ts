import postgres from 'postgres';
import type { DatabaseActivity, DatabaseBackend } from '../../services/ports.js';
import type { Secrets } from '../secrets.js';
import { parseAdminUrl } from './admin-url.js';
import { roleNameFor } from './postgres-provisioner.js';

/**
 * The postgres provisioner's side of session capture: which server and role a grant's target lives on,
 * and one sample of pg_stat_activity there (one short-lived admin connection per server).
 */
export function createPostgresActivity(secrets: Secrets): DatabaseActivity {
  return {
    locate(target, provisioner) {
      if (provisioner?.type !== 'postgres')
        throw new Error(`${target.resourceName} no longer uses the postgres provisioner`);
      const settings = secrets.resolveSettings(provisioner.settings);
      const role =
        typeof target.state.role === 'string'
          ? target.state.role
          : roleNameFor(target, String(settings.role_prefix ?? 'jit_'));
      return { server: String(settings.admin_url), role };
    },

    async sample(url, roles) {
      // postgres-js parses the URL with `new URL`, whose error would carry the whole URL: parse it first.
      parseAdminUrl(url);
      const sql = postgres(url, {
        max: 1,
        connect_timeout: 5,
        idle_timeout: 1,
        max_lifetime: 60,
        fetch_types: false,
        onnotice: () => {},
        connection: { application_name: 'access-requests-session-capture', statement_timeout: 5000 },
      });
      try {
        // The left join keeps one row (with the server's time) even when no backend matches. Our own
        // backend runs as the admin role, and pid <> pg_backend_pid() keeps it out even if roles overlap.
        return await sql<DatabaseBackend[]>`
          select clock_timestamp() as seen_at, a.pid, a.usename, a.backend_start,
                 coalesce(host(a.client_addr), case when a.client_port = -1 then 'local socket' end) as client_addr,
                 a.datname, a.state, a.query_start, a.query
          from (select 1) as one
          left join pg_stat_activity a
            on a.usename in ${sql(roles)} and a.pid <> pg_backend_pid() and a.backend_type = 'client backend'`;
      } finally {
        await sql.end({ timeout: 2 }).catch(() => undefined);
      }
    },
  };
}
