import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CliConfigError,
  cliConfigPath,
  forgetCliToken,
  loadCliConfig,
  readCliConfig,
  writeCliConfig,
} from './cli-config.js';

const dirs: string[] = [];
const home = () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-config-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const mode = (path: string) => statSync(path).mode & 0o777;

describe('the CLI config file', () => {
  it('lives under XDG_CONFIG_HOME, else ~/.config, and is written 0600 in a 0700 folder', () => {
    const h = home();
    expect(cliConfigPath({ HOME: h })).toBe(join(h, '.config', 'access-requests', 'config.json'));
    expect(cliConfigPath({ HOME: h, XDG_CONFIG_HOME: join(h, 'xdg') })).toBe(
      join(h, 'xdg', 'access-requests', 'config.json'),
    );
    // A relative XDG_CONFIG_HOME is invalid per the spec, and ignored.
    expect(cliConfigPath({ HOME: h, XDG_CONFIG_HOME: 'rel' })).toBe(
      join(h, '.config', 'access-requests', 'config.json'),
    );
    mkdirSync(join(h, '.config', 'access-requests'), { recursive: true, mode: 0o755 });
    const path = writeCliConfig({ url: 'https://bot.example', token: 'ark_pat_x' }, { HOME: h });
    expect(mode(path)).toBe(0o600);
    expect(mode(join(h, '.config', 'access-requests'))).toBe(0o700);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ url: 'https://bot.example', token: 'ark_pat_x' });
    expect(loadCliConfig({ HOME: h })).toEqual({ url: 'https://bot.example', token: 'ark_pat_x' });
  });

  it('ACCESS_REQUESTS_URL and ACCESS_REQUESTS_TOKEN override the file, each on its own', () => {
    const h = home();
    writeCliConfig({ url: 'https://bot.example', token: 'ark_pat_file' }, { HOME: h });
    expect(loadCliConfig({ HOME: h, ACCESS_REQUESTS_TOKEN: 'ark_pat_env' })).toEqual({
      url: 'https://bot.example',
      token: 'ark_pat_env',
    });
    expect(readCliConfig({ HOME: home(), ACCESS_REQUESTS_URL: 'https://other', ACCESS_REQUESTS_TOKEN: 't' })).toEqual({
      url: 'https://other',
      token: 't',
      fromEnv: ['url', 'token'],
    });
  });

  it('says how to log in when something is missing, and names a file that is not ours', () => {
    const h = home();
    expect(() => loadCliConfig({ HOME: h })).toThrow(/Not logged in: run `access-requests login --url/);
    expect(() => loadCliConfig({ HOME: h, ACCESS_REQUESTS_TOKEN: 't' })).toThrow(/URL is not known/);
    const path = cliConfigPath({ HOME: h });
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, 'not json');
    expect(() => loadCliConfig({ HOME: h })).toThrow(CliConfigError);
    expect(() => loadCliConfig({ HOME: h })).toThrow(`${path} is not JSON`);
    chmodSync(path, 0o600);
  });

  it('logout forgets the token and keeps the URL for the next login', () => {
    const h = home();
    writeCliConfig({ url: 'https://bot.example', token: 'ark_pat_x' }, { HOME: h });
    expect(forgetCliToken({ HOME: h })).toBe(true);
    expect(readCliConfig({ HOME: h })).toEqual({ url: 'https://bot.example', fromEnv: [] });
    expect(mode(cliConfigPath({ HOME: h }))).toBe(0o600);
    expect(forgetCliToken({ HOME: h })).toBe(false);
  });
});
