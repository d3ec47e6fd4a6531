import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from './support/bot-process.js';
import { cliHome, runCli, type CliHome } from './support/cli.js';

/**
 * `access-requests` without a bot: how it is used and how it fails. Each refusal is one sentence on stderr
 * (never a stack trace), exit 2 for bad usage and 1 for everything else; nothing is written on the way.
 */
let home: CliHome;
afterEach(() => home?.remove());

const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at |Error:|node:internal/);

describe('access-requests without a bot', () => {
  it('--help lists the commands, each command has its own help, --version says the version', async () => {
    home = cliHome();
    const help = await runCli(['--help'], { env: home.env });
    expect(help.code).toBe(0);
    for (const command of [
      'login',
      'logout',
      'resources',
      'request',
      'status',
      'list',
      'cancel',
      'release',
      'extend',
      'mcp',
    ])
      expect(help.stdout).toContain(`  ${command} `);
    const requestHelp = await runCli(['request', '--help'], { env: home.env });
    expect(requestHelp.stdout).toContain('usage: access-requests request <resource…> --for DURATION --why TEXT');
    expect(requestHelp.stdout).toContain('--wait');
    expect((await runCli(['--version'], { env: home.env })).stdout).toMatch(/^access-requests \d+\.\d+\.\d+\n$/);
  });

  it('a usage error is exit 2 and a sentence that names the fix', async () => {
    home = cliHome();
    const cases: Array<[string[], string]> = [
      [['frobnicate'], '"frobnicate" is not a command; the commands are login, logout'],
      [['request', 'prod-db', '--for', '1x', '--why', 'x'], '--for takes a duration like 15m, 1h, 8h or 1d, not "1x".'],
      [['request', 'prod-db', '--why', 'x'], 'Say for how long with --for (e.g. --for 1h).'],
      [['request', '--for', '1h'], 'Name at least one resource to request'],
      [['request', 'prod-db', '--for', '1h', '--colour'], '--colour is not an option of `access-requests request`.'],
      [['request', 'prod-db', '--for'], '--for needs a value'],
      [['request', 'prod-db', '--for', '1h', '--start', 'tomorrow'], '--start takes an ISO 8601 time'],
      [['status'], 'Give one request id (e.g. access-requests status req_abc123).'],
      [['list', '--status', 'maybe'], '--status is one of pending, active, denied'],
      [['extend', 'req_abc', '--for', '30m'], 'Say why you need longer with --why.'],
    ];
    // Side by side: each is its own process, and none writes anything.
    const runs = await Promise.all(cases.map(([args]) => runCli(args, { env: home.env })));
    for (const [i, [args, sentence]] of cases.entries()) {
      const run = runs[i]!;
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toContain(sentence);
      expect(run.stderr).toMatch(/See access-requests (\w+ )?--help\.\n$/);
      expect(run.stdout).toBe('');
      noStack(run.stderr);
    }
  });

  it('refuses a token given as an argument, so it never lands in shell history', async () => {
    home = cliHome();
    for (const args of [
      ['login', '--url', 'http://127.0.0.1:9', '--token', 'ark_pat_abcdefghij_secret'],
      ['login', 'ark_pat_abcdefghij_secret'],
    ]) {
      const run = await runCli(args, { env: home.env });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('Never put a token on the command line (it stays in your shell history)');
      expect(run.stderr).not.toContain('ark_pat_abcdefghij_secret');
    }
    expect(existsSync(join(home.dir, '.config', 'access-requests'))).toBe(false);
    const http = await runCli(['login', '--url', 'http://access.corp.example', '--token-stdin'], {
      env: home.env,
      stdin: 'ark_pat_abcdefghij_secret\n',
    });
    expect(http.code).toBe(2);
    expect(http.stderr).toContain('Use https for access.corp.example');
  });

  it('not logged in: one sentence saying how, exit 1', async () => {
    home = cliHome();
    const run = await runCli(['list'], { env: home.env });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'Not logged in: run `access-requests login --url https://your-access-bot` (or set ACCESS_REQUESTS_URL and ACCESS_REQUESTS_TOKEN).\n',
    );
  });

  it('a bot that is down: one sentence naming its URL, exit 1, for login and for every call', async () => {
    home = cliHome();
    const url = `http://127.0.0.1:${await freePort()}`;
    const login = await runCli(['login', '--url', url, '--token-stdin'], {
      env: home.env,
      stdin: 'ark_pat_abcdefghij_secret\n',
    });
    expect(login.code).toBe(1);
    expect(login.stderr).toBe(
      `Could not reach the access bot at ${url}: the connection was refused (is the bot running there?).\n`,
    );
    const env = { ...home.env, ACCESS_REQUESTS_URL: url, ACCESS_REQUESTS_TOKEN: 'ark_pat_abcdefghij_secret' };
    for (const args of [
      ['list'],
      ['request', 'prod-db', '--for', '1h', '--why', 'INC-42'],
      ['status', 'req_1', '--wait'],
    ]) {
      const run = await runCli(args, { env });
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr).toBe(
        `Could not reach the access bot at ${url}: the connection was refused (is the bot running there?).\n`,
      );
      expect(run.stdout).toBe('');
    }
  });

  it('the package bin runs the compiled CLI (compiling first when the sources changed)', async () => {
    home = cliHome();
    const run = await runCli(['--version'], { env: home.env, entry: 'bin' });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^access-requests \d+\.\d+\.\d+\n$/);
  });
});
