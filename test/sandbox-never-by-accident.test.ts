import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from './support/database.js';

/**
 * Issue 23, item 2: the sandbox (a page that acts as anyone and moves the clock) never starts by accident,
 * never on a production database. Each case runs a start as a real child process, as an operator would.
 */
const root = new URL('..', import.meta.url).pathname;
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

function tempDir() {
  const d = mkdtempSync(join(tmpdir(), 'sandbox-guard-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function database(kind: 'bot' | 'empty'): Promise<TestDatabase> {
  const db = kind === 'bot' ? await createTestDatabase() : await createEmptyDatabase();
  cleanups.push(() => db.drop());
  return db;
}

/**
 * Runs a start until it exits, or until it prints the sandbox's URL (then stops it); returns what it said.
 * `sandbox/start.ts` is what `npm start` runs in a clone; `src/main.ts` is the production image's bot alone.
 */
function runMain(env: Record<string, string>, args: string[] = [], entry = 'sandbox/start.ts') {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', PORT: '0', DATA_DIR: tempDir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += String(c)));
  child.stderr.on('data', (c: Buffer) => (stderr += String(c)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    /** The sandbox URL once printed, or null when main exited first. */
    sandboxUrl: new Promise<string | null>((resolve) => {
      child.stdout.on('data', () => {
        const m = /Open (http:\/\/\S+\/sandbox)/.exec(stdout);
        if (m) resolve(m[1]!);
      });
      void exited.then(() => resolve(null));
    }),
    ended: async () => {
      const code = await exited;
      return { code, stdout, stderr };
    },
  };
}

async function sandboxMark(url: string): Promise<string | null> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] =
      await sql`select shobj_description(oid, 'pg_database') as mark from pg_database where datname = current_database()`;
    return (row?.mark as string | null) ?? null;
  } finally {
    await sql.end();
  }
}

/** GET with a chosen Host header (fetch does not let a page, or a test, set it). */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * The addresses something listens on at `port` (Linux /proc/net/tcp and tcp6, state 0A = LISTEN):
 * "127.0.0.1", or "0.0.0.0" / "::" when every interface is open.
 */
function listenedOn(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const known: Record<string, string> = { '0100007F': '127.0.0.1', '00000000': '0.0.0.0', ['0'.repeat(32)]: '::' };
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((table) =>
    readFileSync(table, 'utf8')
      .split('\n')
      .slice(1)
      .map((row) => row.trim().split(/\s+/))
      .filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A')
      .map((f) => {
        const address = f[1]!.split(':')[0]!;
        return known[address] ?? address;
      }),
  );
}

describe('the sandbox never starts by accident', () => {
  it('empty Slack variables with a DATABASE_URL stop start-up naming the variable, and touch nothing', async () => {
    const prod = await database('bot');
    const run = runMain({ SLACK_BOT_TOKEN: '', SLACK_SIGNING_SECRET: '', DATABASE_URL: prod.url });
    expect(await run.sandboxUrl).toBeNull();
    const { code, stdout, stderr } = await run.ended();
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('Cannot start: SLACK_BOT_TOKEN is set but empty: give it a value or remove it.');
    expect(stdout).not.toContain('Sandbox');
    expect(await sandboxMark(prod.url)).toBeNull();
  });

  it('a DATABASE_URL without Slack credentials is refused, not opened to the sandbox', async () => {
    const prod = await database('bot');
    const run = runMain({ DATABASE_URL: prod.url });
    expect(await run.sandboxUrl).toBeNull();
    const { code, stderr } = await run.ended();
    expect(code).toBe(1);
    expect(stderr).toContain('the sandbox never starts on a DATABASE_URL unless asked for with --sandbox');
  });

  it('--sandbox on a database that holds a bot’s data is refused, and nothing in it changes', async () => {
    const prod = await database('bot');
    const sql = postgres(prod.url, { max: 1, onnotice: () => {} });
    cleanups.push(() => sql.end());
    const before = await sql`select count(*)::int as n from audit_events`;
    const run = runMain({ DATABASE_URL: prod.url }, ['--sandbox']);
    expect(await run.sandboxUrl).toBeNull();
    const { code, stderr } = await run.ended();
    expect(code).toBe(1);
    expect(stderr).toContain("holds a bot's data: the sandbox runs only on an empty database");
    expect(await sql`select count(*)::int as n from audit_events`).toEqual(before);
    expect(await sandboxMark(prod.url)).toBeNull();
  });

  it('--sandbox on an empty database claims it, listens on loopback and answers only to local host names', async () => {
    const empty = await database('empty');
    const run = runMain({ DATABASE_URL: empty.url }, ['--sandbox']);
    try {
      const url = await run.sandboxUrl;
      expect(url).not.toBeNull();
      const port = new URL(url!).port;
      expect(await sandboxMark(empty.url)).toContain('access-requests sandbox');
      // HOST is not set: this machine only, not every interface.
      expect(listenedOn(Number(port))).toEqual(['127.0.0.1']);
      const local = `http://127.0.0.1:${port}/sandbox/api/state`;
      expect(await getWithHost(local, `localhost:${port}`)).toBe(200);
      expect(await getWithHost(local, `127.0.0.1:${port}`)).toBe(200);
      // DNS rebinding: a page on attacker.example that resolves to 127.0.0.1 still sends its own Host.
      expect(await getWithHost(local, `attacker.example:${port}`)).toBe(421);
    } finally {
      run.child.kill('SIGTERM');
    }
    expect((await run.ended()).code).toBe(0);
  });

  it('the production entry has no sandbox: without credentials, or with --sandbox, it refuses in one sentence', async () => {
    const empty = await database('empty');
    for (const args of [[], ['--sandbox']]) {
      const run = runMain({ DATABASE_URL: empty.url }, args, 'src/main.ts');
      expect(await run.sandboxUrl).toBeNull();
      const { code, stdout, stderr } = await run.ended();
      expect(code).toBe(1);
      expect(stdout).not.toContain('Sandbox');
      expect(stderr.trim()).toBe(
        'Cannot start: SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are not set (or --sandbox was given): set them to run ' +
          'the bot. This build has no sandbox; to try the bot without Slack, run `npm start` in a clone of the repository.',
      );
      expect(await sandboxMark(empty.url)).toBeNull();
    }
  });
});
