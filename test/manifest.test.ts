import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// ajv is CommonJS. Under NodeNext the default import is typed as the whole module (not constructable), while
// the named export `Ajv` is both typed as the class and exported at runtime (Node and vitest alike).
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { EMAIL_SCOPE, METHOD_SCOPES } from '../doubles/slack/scopes.js';

const schemaDir = new URL('./fixtures/slack-manifest-schema/', import.meta.url);
const manifestUrl = new URL('../manifest.yml', import.meta.url);
/** Where manifest.schema.json expects the versioned schemas (they are registered, never fetched). */
const schemaBaseUrl = 'https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/';
const versionedSchemas = ['manifest.schema.1.0.0.json', 'manifest.schema.2.0.0.json'] as const;

/** Every Web API method the bot's code calls (`client.chat.postMessage(…)`), read from src/ outside the sandbox. */
function methodsCalledByTheCode(): { methods: Set<string>; readsEmail: boolean } {
  const methods = new Set<string>();
  let readsEmail = false;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'sandbox') walk(path);
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) {
        const text = readFileSync(path, 'utf8');
        for (const m of text.matchAll(/\bclient\.((?:[a-z]+\.)+[a-zA-Z]+)\(/g)) methods.add(m[1]!);
        if (/profile\??\.email/.test(text)) readsEmail = true;
      }
    }
  };
  walk(fileURLToPath(new URL('../src/', import.meta.url)));
  // Bolt calls auth.test at start-up (app.init) for the bot's ids.
  methods.add('auth.test');
  return { methods, readsEmail };
}

interface Manifest {
  display_information: { name: string };
  features: { slash_commands: Array<{ command: string; url?: string }> };
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { bot_events: string[] } };
}

function readJson(url: URL): Record<string, unknown> {
  return JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>;
}

function loadManifest(): Manifest {
  return parse(readFileSync(manifestUrl, 'utf8')) as Manifest;
}

let validate: ValidateFunction;

beforeAll(() => {
  const ajv = new Ajv({
    // The schema uses non-standard annotations ("regex", "_note") that strict mode rejects.
    strict: false,
    allErrors: true,
    // Only `$schema` (absent from our manifest) uses a format ("uri"); accept it without ajv-formats.
    formats: { uri: true },
  });
  for (const file of versionedSchemas) {
    ajv.addSchema(readJson(new URL(file, schemaDir)), `${schemaBaseUrl}${file}`);
  }
  validate = ajv.compile(readJson(new URL('manifest.schema.json', schemaDir)));
});

function errorsOf(data: unknown): string {
  validate(data);
  return JSON.stringify(validate.errors, null, 2);
}

describe('manifest.yml', () => {
  it('is valid against Slack’s manifest JSON schema', () => {
    const manifest = loadManifest();
    expect(validate(manifest), errorsOf(manifest)).toBe(true);
  });

  it('is rejected by the schema when a slash command lacks its leading "/" (negative control)', () => {
    const manifest = loadManifest();
    const command = manifest.features.slash_commands[0];
    if (!command) throw new Error('manifest has no slash command');
    command.command = 'access';
    expect(validate(manifest)).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath)).toContain('/features/slash_commands/0/command');
  });

  it('is rejected by the schema when display_information.name is over 35 characters (negative control)', () => {
    const manifest = loadManifest();
    manifest.display_information.name = 'A'.repeat(36);
    expect(validate(manifest)).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath)).toContain('/display_information/name');
  });

  it('declares the /access command on the Bolt events URL', () => {
    const commands = loadManifest().features.slash_commands;
    expect(commands.map((c) => c.command)).toEqual(['/access']);
    expect(commands[0]?.url).toMatch(/\/slack\/events$/);
  });

  it('subscribes to app_home_opened', () => {
    expect(loadManifest().settings.event_subscriptions.bot_events).toContain('app_home_opened');
  });

  it('subscribes to user_change (deactivated members are offboarded), with the users:read scope it needs', () => {
    const manifest = loadManifest();
    expect(manifest.settings.event_subscriptions.bot_events).toContain('user_change');
    expect(manifest.oauth_config.scopes.bot).toContain('users:read');
  });

  it('grants a scope for every Web API method the code calls, and asks for no scope nothing uses', () => {
    const scopes = loadManifest().oauth_config.scopes.bot;
    const { methods, readsEmail } = methodsCalledByTheCode();
    expect(methods.size).toBeGreaterThan(5);
    const unknown = [...methods].filter((m) => !(m in METHOD_SCOPES));
    expect(unknown, 'methods the Slack double has no scope entry for (add them to scopes.ts)').toEqual([]);
    const uncovered = [...methods].filter(
      (m) => METHOD_SCOPES[m]!.length > 0 && !METHOD_SCOPES[m]!.some((s) => scopes.includes(s)),
    );
    expect(uncovered, 'methods the manifest grants no scope for').toEqual([]);
    // profile.email is read, so users:read.email must be granted (Slack leaves the e-mail out otherwise).
    expect(readsEmail).toBe(true);
    expect(scopes).toContain(EMAIL_SCOPE);
    // Nothing beyond what is used: each scope serves a called method, the slash command or profile.email.
    const used = new Set([
      'commands',
      EMAIL_SCOPE,
      ...[...methods].flatMap((m) => METHOD_SCOPES[m]!.filter((s) => scopes.includes(s))),
    ]);
    expect(scopes.filter((s) => !used.has(s))).toEqual([]);
    expect(new Set(scopes).size).toBe(scopes.length);
  });
});
