import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { isSecretRef } from '../secrets.js';
import { parseAdminUrl } from './admin-url.js';
import { scramSha256Verifier } from './scram.js';
import {
  actAsRole,
  databasesHolding,
  grantInDatabase,
  quoteIdent,
  revokeClusterWideRoles,
  schemasSetting,
  targetDatabases,
} from './database-scope.js';
import { PermanentProvisioningError, type GrantContext, type Provisioner, type ProvisionResult } from '../port.js';

/**
 * Temporary PostgreSQL login roles. Each grant gets its own role `jit_<request>` with a generated
 * password that reaches the requester once (the server is given only its SCRAM-SHA-256 verifier), `VALID UNTIL` the grant's end (so the server itself refuses
 * the password afterwards, even if the bot is gone), and privileges inside the approved databases only
 * (database-scope.ts): read-only is SELECT, read-write adds INSERT, UPDATE, DELETE. Removal ends the role's
 * sessions, reassigns and drops what it owns or holds in every database, and drops the role.
 *
 * Settings: `admin_url` (a secret reference to a connection URL; its database is swapped for each approved
 * one, so the bot only ever connects to that server), `host` / `port` (shown to the requester),
 * `role_prefix` (default `jit_`), `schemas` (default: every schema but PostgreSQL's own).
 */
const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;
const DB_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,62}$/;

export function roleNameFor(ctx: Pick<GrantContext, 'requestId'>, prefix = 'jit_'): string {
  const name = `${prefix}${ctx.requestId.replace(/^req_/, '')}`.toLowerCase();
  if (!IDENT.test(name)) throw new PermanentProvisioningError(`cannot derive a safe role name from ${ctx.requestId}`);
  return name;
}

function connect(url: string, database?: string) {
  const target = parseAdminUrl(url);
  if (database) target.pathname = `/${database}`;
  // fetch_types off: postgres-js's start-up type query, cut short by a database dropped at that moment
  // (removal visits every database), left it reconnecting in a loop (9,000 attempts in 30 s, seen in
  // the suite) or threw an unhandled ECONNRESET; without it the query fails with 3D000, handled below.
  return postgres(target.toString(), {
    max: 1,
    onnotice: () => {},
    connect_timeout: 10,
    idle_timeout: 5,
    fetch_types: false,
  });
}

function tuning(ctx: GrantContext) {
  if (ctx.grant.type !== 'database')
    throw new PermanentProvisioningError(`${ctx.resource.name} is not a database grant`);
  const bad = ctx.grant.databases.find((d) => !DB_NAME.test(d));
  if (bad) throw new PermanentProvisioningError(`"${bad}" is not a database name`);
  return ctx.grant;
}

/** Classifies connection failures: wrong credentials never heal by retrying; an unreachable server may. */
function classify(error: unknown): Error {
  const code = (error as { code?: string }).code ?? '';
  if (['28P01', '28000', '42501', '3D000'].includes(code))
    return new PermanentProvisioningError(`PostgreSQL refused: ${(error as Error).message}`);
  return error instanceof Error ? error : new Error(String(error));
}

export function createPostgresProvisioner(): Provisioner {
  async function ensureRole(ctx: GrantContext): Promise<ProvisionResult> {
    const grant = tuning(ctx);
    const role = roleNameFor(ctx, String(ctx.settings.role_prefix ?? 'jit_'));
    const password = randomBytes(24).toString('base64url');
    // Only the SCRAM verifier is sent (base64 and $ : only, safe in the literal): the server's logs
    // never see the password, and it reaches nobody but the requester.
    const verifier = scramSha256Verifier(password);
    const until = ctx.expiresAt.toISOString();
    const schemas = schemasSetting(ctx.settings.schemas);
    if (schemas instanceof Error) throw new PermanentProvisioningError(schemas.message);
    const adminUrl = String(ctx.settings.admin_url);
    const sql = connect(adminUrl);
    try {
      const databases = await targetDatabases(sql, grant.databases);
      await sql.begin(async (tx) => {
        const [exists] = await tx`select 1 from pg_roles where rolname = ${role}`;
        const verb = exists ? 'alter' : 'create';
        // A new role is NOLOGIN until every database has its grants: a failure half-way leaves a role nobody
        // can use (removed when the grant ends, like any failed target). An existing one (a password issued
        // again) keeps LOGIN, so reconcile never sees a live grant as missing.
        const login = exists ? 'login' : 'nologin';
        await tx.unsafe(`${verb} role ${quoteIdent(role)} with ${login} password '${verifier}' valid until '${until}'`);
        if (exists) await revokeClusterWideRoles(tx, role);
      });
      // Privileges on tables live in each database: the grant is made there, over a connection to the
      // same server with only the database name changed.
      for (const database of databases) {
        const db = connect(adminUrl, database);
        try {
          await grantInDatabase(db, database, role, grant.access, { schemas, approved: grant.databases.length > 0 });
        } catch (error) {
          // Only an "all databases" grant lists databases itself; one dropped since then has nothing to grant.
          if (grant.databases.length > 0 || (error as { code?: string }).code !== '3D000') throw error;
        } finally {
          await db.end({ timeout: 2 });
        }
      }
      await sql.unsafe(`alter role ${quoteIdent(role)} login`);
    } catch (error) {
      throw error instanceof PermanentProvisioningError ? error : classify(error);
    } finally {
      await sql.end({ timeout: 2 });
    }
    const admin = parseAdminUrl(String(ctx.settings.admin_url));
    const host = String(ctx.settings.host ?? admin.hostname);
    const port = String(ctx.settings.port ?? (admin.port || '5432'));
    const database = grant.databases[0] ?? 'postgres';
    return {
      state: { role, access: grant.access, databases: grant.databases },
      instructions: `psql "host=${host} port=${port} dbname=${database} user=${role}" (${grant.access}; the password stops working when the grant ends)`,
      secret: { label: `Password for ${role}`, value: password },
    };
  }

  return {
    type: 'postgres',
    validateSettings(settings) {
      if (!isSecretRef(settings.admin_url))
        return 'admin_url must be a secret reference such as env:ACCESS_SECRET_PROD_DB_ADMIN_URL, never the URL itself.';
      if (settings.role_prefix !== undefined && !/^[a-z_][a-z0-9_]{0,20}$/.test(String(settings.role_prefix)))
        return 'role_prefix may use lower-case letters, digits and _ only.';
      const schemas = schemasSetting(settings.schemas);
      return schemas instanceof Error ? schemas.message : null;
    },
    provision: ensureRole,
    async extend(ctx) {
      const role = roleNameFor(ctx, String(ctx.settings.role_prefix ?? 'jit_'));
      const sql = connect(String(ctx.settings.admin_url));
      try {
        await sql.unsafe(`alter role ${quoteIdent(role)} valid until '${ctx.expiresAt.toISOString()}'`);
      } catch (error) {
        throw classify(error);
      } finally {
        await sql.end({ timeout: 2 });
      }
      return { state: { role } };
    },
    async deprovision(ctx) {
      const role = roleNameFor(ctx, String(ctx.settings.role_prefix ?? 'jit_'));
      const admin = connect(String(ctx.settings.admin_url));
      try {
        const [exists] = await admin`select 1 from pg_roles where rolname = ${role}`;
        if (!exists) return;
        // First make sure nothing new can start, then end what runs, then clean up and drop.
        await admin.unsafe(`alter role ${quoteIdent(role)} nologin`);
        await actAsRole(admin, role);
        await admin`select pg_terminate_backend(pid) from pg_stat_activity where usename = ${role}`;
        for (const datname of await databasesHolding(admin, role)) {
          const db = connect(String(ctx.settings.admin_url), datname);
          try {
            await db.unsafe(`reassign owned by ${quoteIdent(role)} to current_user`);
            await db.unsafe(`drop owned by ${quoteIdent(role)}`);
          } catch (error) {
            // A database dropped since we listed it holds nothing of the role any more.
            if ((error as { code?: string }).code !== '3D000') throw error;
          } finally {
            await db.end({ timeout: 2 });
          }
        }
        // Privileges on shared objects (CONNECT on a database) go with DROP OWNED in any database.
        await admin.unsafe(`drop owned by ${quoteIdent(role)}`);
        await admin.unsafe(`drop role if exists ${quoteIdent(role)}`);
      } catch (error) {
        throw classify(error);
      } finally {
        await admin.end({ timeout: 2 });
      }
    },
    async isPresent(ctx) {
      const role = roleNameFor(ctx, String(ctx.settings.role_prefix ?? 'jit_'));
      const sql = connect(String(ctx.settings.admin_url));
      try {
        const [row] = await sql`select rolcanlogin from pg_roles where rolname = ${role}`;
        return Boolean(row?.rolcanlogin);
      } finally {
        await sql.end({ timeout: 2 });
      }
    },
  };
}
