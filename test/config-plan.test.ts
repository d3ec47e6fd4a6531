import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertResource } from '../src/db/catalog-queries.js';
import { openDatabase, type Database } from '../src/db/client.js';
import { insertSyncedResource } from '../src/db/group-sync-queries.js';
import { startHarness, type Harness } from './support/harness.js';
import { ACCESS_FILE } from './support/workspace.js';
import { HANG_GUARD_MS } from '../doubles/support/until.js';

/**
 * `npm run config -- plan` as an operator and CI run it: its own process, against the database a running bot
 * applied ACCESS_CONFIG to. What it prints is what the bot then applies (the same plan, executed).
 */
const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const SECRET = 'pl4n-must-never-show-this';

let h: Harness;
let dir: string;
let live: string;
let db: Database;

/** The sample file with a resource added (with a secret reference), a flow changed, a resource removed, and an App Home row named. */
const CHANGED = ACCESS_FILE.replace(
  '  - name: grafana\n    type: http\n    tags: [observability]\n',
  [
    '  - name: analytics-db',
    '    type: database',
    '    tags: [production]',
    '    provisioner: { type: postgres, admin_url: "env:ACCESS_SECRET_ANALYTICS", host: analytics.internal }',
    '  - name: scratch-db',
    '    type: database',
    '    description: Scratch space',
    '    provisioner: { type: postgres, admin_url: "env:ACCESS_SECRET_ANALYTICS" }',
    '',
  ].join('\n'),
).replace('    max_duration: 1h\n', '    max_duration: 2h\n');

async function cli(args: string[], env: Record<string, string> = { DATABASE_URL: h.db.url }) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/config.ts', ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ACCESS_SECRET_ANALYTICS: SECRET, ...env },
      timeout: HANG_GUARD_MS,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'access-plan-'));
  live = file('access.yml', ACCESS_FILE);
  // Reloads on SIGHUP only (no watch): the test says when the bot applies the file.
  h = await startHarness({
    accessFile: ACCESS_FILE,
    app: { accessFilePath: live },
    env: { ACCESS_CONFIG_WATCH: 'false' },
  });
  db = await openDatabase({ url: h.db.url });
  const now = new Date();
  const blank = { tags: [], description: '', defaults: { loginUsers: [], databases: [], namespaces: [] } };
  // Made in App Home before references were enforced: a literal password the plan must not print.
  await upsertResource(
    db.db,
    'res_scratch',
    {
      name: 'scratch-db',
      type: 'database',
      ...blank,
      provisioner: { type: 'postgres', settings: { admin_url: `postgres://admin:${SECRET}@scratch/db` } },
    },
    'app',
    now,
  );
  await upsertResource(
    db.db,
    'res_notes',
    { name: 'notes-db', type: 'database', ...blank, provisioner: null },
    'app',
    now,
  );
  await insertSyncedResource(
    db.db,
    'res_synced',
    { name: 'okta-jit-admins', type: 'group', ...blank, provisioner: null },
    { source: 'okta-jit', groupId: '00g1', groupName: 'jit-admins' },
    now,
  );
});

afterAll(async () => {
  await db?.close();
  await h?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('npm run config -- plan', () => {
  it('exits 0 and says so when the database already matches the file', async () => {
    const r = await cli(['plan', live]);
    expect(r.stdout).toBe(
      'No changes: the catalogue in PostgreSQL (DATABASE_URL) matches the file.\n' +
        'Left alone (the file does not name them): 2 made in App Home, 1 synced from group sources.\n',
    );
    expect(r.code).toBe(0);
  });

  it('exits 2 and prints each change field by field, App Home rows it takes over said as such, secrets never', async () => {
    const r = await cli(['plan', file('changed.yml', CHANGED)]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      [
        'Applying the file to the catalogue in PostgreSQL (DATABASE_URL) would:',
        '',
        '  + resource analytics-db',
        '      type: database',
        '      tags: [production]',
        '      provisioner.type: postgres',
        '      provisioner.admin_url: env:ACCESS_SECRET_ANALYTICS',
        '      provisioner.host: analytics.internal',
        '  ~ resource scratch-db  (made in App Home: the file takes it over)',
        '      managed_by: app -> file',
        '      description: (none) -> "Scratch space"',
        '      provisioner.admin_url: (a value, hidden) -> env:ACCESS_SECRET_ANALYTICS',
        '  - resource grafana',
        '  ~ flow staging-self-service',
        '      max_duration: 1h -> 2h',
        '',
        'Plan: 1 to add, 2 to change, 1 to remove.',
        'Left alone (the file does not name them): 1 made in App Home, 1 synced from group sources.',
        '',
      ].join('\n'),
    );
    expect(r.stdout).not.toContain(SECRET);
    expect(r.code).toBe(2);
    // A plan writes nothing.
    expect(await h.sql`select name from resources where name in ('analytics-db', 'grafana')`).toEqual([
      { name: 'grafana' },
    ]);
  });

  it('--json gives tools the same plan; the bot then applies exactly that plan, and planning again finds nothing', async () => {
    const r = await cli(['plan', file('changed.yml', CHANGED), '--json']);
    expect(r.code).toBe(2);
    const plan = JSON.parse(r.stdout);
    expect(plan).toMatchObject({ changes_pending: true, summary: { add: 1, change: 2, remove: 1 } });
    expect(
      plan.changes.map((c: { action: string; kind: string; name: string }) => `${c.action} ${c.kind} ${c.name}`),
    ).toEqual([
      'add resource analytics-db',
      'change resource scratch-db',
      'remove resource grafana',
      'change flow staging-self-service',
    ]);
    expect(plan.changes[1]).toMatchObject({ takes_over: 'app_home' });

    // The running bot applies the file (SIGHUP's path): its one audit event holds exactly the planned changes.
    writeFileSync(live, CHANGED);
    expect(await h.app.reloadAccessFile('sighup')).toMatchObject({ outcome: 'applied' });
    const [event] = await h.sql`select details from audit_events where action = 'catalog.reloaded'`;
    expect(event!.details.changes).toEqual(plan.changes);
    expect(event!.details.summary).toEqual(plan.summary);
    const rows =
      await h.sql`select name, managed_by from resources where name in ('analytics-db', 'grafana', 'scratch-db', 'notes-db', 'okta-jit-admins') order by name`;
    expect(rows.map((x) => `${x.name}:${x.managed_by}`)).toEqual([
      'analytics-db:file',
      'notes-db:app',
      'okta-jit-admins:sync',
      'scratch-db:file',
    ]);
    const again = await cli(['plan', live]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('No changes');
  });

  it('exits 1 with the path of the wrong field for a file that does not validate', async () => {
    const r = await cli(['plan', file('broken.yml', CHANGED.replace('max_duration: 8h', 'max_duration: forever'))]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`${join(dir, 'broken.yml')}: flows[0].max_duration: must be a duration like 30m, 8h or 1d\n`);
    expect((await cli(['plan', join(dir, 'missing.yml')])).code).toBe(1);
  });

  it('plans against a base file with no database at all (a pull request against its base branch)', async () => {
    const base = file('base.yml', ACCESS_FILE);
    const r = await cli(['plan', file('changed.yml', CHANGED), '--base', base], {});
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`Applying the file to the catalogue in ${base} would:`);
    expect(r.stdout).toContain('  + resource scratch-db\n');
    expect(r.stdout).toContain('Plan: 2 to add, 1 to change, 1 to remove.');
    const same = await cli(['plan', base, '--base', base], {});
    expect(same.code).toBe(0);
  });

  it('takes the file from ACCESS_CONFIG when none is given', async () => {
    const r = await cli(['plan'], { DATABASE_URL: h.db.url, ACCESS_CONFIG: live });
    expect(r.code).toBe(0);
  });
});
