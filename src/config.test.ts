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

  it('starts the sandbox only without any Slack credential, or when asked with --sandbox', () => {
    expect(wantsSandbox({}, [])).toBe(true);
    expect(wantsSandbox({ SLACK_BOT_TOKEN: '', SLACK_SIGNING_SECRET: '' }, [])).toBe(true);
    expect(wantsSandbox({ SLACK_SIGNING_SECRET: 'secret123456' }, [])).toBe(false);
    expect(wantsSandbox({ SLACK_APP_TOKEN: 'xapp-1' }, [])).toBe(false);
    expect(wantsSandbox(base, [])).toBe(false);
    expect(wantsSandbox(base, ['--sandbox'])).toBe(true);
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
