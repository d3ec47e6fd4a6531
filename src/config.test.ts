import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, wantsSandbox } from './config.js';

const base = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 'secret123456' };

describe('configuration', () => {
  it('applies defaults', () => {
    const c = parseConfig(base);
    expect(c).toMatchObject({ PORT: 3000, DATA_DIR: './.data', LOG_LEVEL: 'info', ACCESS_ADMINS: [] });
    expect(c.DATABASE_URL).toBeUndefined();
  });

  it('splits ACCESS_ADMINS', () => {
    expect(parseConfig({ ...base, ACCESS_ADMINS: 'U01, U02' }).ACCESS_ADMINS).toEqual(['U01', 'U02']);
  });

  it.each([
    [{ SLACK_SIGNING_SECRET: 'secret123456' }, 'SLACK_BOT_TOKEN is required.'],
    [{ ...base, SLACK_BOT_TOKEN: 'xoxp-user' }, 'SLACK_BOT_TOKEN must be a bot token starting with xoxb-.'],
    [{ ...base, PORT: 'http' }, 'PORT'],
    [{ ...base, DATABASE_URL: 'mysql://x' }, 'DATABASE_URL must be a postgres:// connection URL.'],
    [{ ...base, ACCESS_ADMINS: 'alice' }, 'ACCESS_ADMINS'],
    [{ ...base, LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ ...base, METRICS_TOKEN: 'short' }, 'METRICS_TOKEN must be at least 16 characters'],
  ])('stops with one sentence naming the variable (%#)', (env, sentence) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(sentence);
  });

  it('METRICS_TOKEN is optional: unset (or empty), /metrics is open', () => {
    expect(parseConfig(base).METRICS_TOKEN).toBeUndefined();
    expect(parseConfig({ ...base, METRICS_TOKEN: '' }).METRICS_TOKEN).toBeUndefined();
    expect(parseConfig({ ...base, METRICS_TOKEN: 'a'.repeat(32) }).METRICS_TOKEN).toBe('a'.repeat(32));
  });

  it('never echoes a secret value in its message', () => {
    try {
      parseConfig({ ...base, SLACK_BOT_TOKEN: 'not-a-token-super-secret' });
    } catch (e) {
      expect(String(e)).not.toContain('super-secret');
    }
    expect.assertions(1);
  });

  it('starts the sandbox only when no Slack variable is present at all, or when asked with --sandbox', () => {
    expect(wantsSandbox({}, [])).toBe(true);
    // Empty keys (a Kubernetes Secret with empty values) mean a real bot was meant: parseConfig then refuses them.
    expect(wantsSandbox({ SLACK_BOT_TOKEN: '', SLACK_SIGNING_SECRET: '' }, [])).toBe(false);
    expect(wantsSandbox({ SLACK_SIGNING_SECRET: 'secret123456' }, [])).toBe(false);
    expect(wantsSandbox({ SLACK_APP_TOKEN: 'xapp-1' }, [])).toBe(false);
    expect(wantsSandbox(base, [])).toBe(false);
    expect(wantsSandbox(base, ['--sandbox'])).toBe(true);
  });

  it('never starts the sandbox on a DATABASE_URL unless asked for with --sandbox', () => {
    expect(() => wantsSandbox({ DATABASE_URL: 'postgres://db/prod' }, [])).toThrow(ConfigError);
    expect(() => wantsSandbox({ DATABASE_URL: 'postgres://db/prod' }, [])).toThrow(
      'the sandbox never starts on a DATABASE_URL unless asked for with --sandbox',
    );
    expect(wantsSandbox({ DATABASE_URL: 'postgres://db/sandbox' }, ['--sandbox'])).toBe(true);
  });

  it.each(['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'DATABASE_URL'])(
    'an empty %s is a configuration error naming it, never "unset"',
    (name) => {
      expect(() => parseConfig({ ...base, [name]: '' })).toThrow(
        `${name} is set but empty: give it a value or remove it.`,
      );
      expect(() => parseConfig({ ...base, [name]: '  ' })).toThrow(`${name} is set but empty`);
    },
  );

  it('admins: ACCESS_ADMINS, an admin user group, workspace admins only when the operator says so', () => {
    expect(parseConfig(base)).toMatchObject({ ACCESS_WORKSPACE_ADMINS: false });
    expect(parseConfig({ ...base, ACCESS_WORKSPACE_ADMINS: 'true', ACCESS_ADMIN_GROUP: 'S0PLATFORM' })).toMatchObject({
      ACCESS_WORKSPACE_ADMINS: true,
      ACCESS_ADMIN_GROUP: 'S0PLATFORM',
    });
    expect(() => parseConfig({ ...base, ACCESS_ADMIN_GROUP: '@platform' })).toThrow(
      'ACCESS_ADMIN_GROUP must be a Slack user group id',
    );
    expect(() => parseConfig({ ...base, ACCESS_WORKSPACE_ADMINS: 'yes' })).toThrow(
      'ACCESS_WORKSPACE_ADMINS must be true or false',
    );
    expect(() => parseConfig({ ...base, ACCESS_SECRETS_DIR: 'secrets' })).toThrow(
      'ACCESS_SECRETS_DIR must be an absolute path',
    );
  });
});

describe('OIDC configuration', () => {
  it('issuer and client id go together; the secret is optional (public client); scopes default to the least', () => {
    const c = parseConfig({ ...base, OIDC_ISSUER: 'https://corp.okta.com', OIDC_CLIENT_ID: 'abc' });
    expect(c.OIDC_SCOPES).toBe('openid email');
    expect(c.OIDC_CLIENT_SECRET).toBeUndefined();
    expect(() => parseConfig({ ...base, OIDC_ISSUER: 'https://corp.okta.com' })).toThrow(
      'OIDC_CLIENT_ID needs OIDC_ISSUER and OIDC_CLIENT_ID together',
    );
    expect(() => parseConfig({ ...base, OIDC_CLIENT_SECRET: 'x' })).toThrow(
      'OIDC_ISSUER needs OIDC_ISSUER and OIDC_CLIENT_ID together',
    );
  });

  it("the CLI's device-login client needs the provider, and must not be the bot's own client", () => {
    const oidc = { ...base, OIDC_ISSUER: 'https://corp.okta.com', OIDC_CLIENT_ID: 'abc' };
    expect(parseConfig({ ...oidc, OIDC_CLI_CLIENT_ID: 'cli' }).OIDC_CLI_CLIENT_ID).toBe('cli');
    expect(() => parseConfig({ ...base, OIDC_CLI_CLIENT_ID: 'cli' })).toThrow(
      'OIDC_CLI_CLIENT_ID needs OIDC_ISSUER and OIDC_CLIENT_ID',
    );
    expect(() => parseConfig({ ...oidc, OIDC_CLI_CLIENT_ID: 'abc' })).toThrow("not the bot's OIDC_CLIENT_ID");
  });

  it('refuses a plain-http issuer except on this machine, and scopes without openid', () => {
    expect(() => parseConfig({ ...base, OIDC_ISSUER: 'http://idp.corp.example', OIDC_CLIENT_ID: 'abc' })).toThrow(
      'OIDC_ISSUER must be an https:// issuer URL',
    );
    expect(
      parseConfig({ ...base, OIDC_ISSUER: 'http://127.0.0.1:8080/realms/corp', OIDC_CLIENT_ID: 'abc' }).OIDC_ISSUER,
    ).toBe('http://127.0.0.1:8080/realms/corp');
    expect(() =>
      parseConfig({
        ...base,
        OIDC_ISSUER: 'https://corp.okta.com',
        OIDC_CLIENT_ID: 'abc',
        OIDC_SCOPES: 'email profile',
      }),
    ).toThrow('OIDC_SCOPES must include openid');
  });
});
