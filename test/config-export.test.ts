import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { asc, count } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFlows, listResources, upsertResource } from '../src/db/catalog-queries.js';
import { openDatabase, type Database } from '../src/db/client.js';
import { auditEvents, bundles, flows, resources } from '../src/db/schema/index.js';
import { listBundles } from '../src/db/bundle-queries.js';
import { applyAccessFile, parseAccessFile } from '../src/services/catalog-service.js';
import { exportAccessFile } from '../src/services/config-export.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { ACCESS_FILE } from './support/workspace.js';
import { HANG_GUARD_MS } from '../doubles/support/until.js';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const clock = { now: () => new Date() };

/** Every rule a flow can carry, and a resource with tuning defaults; names already sorted. */
const RICH_FILE = String.raw`
resources:
  - name: prod-db
    type: database
    tags: [production, postgres]
    description: "Production: primary # not a comment"
    defaults:
      login_users: [readonly, app_rw]
      databases: [orders]
      namespaces: [payments]
  - name: shop-mysql
    type: database
    defaults: { databases: [shop] }
    provisioner:
      type: mysql
      admin_url: env:ACCESS_SECRET_SHOP_MYSQL
      host: shop-db.internal
      port: 3307
      user_prefix: jit_
      user_host: "10.0.%"
      tables: [orders, shop.customers]
  - name: web-1
    type: ssh
flows:
  - name: break-glass
    description: 'Emergency access, "quoted" and: colons'
    resources: { names: [prod-db, web-1], tags: [production] }
    requesters: { everyone: true, users: [U0REQ], groups: [S0SUPPORT] }
    approvers: { users: [U0APPR, U0DBA1], groups: [S0DBTEAM] }
    max_duration: 1d
    duration_choices: [15m, 90m, 8h, 1d]
    approvals_required: 2
    allow_self_approval: true
    justification: { required: true, min_length: 12, pattern: '^[A-Z]+-\d+', hint: 'Start with the ticket id, like OPS-123', jira: { projects: [OPS, INC] } }
    notify_channel: C0ACCESS
    enabled: false
    on_behalf: { requesters: { users: [U0LEAD], groups: [S0HELPDESK] }, for: anyone_in_flow }
  - name: optional-justification
    resources: { tags: [production] }
    requesters: { groups: [S0SUPPORT] }
    approvers: { groups: [S0DBTEAM] }
    max_duration: 90m
    justification: { required: false }
    on_behalf: { requesters: { users: [U0LEAD] }, for: { users: [U0REQ], groups: [S0SUPPORT] } }
    fields:
      - { name: severity, label: Severity, type: select, required: true, options: [sev1, sev2, sev3] }
      - { name: incident, label: Incident, type: text, hint: 'Like INC-42', pattern: '^INC-\d+$', min_length: 5, max_length: 20 }
      - { name: responders, label: Responders, type: number, min: 1, max: 50, integer: true }
      - { name: until_day, label: Until, type: date }
      - { name: commander, label: Commander, type: user }
    auto_approve:
      - { name: sev1-fast, max_duration: 1h, fields: { severity: [sev1, sev2], responders: [1, 2] } }
  - name: staged
    resources: { names: [prod-db] }
    requesters: { users: [U0REQ] }
    stages:
      - name: peer review
        approvers: { users: [U0APPR, U0OTHER], on_call: { pagerduty: { schedules: [PAPPSCH] } } }
        approvals_required: 2
        reminders: { remind_after: 30m, escalate_after: 2h, escalate_to: { groups: [S0DBTEAM] } }
      - name: owner approval
        approvers: { groups: [S0DBTEAM] }
`;

/** Every lifecycle field a flow can carry: reminders, escalation, pending TTL, auto-approval, break-glass. */
const LIFECYCLE_FILE = String.raw`
resources:
  - name: prod-db
    type: database
    tags: [production]
  - name: staging-db
    type: database
    tags: [staging]
flows:
  - name: lifecycle
    resources: { names: [prod-db, staging-db] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR], on_call: { pagerduty: { schedules: [PAPPSCH], escalation_policies: [PPAYPOL] }, opsgenie: { schedules: [ops-primary] } } }
    reminders: { remind_after: 30m, escalate_after: 2h, escalate_to: { users: [U0ADMIN], groups: [S0DBTEAM] } }
    pending_ttl: 12h
    auto_approve:
      - name: office-hours
        resources: { names: [staging-db], tags: [staging] }
        max_duration: 1h
        weekdays: [mon, tue, wed, thu, fri]
        hours: "09:00-17:00"
        time_zone: Europe/Berlin
      - name: night-shift
        max_duration: 15m
        weekdays: mon-fri
        hours: 22:00 - 06:00
      - name: anytime
        resources: { tags: [staging] }
        max_duration: 30m
      - name: on-call
        max_duration: 1h
        on_call: { pagerduty: { schedules: [PSTAGE1] }, opsgenie: { schedules: [ops-primary, 5e1b2c3d-0000-4000-8000-000000000001] } }
    break_glass: { users: [U0DBA1], groups: [S0SUPPORT], max_duration: 2h, channel: C0INCIDENT }
  - name: plain
    resources: { tags: [production] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    break_glass: { groups: [S0DBTEAM] }
`;

/** Bundles over two flows: tuned parts, a plain part, a requester restriction. */
const BUNDLE_FILE = String.raw`
resources:
  - name: grafana
    type: http
  - name: k8s-prod
    type: kubernetes
  - name: prod-db
    type: database
flows:
  - name: db
    resources: { names: [prod-db] }
    requesters: { everyone: true }
    approvers: { users: [U0DBA] }
    max_duration: 4h
  - name: ops
    resources: { names: [grafana, k8s-prod] }
    requesters: { everyone: true }
    approvers: { users: [U0OPS] }
bundles:
  - name: incident-responder
    description: Everything an incident needs
    resources:
      - { name: prod-db, tuning: { access: read-only, databases: [app] } }
      - { name: k8s-prod, tuning: { role: view, namespaces: [payments] } }
      - grafana
    duration: 2h
  - name: new-sre
    resources: [grafana]
    duration: 8h
    requesters: { groups: [S0SRE] }
`;

const byName = <T extends { name: string }>(items: T[]) => [...items].sort((a, b) => (a.name < b.name ? -1 : 1));

const tested: TestDatabase[] = [];
const opened: Database[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(opened.map((d) => d.close()));
  await Promise.all(tested.map((d) => d.drop()));
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

async function freshDatabase() {
  const test = await createTestDatabase();
  tested.push(test);
  const database = await openDatabase({ url: test.url });
  opened.push(database);
  return { test, db: database.db };
}

const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'access-config-'));
  dirs.push(d);
  return d;
};

/** All columns of the catalogue tables, and how many audit rows there are. */
async function snapshot(db: Database['db']) {
  return {
    resources: await db.select().from(resources).orderBy(asc(resources.name)),
    flows: await db.select().from(flows).orderBy(asc(flows.name)),
    bundles: await db.select().from(bundles).orderBy(asc(bundles.name)),
    audit: (await db.select({ n: count() }).from(auditEvents))[0]?.n,
  };
}

async function exportText(db: Database['db']) {
  return exportAccessFile(await listResources(db), await listFlows(db), 'test export', await listBundles(db));
}

async function expectNoOpRoundTrip(db: Database['db']) {
  const text = await exportText(db);
  const before = await snapshot(db);
  const result = await applyAccessFile(db, clock, parseAccessFile(text));
  expect(result.changed).toEqual([]);
  expect(await snapshot(db)).toEqual(before);
  return text;
}

/** Runs the CLI as `npm run config -- …` would, with only PATH and the given variables. */
async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/config.ts', ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: HANG_GUARD_MS,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('config export', () => {
  let sample: Awaited<ReturnType<typeof freshDatabase>>;

  beforeAll(async () => {
    sample = await freshDatabase();
    const applied = await applyAccessFile(sample.db, clock, parseAccessFile(ACCESS_FILE));
    expect(applied.changed).toHaveLength(7);
  });

  it('exports the sample file sorted by name, and re-applying the export changes nothing', async () => {
    const text = await expectNoOpRoundTrip(sample.db);
    expect(text.startsWith('# test export\n')).toBe(true);
    const original = parseAccessFile(ACCESS_FILE);
    expect(parseAccessFile(text)).toEqual({
      resources: byName(original.resources),
      flows: byName(original.flows),
      group_sources: [],
      bundles: [],
    });
  });

  it('keeps bundles with their tuning, duration and requesters through export, parse and apply', async () => {
    const { db } = await freshDatabase();
    const applied = await applyAccessFile(db, clock, parseAccessFile(BUNDLE_FILE));
    expect(applied.changed).toContain('+ bundle incident-responder');
    const text = await expectNoOpRoundTrip(db);
    expect(parseAccessFile(text)).toEqual(parseAccessFile(BUNDLE_FILE));
    expect(text).toContain('bundles:\n  - name: incident-responder');
    const [bundle] = await listBundles(db);
    expect(bundle?.parts[0]).toEqual({
      resource: 'prod-db',
      tuning: { type: 'database', resource: 'prod-db', access: 'read-only', databases: ['app'] },
    });
    // A bundle the file no longer names goes; one made in App Home would stay.
    const without = parseAccessFile(BUNDLE_FILE.replace(/ {2}- name: new-sre[\s\S]*$/, ''));
    expect((await applyAccessFile(db, clock, without)).changed).toEqual(['- bundle new-sre']);
    expect((await listBundles(db)).map((b) => b.name)).toEqual(['incident-responder']);
  });

  it('keeps every optional rule and resource defaults through export, parse and apply', async () => {
    const { db } = await freshDatabase();
    await applyAccessFile(db, clock, parseAccessFile(RICH_FILE));
    const text = await expectNoOpRoundTrip(db);
    expect(parseAccessFile(text)).toEqual(parseAccessFile(RICH_FILE));
    const [flow] = await listFlows(db);
    expect(flow).toMatchObject({
      requesterEveryone: true,
      durationChoices: [15, 90, 480, 1440],
      approvalsRequired: 2,
      enabled: false,
      notifyChannel: 'C0ACCESS',
    });
    expect(flow?.justification).toEqual({
      required: true,
      minLength: 12,
      pattern: '^[A-Z]+-\\d+',
      hint: 'Start with the ticket id, like OPS-123',
      jira: { projects: ['OPS', 'INC'] },
    });
    expect(text).toContain('jira:\n        projects:\n          - OPS\n          - INC');
    expect(flow?.onBehalf).toEqual({
      requesterUsers: ['U0LEAD'],
      requesterGroups: ['S0HELPDESK'],
      forUsers: [],
      forGroups: [],
      forAnyoneInFlow: true,
    });
    expect(text).toContain('on_behalf:\n      requesters:\n        users:\n          - U0LEAD');
    expect(text).toContain('for: anyone_in_flow');
    const withFields = (await listFlows(db)).find((f) => f.name === 'optional-justification');
    expect(withFields?.fields?.map((f) => [f.name, f.type, f.required])).toEqual([
      ['severity', 'select', true],
      ['incident', 'text', false],
      ['responders', 'number', false],
      ['until_day', 'date', false],
      ['commander', 'user', false],
    ]);
    expect(withFields?.lifecycle.autoApprove[0]?.fields).toEqual({
      severity: ['sev1', 'sev2'],
      responders: ['1', '2'],
    });
  });

  it('refuses request fields and field conditions that cannot work, with the path of the field', () => {
    const refusal = (fields: string, rule = '') => {
      try {
        parseAccessFile(
          ACCESS_FILE.replace(
            'approvers: { users: [U0APPR] }',
            `approvers: { users: [U0APPR] }\n    fields: ${fields}${rule ? `\n    auto_approve: [${rule}]` : ''}`,
          ),
        );
        return 'accepted';
      } catch (e) {
        return (e as Error).message;
      }
    };
    const severity = '[{ name: severity, label: Severity, type: select, options: [sev1, sev2] }]';
    expect(refusal(severity, '{ name: fast, max_duration: 1h, fields: { severity: [sev1] } }')).toBe('accepted');
    expect(refusal(severity, '{ name: fast, max_duration: 1h, fields: { sevrity: [sev1] } }')).toBe(
      'ACCESS_CONFIG: flows[1].auto_approve[0].fields.sevrity: the flow has no request field "sevrity" (add it under fields, or remove the condition)',
    );
    expect(refusal(severity, '{ name: fast, max_duration: 1h, fields: { severity: [sev9] } }')).toBe(
      'ACCESS_CONFIG: flows[1].auto_approve[0].fields.severity: sev9 is not an option of severity',
    );
    expect(refusal('[{ name: severity, label: Severity, type: select }]')).toBe(
      'ACCESS_CONFIG: flows[1].fields[0].options: a select field needs options',
    );
    expect(refusal('[{ name: Sev, label: Severity, type: text }]')).toMatch(
      /^ACCESS_CONFIG: flows\[1\]\.fields\[0\]\.name: must be snake_case/,
    );
    expect(refusal('[{ name: sev, label: Severity, type: text, options: [a] }]')).toBe(
      'ACCESS_CONFIG: flows[1].fields[0].options: is for select fields, not text',
    );
    expect(refusal("[{ name: inc, label: Incident, type: text, pattern: '(a)\\1' }]")).toMatch(
      /^ACCESS_CONFIG: flows\[1\]\.fields\[0\]\.pattern: backreferences/,
    );
  });

  it('refuses an on_behalf rule that names nobody or a wrong id, with the path of the field', () => {
    const flowWith = (rule: string) =>
      ACCESS_FILE.replace('approvers: { users: [U0APPR] }', `approvers: { users: [U0APPR] }\n    on_behalf: ${rule}`);
    const refusal = (rule: string) => {
      try {
        parseAccessFile(flowWith(rule));
        return 'accepted';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(refusal('{ requesters: { users: [U0LEAD] }, for: anyone_in_flow }')).toBe('accepted');
    expect(refusal('{ requesters: { users: [lead] }, for: anyone_in_flow }')).toBe(
      'ACCESS_CONFIG: flows[1].on_behalf.requesters.users[0]: must be a Slack user id like U012ABCDEF',
    );
    expect(refusal('{ requesters: {}, for: anyone_in_flow }')).toBe(
      'ACCESS_CONFIG: flows[1].on_behalf.requesters: must name at least one user or group who may request on behalf of others',
    );
    expect(refusal('{ requesters: { users: [U0LEAD] }, for: {} }')).toBe(
      'ACCESS_CONFIG: flows[1].on_behalf.for: must name at least one user or group, or say anyone_in_flow',
    );
    expect(refusal('{ requesters: { users: [U0LEAD] }, for: { groups: [team] } }')).toMatch(
      /^ACCESS_CONFIG: flows\[1\]\.on_behalf\.for/,
    );
    expect(refusal('{ requesters: { users: [U0LEAD] } }')).toMatch(/^ACCESS_CONFIG: flows\[1\]\.on_behalf\.for: /);
  });

  it('keeps a GitHub repository and team (type, default permission, provisioner settings) through export, parse and apply', async () => {
    const file = `
resources:
  - name: gh-oncall
    type: group
    provisioner: { type: github, app_id: 12345, installation_id: 678, private_key: "env:ACCESS_SECRET_GITHUB_APP_KEY", org: acme, team: oncall, login_from: linked_identity }
  - name: gh-payments
    type: repository
    defaults: { roles: [write] }
    provisioner: { type: github, base_url: "https://github.example.com/api/v3", app_id: 12345, installation_id: 678, private_key: "env:ACCESS_SECRET_GITHUB_APP_KEY", repository: acme/payments, permissions: [read, triage, write], slack_profile_field: GitHub }
`;
    const { db } = await freshDatabase();
    await applyAccessFile(db, clock, parseAccessFile(file));
    const text = await expectNoOpRoundTrip(db);
    expect(parseAccessFile(text)).toEqual(parseAccessFile(file));
    expect(text).toContain('type: repository');
    expect((await listResources(db)).find((r) => r.name === 'gh-payments')).toMatchObject({
      type: 'repository',
      defaults: { roles: ['write'] },
      provisioner: {
        type: 'github',
        settings: { repository: 'acme/payments', permissions: ['read', 'triage', 'write'] },
      },
    });
    expect(() => parseAccessFile(file.replace('roles: [write]', 'roles: [write, admin]'))).toThrow(
      "resources[1].defaults.roles: a repository's default is one permission among read, triage, write, maintain, admin",
    );
  });

  it('keeps every lifecycle field through export, parse and apply', async () => {
    const { db } = await freshDatabase();
    await applyAccessFile(db, clock, parseAccessFile(LIFECYCLE_FILE));
    const text = await expectNoOpRoundTrip(db);
    expect(parseAccessFile(text)).toEqual(parseAccessFile(LIFECYCLE_FILE));
    expect(text).toContain('weekdays:\n          - mon');
    const [flow, plain] = await listFlows(db);
    expect(flow?.lifecycle).toMatchObject({
      remindAfterMinutes: 30,
      escalateAfterMinutes: 120,
      escalationUsers: ['U0ADMIN'],
      escalationGroups: ['S0DBTEAM'],
      pendingTtlMinutes: 720,
    });
    expect(flow?.lifecycle.autoApprove.map((r) => [r.name, r.weekdays, r.from, r.to, r.timeZone])).toEqual([
      ['office-hours', [1, 2, 3, 4, 5], '09:00', '17:00', 'Europe/Berlin'],
      ['night-shift', [1, 2, 3, 4, 5], '22:00', '06:00', 'UTC'],
      ['anytime', [1, 2, 3, 4, 5, 6, 7], '00:00', '24:00', 'UTC'],
      ['on-call', [1, 2, 3, 4, 5, 6, 7], '00:00', '24:00', 'UTC'],
    ]);
    expect(flow?.lifecycle.autoApprove[3]?.onCall).toEqual([
      { service: 'pagerduty', schedule: 'PSTAGE1' },
      { service: 'opsgenie', schedule: 'ops-primary' },
      { service: 'opsgenie', schedule: '5e1b2c3d-0000-4000-8000-000000000001' },
    ]);
    expect(flow?.lifecycle.onCallApprovers).toEqual([
      { service: 'pagerduty', schedule: 'PAPPSCH' },
      { service: 'pagerduty', escalationPolicy: 'PPAYPOL' },
      { service: 'opsgenie', schedule: 'ops-primary' },
    ]);
    expect(text).toContain('on_call:');
    expect(flow?.lifecycle.breakGlass).toEqual({
      users: ['U0DBA1'],
      groups: ['S0SUPPORT'],
      maxDurationMinutes: 120,
      channel: 'C0INCIDENT',
    });
    expect(plain?.lifecycle.breakGlass).toEqual({
      users: [],
      groups: ['S0DBTEAM'],
      maxDurationMinutes: 60,
      channel: null,
    });
  });

  it('includes rows made in App Home', async () => {
    const { db } = await freshDatabase();
    await applyAccessFile(db, clock, parseAccessFile(ACCESS_FILE));
    const defaults = { loginUsers: [], databases: [], namespaces: [] };
    await upsertResource(
      db,
      'res_app1',
      { name: 'a-app-made', type: 'generic', tags: [], description: 'from App Home', defaults, provisioner: null },
      'app',
      new Date(),
    );
    const file = parseAccessFile(await exportText(db));
    expect(file.resources.map((r) => r.name)).toEqual([
      'a-app-made',
      'grafana',
      'k8s-prod',
      'prod-db',
      'staging-db',
      'web-1',
    ]);
  });

  it('runs as a command against DATABASE_URL, to stdout or --out', async () => {
    const res = await cli(['export'], { DATABASE_URL: sample.test.url });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^# Exported \d{4}-\d\d-\d\dT[\d:.]+Z from PostgreSQL/);
    expect(parseAccessFile(res.stdout)).toEqual(parseAccessFile(await exportText(sample.db)));

    const out = join(tempDir(), 'exported.yml');
    const written = await cli(['export', '--out', out], { DATABASE_URL: sample.test.url });
    expect(written.code).toBe(0);
    expect(written.stdout).toBe('');
    const body = (text: string) => text.replace(/^#.*\n/, '');
    expect(body(readFileSync(out, 'utf8'))).toBe(body(res.stdout));
  });

  it('says when the database has no access tables, without creating anything', async () => {
    const empty = await createTestDatabase();
    tested.push(empty);
    const sql = postgres(empty.url, { max: 1, onnotice: () => {} });
    try {
      await sql.unsafe('drop schema public cascade; create schema public; drop schema drizzle cascade');
    } finally {
      await sql.end({ timeout: 5 });
    }
    const message = 'The database has no access tables yet: start the bot once first.\n';
    expect(await cli(['export'], { DATABASE_URL: empty.url })).toEqual({ code: 1, stdout: '', stderr: message });
    const dataDir = join(tempDir(), 'never-started');
    expect(await cli(['export'], { DATA_DIR: dataDir })).toEqual({ code: 1, stdout: '', stderr: message });
    expect(existsSync(dataDir)).toBe(false);
  });

  it('checks a file: OK with counts, or the path of the wrong field', async () => {
    const dir = tempDir();
    const good = join(dir, 'good.yml');
    writeFileSync(good, ACCESS_FILE);
    expect(await cli(['check', good])).toEqual({ code: 0, stdout: 'OK: 5 resources, 2 flows\n', stderr: '' });
    const bundled = join(dir, 'bundled.yml');
    writeFileSync(bundled, BUNDLE_FILE);
    expect(await cli(['check', bundled])).toEqual({
      code: 0,
      stdout: 'OK: 3 resources, 2 flows, 2 bundles\n',
      stderr: '',
    });
    writeFileSync(bundled, BUNDLE_FILE.replace('role: view', 'role: root'));
    expect((await cli(['check', bundled])).stderr).toContain('bundles[0].resources[1].tuning.role');

    const broken = join(dir, 'broken.yml');
    writeFileSync(broken, ACCESS_FILE.replace('approvers: { users: [U0APPR] }', 'approvers: { users: [alice] }'));
    const res = await cli(['check', broken]);
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe(`${broken}: flows[1].approvers.users[0]: must be a Slack user id like U012ABCDEF`);

    // Provisioner settings are checked too, as the bot checks them at start.
    const badTarget = join(dir, 'bad-target.yml');
    writeFileSync(
      badTarget,
      `resources:
  - name: gh-payments
    type: repository
    provisioner: { type: github, app_id: 1, installation_id: 2, private_key: "env:ACCESS_SECRET_GH", repository: acme/payments, permissions: [read, owner], slack_profile_field: GitHub }
`,
    );
    const target = await cli(['check', badTarget]);
    expect(target.code).toBe(1);
    expect(target.stderr.trim()).toBe(
      `${badTarget}: resources[0].provisioner: permissions must list GitHub repository roles among read, triage, write, maintain, admin (not owner)`,
    );

    expect((await cli(['frobnicate'])).code).toBe(2);
  });

  it('checks each resource’s provisioner settings as the bot would at start (a mysql resource here)', async () => {
    const dir = tempDir();
    const file = (provisioner: string) => `
resources:
  - name: shop-db
    type: database
    defaults: { databases: [app] }
    provisioner: ${provisioner}
flows:
  - name: db
    resources: { names: [shop-db] }
    requesters: { everyone: true }
    approvers: { users: [U0APPR] }
    max_duration: 8h
`;
    const good = join(dir, 'mysql.yml');
    writeFileSync(
      good,
      file(
        '{ type: mysql, admin_url: "env:ACCESS_SECRET_SHOP_MYSQL", user_host: "10.0.%", tables: "orders, app.customers" }',
      ),
    );
    expect(await cli(['check', good])).toEqual({ code: 0, stdout: 'OK: 1 resources, 1 flows\n', stderr: '' });

    const inClear = join(dir, 'in-clear.yml');
    writeFileSync(inClear, file('{ type: mysql, admin_url: "mysql://root:hunter2@db.internal:3306/" }'));
    const res = await cli(['check', inClear]);
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe(
      `${inClear}: resources[0].provisioner: admin_url must be a secret reference such as env:ACCESS_SECRET_PROD_MYSQL_ADMIN_URL, never the URL itself.`,
    );
    expect(res.stderr).not.toContain('hunter2');
  });
});
