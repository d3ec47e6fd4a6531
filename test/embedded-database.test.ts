import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client.js';
import { findBinaries, reachableBinaries, serverUser } from '../src/db/embedded-postgres-host.js';
import { SlackDriver, until } from '../doubles/slack/driver.js';
import { FakeSlack } from '../doubles/slack/fake-slack.js';
import { processTree, startBotProcess, type BotProcess } from './support/bot-process.js';
import { BOT_TOKEN, SIGNING_SECRET } from './support/harness.js';
import { HANG_GUARD_MS, waitFor } from '../doubles/support/until.js';
import { ACCESS_FILE, PEOPLE } from './support/workspace.js';
import { startWorkspaceSlack } from './support/workspace-slack.js';

/**
 * The embedded default (no DATABASE_URL) is a PostgreSQL server the bot starts: it must end with the
 * bot however the bot ends, and a bot started after a crash must get its database back.
 */
const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'access-embedded-'));
  dirs.push(d);
  return d;
};
let slack: FakeSlack;
let accessFile: string;
beforeAll(async () => {
  slack = await startWorkspaceSlack();
  accessFile = join(tempDir(), 'access.yml');
  writeFileSync(accessFile, ACCESS_FILE);
});
afterAll(async () => {
  await slack.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Running, and not a zombie waiting for a parent that never reaps it. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}
const command = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');

function startBot(dataDir: string): Promise<BotProcess> {
  return startBotProcess({
    env: {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      DATA_DIR: dataDir,
      ACCESS_CONFIG: accessFile,
    },
    // An embedded server's first initdb comes before the bot answers.
    startTimeoutMs: 2 * HANG_GUARD_MS,
  });
}

/** The processes the bot started: the server's (a watchdog shell, the postmaster and its children). */
async function serverProcesses(bot: BotProcess): Promise<number[]> {
  const pids = (await processTree(bot.pid)).filter((p) => p !== bot.pid);
  expect(pids.filter(isPostmaster)).toHaveLength(1);
  return pids;
}
const isPostmaster = (pid: number) => /^\S*\/postgres -D/.test(command(pid));

/** The cluster's own socket, as an operator would reach it. */
const connect = (dataDir: string) =>
  postgres({ path: join(dataDir, 'postgres', '.s.PGSQL.5432'), user: 'postgres', database: 'postgres', max: 1 });

async function justifications(dataDir: string): Promise<string[]> {
  const sql = connect(dataDir);
  try {
    return (await sql<{ justification: string }[]>`select justification from access_requests`).map(
      (r) => r.justification,
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
}

describe('the embedded database server', () => {
  it('ends with the bot: SIGTERM, SIGINT, and SIGKILL too; the next start finds what was written', async () => {
    const dataDir = tempDir();
    let bot = await startBot(dataDir);
    const driver = new SlackDriver({ eventsUrl: bot.eventsUrl, signingSecret: SIGNING_SECRET, slack });
    await driver.command(PEOPLE.requester, '/access', 'request prod-db');
    const modal = await until(() => slack.topView(PEOPLE.requester), 'the request modal');
    await driver.submitView(PEOPLE.requester, modal.id, { 'request.justification': 'written before the kill' });
    let server = await serverProcesses(bot);
    // The server runs as someone other than root, whoever runs the bot (PostgreSQL refuses root).
    const postmaster = server.find(isPostmaster)!;
    expect(readFileSync(`/proc/${postmaster}/status`, 'utf8')).not.toMatch(/^Uid:\s+0\s/m);
    await bot.stop();
    expect(server.filter(alive)).toEqual([]);

    bot = await startBot(dataDir);
    server = await serverProcesses(bot);
    process.kill(bot.pid, 'SIGINT');
    expect(await bot.exited).toEqual({ code: 0, signal: null });
    expect(server.filter(alive)).toEqual([]);

    bot = await startBot(dataDir);
    server = await serverProcesses(bot);
    await bot.crash();
    await waitFor(() => server.filter(alive).length === 0, 'the killed bot’s server to stop');

    bot = await startBot(dataDir);
    try {
      expect(await justifications(dataDir)).toEqual(['written before the kill']);
    } finally {
      await bot.stop();
    }
  }, 600_000);

  it('a server that outlived its bot and its watchdog is stopped by the next start, which then runs', async () => {
    const dataDir = tempDir();
    let bot = await startBot(dataDir);
    const server = await serverProcesses(bot);
    const postmaster = server.find(isPostmaster)!;
    for (const shell of server.filter((p) => command(p).startsWith('/bin/sh'))) process.kill(shell, 'SIGKILL');
    await bot.crash();
    // Nothing is left to stop it: it serves on, its lock file in the cluster.
    expect(alive(postmaster)).toBe(true);
    expect(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]).toBe(String(postmaster));

    bot = await startBot(dataDir);
    try {
      expect(alive(postmaster)).toBe(false);
      expect(await justifications(dataDir)).toEqual([]);
    } finally {
      await bot.stop();
    }
  }, 600_000);

  it('a lock file naming a process id that another program now has does not stop the start', async () => {
    const dataDir = tempDir();
    await (await openDatabase({ dataDir })).close();
    // After a container restart the old server's pid may belong to anything: here, a sleeping process of
    // the server's user (PostgreSQL takes another user's process for a stale lock by itself).
    const user = serverUser();
    const other = spawn('sleep', ['600'], { stdio: 'ignore', ...(user ? { uid: user.uid, gid: user.gid } : {}) });
    try {
      writeFileSync(join(dataDir, 'postgres', 'postmaster.pid'), `${other.pid}\n${dataDir}/postgres\n`);
      const database = await openDatabase({ dataDir });
      try {
        await database.migrate();
        expect(alive(other.pid!)).toBe(true);
      } finally {
        await database.close();
      }
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('`npm run audit` while the bot runs uses the bot’s server and leaves it running', async () => {
    const dataDir = tempDir();
    const database = await openDatabase({ dataDir });
    try {
      await database.migrate();
      const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli/audit.ts', 'verify'], {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir },
        timeout: HANG_GUARD_MS,
      });
      expect(stdout).toContain('OK: 0 events');
      const sql = connect(dataDir);
      try {
        expect(await sql`select 1 as up`).toEqual([{ up: 1 }]);
      } finally {
        await sql.end({ timeout: 5 });
      }
    } finally {
      await database.close();
    }
  });

  it('a PGlite database an earlier version left in DATA_DIR stops the start with one sentence, untouched', async () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'PG_VERSION'), '17\n');
    const failed = await run(process.execPath, ['--import', 'tsx', 'sandbox/start.ts'], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: slack.apiUrl,
        DATA_DIR: dataDir,
        LOG_LEVEL: 'silent',
      },
      timeout: HANG_GUARD_MS,
    }).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr.trim()).toBe(
      `Cannot start: DATA_DIR ${dataDir} holds a PGlite database from an earlier version, which this version does ` +
        'not open (the embedded database is now a PostgreSQL server under DATA_DIR/postgres): set DATA_DIR to ' +
        'another directory to start afresh, or DATABASE_URL',
    );
    expect(readdirSync(dataDir)).toEqual(['PG_VERSION']);
  });

  it('binaries the server’s user cannot reach (a checkout under `mktemp -d`) are placed where it can', async () => {
    const binaries = await findBinaries();
    // The binaries' tree (bin/, lib/, share/) linked under a directory only its owner may enter.
    const locked = tempDir();
    const tree = join(locked, 'native');
    const source = join(binaries.postgres, '..', '..');
    if (spawnSync('cp', ['-al', source, tree]).status !== 0) {
      mkdirSync(tree, { recursive: true });
      spawnSync('cp', ['-a', `${source}/.`, tree]);
    }
    const user = serverUser();
    const placed = reachableBinaries({ initdb: join(tree, 'bin/initdb'), postgres: join(tree, 'bin/postgres') }, user);
    try {
      const asServer = spawnSync(placed.postgres, ['--version'], {
        ...(user ? { uid: user.uid, gid: user.gid } : {}),
        encoding: 'utf8',
      });
      expect(asServer.stdout).toMatch(/^postgres \(PostgreSQL\) \d+/);
    } finally {
      placed.release();
    }
  });
});
