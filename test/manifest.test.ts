import { readFileSync } from 'node:fs';
// ajv is CommonJS. Under NodeNext the default import is typed as the whole module (not constructable), while
// the named export `Ajv` is both typed as the class and exported at runtime (Node and vitest alike).
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';

const schemaDir = new URL('./fixtures/slack-manifest-schema/', import.meta.url);
const manifestUrl = new URL('../manifest.yml', import.meta.url);
/** Where manifest.schema.json expects the versioned schemas (they are registered, never fetched). */
const schemaBaseUrl = 'https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/';
const versionedSchemas = ['manifest.schema.1.0.0.json', 'manifest.schema.2.0.0.json'] as const;

const expectedBotScopes = ['commands', 'chat:write', 'im:write', 'users:read', 'usergroups:read'];

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

  it('requests exactly the bot scopes the app needs', () => {
    const scopes = loadManifest().oauth_config.scopes.bot;
    expect([...scopes].sort()).toEqual([...expectedBotScopes].sort());
    expect(new Set(scopes).size).toBe(scopes.length);
  });
});
