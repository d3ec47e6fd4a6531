import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { openDatabase, type Database } from '../src/db/client.js';
import { auditEvents } from '../src/db/schema/index.js';
import { verifyAuditChain } from '../src/services/audit-service.js';
import { applyAccessFile, parseAccessFile } from '../src/services/catalog-service.js';
import { createTestDatabase } from './support/database.js';
import { startHarness, type Harness } from './support/harness.js';
import { waitFor } from '../doubles/support/until.js';
import { ACCESS_FILE, PEOPLE } from './support/workspace.js';

/**
 * A running bot applies a changed ACCESS_CONFIG without a restart: the file is watched (its directory, as an
 * editor or Kubernetes replaces it), the change is one audited event, a broken file is refused with the
 * admins told once, and replicas watching the same file apply it once between them.
 */
let h: Harness;
let dir: string;
let path: string;
let chain: Database;

const WITH_ANALYTICS = ACCESS_FILE.replace(
  '  - name: staging-db\n',
  '  - name: analytics-db\n    type: database\n    tags: [production]\n    description: Analytics warehouse\n  - name: staging-db\n',
).replace('    max_duration: 1h\n', '    max_duration: 2h\n');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'access-reload-'));
  path = join(dir, 'access.yml');
  writeFileSync(path, ACCESS_FILE);
  h = await startHarness({ accessFile: ACCESS_FILE, app: { accessFilePath: path } });
  chain = await openDatabase({ url: h.db.url });
});

afterAll(async () => {
  await chain?.close();
  await h?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function offered(user: string): Promise<string[]> {
  h.slack.clearViews(user);
  await h.driver.command(user, '/access', 'request');
  const modal = await until(() => h.slack.topView(user), 'the request modal');
  const block = modal.view.blocks.find((b: { block_id?: string }) => b.block_id === 'request.resources');
  return [...JSON.stringify(block).matchAll(/"value":"([^"]+)"/g)].map((m) => m[1]!);
}

async function reloadEvents() {
  return h.sql`select id, actor, details from audit_events where action = 'catalog.reloaded' order by id`;
}

/** Replaces the file the way an editor saving atomically does: a new file renamed over the old one. */
function saveAs(text: string) {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

describe('hot reload of ACCESS_CONFIG', () => {
  it('applies an edited file without a restart: the request form offers the new resource, audited as one change', async () => {
    expect(await offered(PEOPLE.requester)).not.toContain('analytics-db');
    saveAs(WITH_ANALYTICS);
    await waitFor(async () => (await reloadEvents()).length === 1, 'the catalog.reloaded event');
    expect(await offered(PEOPLE.requester)).toContain('analytics-db');
    const [event] = await reloadEvents();
    expect(event!.actor).toBe('config-file');
    expect(event!.details).toMatchObject({
      path,
      trigger: 'file',
      changed: ['+ resource analytics-db', '~ flow staging-self-service'],
      summary: { add: 1, change: 1, remove: 0 },
    });
    expect(event!.details.changes[1]).toEqual({
      action: 'change',
      kind: 'flow',
      name: 'staging-self-service',
      fields: [{ field: 'max_duration', before: '1h', after: '2h' }],
    });
    expect(event!.details.changes[0].fields).toContainEqual({
      field: 'description',
      before: '(none)',
      after: 'Analytics warehouse',
    });
    expect((await verifyAuditChain(chain.db)).ok).toBe(true);
    const [flow] = await h.sql`select max_duration_minutes from flows where name = 'staging-self-service'`;
    expect(flow!.max_duration_minutes).toBe(120);
  });

  it('refuses a file that does not validate: the catalogue stays, the log names the field, the admins get one DM', async () => {
    const before = await h.sql`select name, updated_at from resources order by name`;
    const dmsBefore = h.slack.dmsTo(PEOPLE.admin).length;
    saveAs(WITH_ANALYTICS.replace('    max_duration: 8h\n', '    max_duration: forever\n'));
    await waitFor(async () => {
      await h.settle();
      return h.slack.dmsTo(PEOPLE.admin).length > dmsBefore;
    }, 'the admin’s DM');
    const dm = h.slack.dmsTo(PEOPLE.admin).at(-1)!;
    expect(dm.text).toContain('refused the changed access file');
    expect(dm.text).toContain('ACCESS_CONFIG: flows[0].max_duration: must be a duration like 30m, 8h or 1d');
    expect(dm.text).toContain(path);
    const logged = h.logs.find((l) => l.includes('refused the changed ACCESS_CONFIG'));
    expect(logged).toContain('flows[0].max_duration');
    expect(await h.sql`select name, updated_at from resources order by name`).toEqual(before);
    expect(await offered(PEOPLE.requester)).toContain('analytics-db');
    expect(await reloadEvents()).toHaveLength(1);

    // Refusing the same content again (SIGHUP here; any replica alike: the check is in the database) does not
    // tell the admins again.
    expect(await h.app.reloadAccessFile('sighup')).toMatchObject({ outcome: 'refused' });
    await h.settle();
    expect(h.slack.dmsTo(PEOPLE.admin).length).toBe(dmsBefore + 1);
  });

  it('counts reloads by outcome in /metrics', async () => {
    const body = await (await fetch(`http://127.0.0.1:${h.port}/metrics`)).text();
    expect(body).toContain('access_config_reloads_total{outcome="applied"} 1');
    expect(body).toContain('access_config_reloads_total{outcome="refused"} 2');
    expect(body).toContain('access_config_reloads_total{outcome="failed"} 0');
  });

  it('SIGHUP on a file that matches the catalogue writes nothing', async () => {
    saveAs(WITH_ANALYTICS);
    // The watch applies it (back from the broken one: nothing to change) …
    await waitFor(
      () => h.logs.filter((l) => l.includes('"msg":"reloaded ACCESS_CONFIG"')).length >= 2,
      'the reload of the fixed file',
    );
    // … and SIGHUP applies it again: the same file twice is a no-op.
    expect(await h.app.reloadAccessFile('sighup')).toMatchObject({ outcome: 'unchanged', changed: [] });
    expect(await reloadEvents()).toHaveLength(1);
  });

  it('follows a Kubernetes ConfigMap update (the ..data symlink swapped), and two replicas apply it once', async () => {
    // The kubelet's layout: access.yml -> ..data/access.yml, ..data -> ..<timestamp>/, swapped by a rename.
    const k8s = mkdtempSync(join(tmpdir(), 'access-configmap-'));
    const version = (name: string, text: string) => {
      mkdirSync(join(k8s, name));
      writeFileSync(join(k8s, name, 'access.yml'), text);
      symlinkSync(name, join(k8s, '..data_tmp'));
      renameSync(join(k8s, '..data_tmp'), join(k8s, '..data'));
    };
    version('..2025_01_01_00_00_00.1', WITH_ANALYTICS);
    symlinkSync('..data/access.yml', join(k8s, 'access.yml'));
    const mounted = join(k8s, 'access.yml');
    const other = await startHarness({ accessFile: WITH_ANALYTICS, app: { accessFilePath: mounted } });
    try {
      const second = await other.replica();
      const newer = WITH_ANALYTICS.replace('description: Analytics warehouse', 'description: Analytics (read replica)');
      version('..2025_01_01_00_01_00.2', newer);
      rmSync(join(k8s, '..2025_01_01_00_00_00.1'), { recursive: true });
      const reloads = () => other.logs.filter((l) => l.includes('"msg":"reloaded ACCESS_CONFIG"'));
      await waitFor(() => reloads().length === 2, 'both replicas to reload');
      const events = await other.sql`select details from audit_events where action = 'catalog.reloaded'`;
      expect(events).toHaveLength(1);
      expect(events[0]!.details.changes).toEqual([
        {
          action: 'change',
          kind: 'resource',
          name: 'analytics-db',
          fields: [{ field: 'description', before: 'Analytics warehouse', after: 'Analytics (read replica)' }],
        },
      ]);
      // One replica applied it, the other found it applied.
      expect(reloads().filter((l) => l.includes('"changed":[]'))).toHaveLength(1);
      await second.stop();
    } finally {
      await other.stop();
      rmSync(k8s, { recursive: true, force: true });
    }
  });

  it('two applies of one file at the same moment (two replicas) take turns: the second writes nothing', async () => {
    const fresh = await createTestDatabase();
    const database = await openDatabase({ url: fresh.url });
    try {
      const clock = { now: () => new Date() };
      const file = parseAccessFile(WITH_ANALYTICS);
      const results = await Promise.all([1, 2, 3].map(() => applyAccessFile(database.db, clock, file)));
      expect(results.map((r) => r.changed.length).sort()).toEqual([0, 0, 8]);
      expect(await database.db.$count(auditEvents)).toBe(1);
    } finally {
      await database.close();
      await fresh.drop();
    }
  });
});
