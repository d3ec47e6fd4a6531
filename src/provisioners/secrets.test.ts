import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSecrets, declaredSecretEnv } from './secrets.js';

const root = mkdtempSync(join(tmpdir(), 'secrets-'));
const dir = join(root, 'secrets');
mkdirSync(dir);
writeFileSync(join(dir, 'k8s-token'), 'from-the-folder\n');
writeFileSync(join(root, 'outside'), 'not-yours');
symlinkSync(join(root, 'outside'), join(dir, 'sneaky-link'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const secrets = createSecrets({
  env: { ACCESS_SECRET_HOOK: 'whsec_declared', SLACK_SIGNING_SECRET: 'bot-own', ACCESS_SECRET_EMPTY: '' },
  dir,
  ownCredentials: ['bot-own'],
});

describe('provisioner secrets: only what the operator declared', () => {
  it('reads declared variables and files inside ACCESS_SECRETS_DIR', () => {
    expect(secrets.resolve('env:ACCESS_SECRET_HOOK')).toBe('whsec_declared');
    expect(secrets.resolve(`file:${dir}/k8s-token`)).toBe('from-the-folder');
    expect(secrets.declared()).toEqual(['env:ACCESS_SECRET_HOOK', `file:${dir}/k8s-token`]);
  });

  it.each([
    ['env:SLACK_SIGNING_SECRET', 'is not a secret reference'],
    ['env:ACCESS_SECRET_EMPTY', 'is not declared'],
    ['file:/etc/passwd', 'is outside ACCESS_SECRETS_DIR'],
    [`file:${dir}/../outside`, 'is outside ACCESS_SECRETS_DIR'],
    [`file:${dir}/sneaky-link`, 'is outside ACCESS_SECRETS_DIR'],
    [`file:${dir}/missing`, 'does not exist'],
    [`file:${dir}`, 'is outside ACCESS_SECRETS_DIR'],
  ])('refuses %s with a sentence that names no value', (ref, sentence) => {
    expect(secrets.problem(ref)).toContain(sentence);
    expect(() => secrets.resolve(ref)).toThrow(sentence);
    expect(() => secrets.resolve(ref)).not.toThrow(/not-yours|bot-own/);
  });

  it('refuses a declared variable that holds one of the bot’s own credentials', () => {
    const s = createSecrets({ env: { ACCESS_SECRET_COPY: 'bot-own' }, ownCredentials: ['bot-own'] });
    expect(s.problem('env:ACCESS_SECRET_COPY')).toContain("holds one of the bot's own credentials");
  });

  it('file: references need ACCESS_SECRETS_DIR', () => {
    expect(createSecrets({ env: {} }).problem(`file:${dir}/k8s-token`)).toContain('need ACCESS_SECRETS_DIR');
  });

  it('resolves every reference-looking setting, so a malformed one fails instead of passing through', () => {
    expect(() => secrets.resolveSettings({ token: 'env:DATABASE_URL' })).toThrow('is not a secret reference');
    expect(secrets.resolveSettings({ url: 'https://x', secret: 'env:ACCESS_SECRET_HOOK' })).toEqual({
      url: 'https://x',
      secret: 'whsec_declared',
    });
  });

  it('keeps only ACCESS_SECRET_* of an environment', () => {
    expect(declaredSecretEnv({ ACCESS_SECRET_A: '1', SLACK_BOT_TOKEN: 'xoxb', DATABASE_URL: 'postgres://' })).toEqual({
      ACCESS_SECRET_A: '1',
    });
  });
});
