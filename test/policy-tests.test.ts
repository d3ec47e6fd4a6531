import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ACCESS_FILE } from './support/workspace.js';

/** `npm run config -- test` as its own process, on files alone: no database, no Slack. */
const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'policy-tests-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = join(dir, 'access.yml');
writeFileSync(config, ACCESS_FILE);

async function policyTest(text: string, args: string[] = ['--config', config], env: Record<string, string> = {}) {
  const file = join(dir, `t${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, text);
  // No database: DATABASE_URL points nowhere, so a test that opened one would fail.
  return run(process.execPath, ['--import', 'tsx', 'src/cli/config.ts', 'test', file, ...args], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', DATA_DIR: join(dir, 'none'), ...env },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr, file }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
      file,
    }),
  );
}

describe('npm run config -- test', () => {
  it('exits 0 when every assertion holds, and says so', async () => {
    const res = await policyTest(`
groups:
  S0SUPPORT: [U0SUPP2]
  S0DBTEAM: [U0DBA1]
  S0CONTRACT: [U0CON1]
tests:
  - name: contractors can never request prod-db
    cannot_request: { group: S0CONTRACT, resource: prod-db }
  - name: support can request web-1
    can_request: { group: S0SUPPORT, resource: web-1 }
  - max_duration: { person: U0REQ, resource: staging-db, at_most: 1h }
  - no_self_approval: { flow: support-prod }
  - min_approvals: { resources: { names: [prod-db] }, at_least: 1 }
  - approvers_include: { resource: prod-db, users: [U0APPR, U0DBA1], groups: [S0DBTEAM] }
  - approvers_exclude: { resource: prod-db, users: [U0REQ], groups: [S0SUPPORT] }
  - cannot_break_glass: { person: U0REQ, resource: prod-db }
`);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('PASS contractors can never request prod-db');
    expect(res.stdout).toContain('8 passed, 0 failed');
  });

  it('exits 1 with expected, actual and the flow or rule that makes it so', async () => {
    const res = await policyTest(`
groups: { S0SUPPORT: [U0SUPP2], S0DBTEAM: [U0DBA1] }
tests:
  - name: support can never request prod-db
    cannot_request: { group: S0SUPPORT, resource: prod-db }
  - name: Rita gets staging-db for at most 30m
    max_duration: { person: U0REQ, resource: staging-db, at_most: 30m }
  - name: nobody approves their own staging request
    no_self_approval: { flow: staging-self-service }
  - name: production needs two approvals
    min_approvals: { resources: { tags: [production] }, at_least: 2 }
  - name: Oscar approves prod-db
    approvers_include: { resource: prod-db, users: [U0OTHER] }
  - name: the DB team never approves prod-db
    approvers_exclude: { resource: prod-db, groups: [S0DBTEAM] }
  - name: Rita can request grafana
    can_request: { person: U0REQ, resource: grafana }
`);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(
      [
        'FAIL support can never request prod-db',
        '  expected: every member of S0SUPPORT cannot request prod-db',
        '  actual:   U0SUPP2 (in S0SUPPORT) can request prod-db through flow support-prod (requesters.groups has S0SUPPORT)',
        '            any member of S0SUPPORT can request prod-db through flow support-prod (requesters.groups has S0SUPPORT)',
      ].join('\n'),
    );
    expect(res.stdout).toContain(
      'U0REQ may request staging-db for up to 1h through flow staging-self-service (max_duration, requesters.users names U0REQ)',
    );
    expect(res.stdout).toContain(
      'flow staging-self-service has allow_self_approval: true, so U0APPR may approve their own requests',
    );
    expect(res.stdout).toContain('prod-db through flow support-prod: approvals_required is 1');
    expect(res.stdout).toContain('U0OTHER approves no request of prod-db');
    expect(res.stdout).toContain('group S0DBTEAM approves prod-db: flow support-prod, approvers.groups has S0DBTEAM');
    expect(res.stdout).toContain('U0REQ cannot request grafana: no enabled flow covering it names them as a requester');
    expect(res.stdout).toContain('0 passed, 7 failed');
  });

  it('counts an auto-approval rule as no approval at all', async () => {
    const withRule = `${ACCESS_FILE}    auto_approve:\n      - { name: quick, max_duration: 30m }\n`;
    const file = join(dir, 'auto.yml');
    writeFileSync(file, withRule);
    const res = await policyTest(`tests:\n  - min_approvals: { resources: { names: [staging-db] }, at_least: 1 }\n`, [
      '--config',
      file,
    ]);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(
      'staging-db through flow staging-self-service: none for up to 30m, auto_approve rule quick',
    );
  });

  it('exits 2 on a malformed test file, with the path of each wrong field', async () => {
    const res = await policyTest(`
tests:
  - max_duration: { person: U0REQ, resource: prod-db, at_most: forever }
  - cannot_request: { person: rita, resource: prod-db }
  - { can_request: { person: U0REQ, resource: prod-db }, no_self_approval: { flow: support-prod } }
`);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain(`${res.file}: tests[0].max_duration.at_most: must be a duration like 30m, 8h or 1d`);
    expect(res.stderr).toContain(
      `${res.file}: tests[1].cannot_request.person: must be a Slack user id like U012ABCDEF`,
    );
    expect(res.stderr).toContain(
      `${res.file}: tests[2]: give one assertion per test, not can_request and no_self_approval`,
    );
  });

  it('exits 2 when a test names what the config does not have', async () => {
    const res = await policyTest(`
tests:
  - can_request: { person: U0REQ, resource: prod-dbb }
  - no_self_approval: { flow: nope }
  - min_approvals: { resources: { tags: [mainframe] }, at_least: 2 }
`);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('tests[0].can_request.resource: no resource "prod-dbb" in the config');
    expect(res.stderr).toContain('tests[1].no_self_approval.flow: no flow "nope" in the config');
    expect(res.stderr).toContain('tests[2].min_approvals.resources: matches no resource in the config');
  });

  it('reads ACCESS_CONFIG when --config is not given, and says which groups it took as empty', async () => {
    const res = await policyTest(`tests:\n  - can_request: { person: U0REQ, resource: prod-db }\n`, [], {
      ACCESS_CONFIG: config,
    });
    expect(res.code).toBe(0);
    expect(res.stderr).toContain('Note: S0DBTEAM, S0SUPPORT are not listed under groups: taken as empty.');
  });

  it('the sample policy tests pass against the sandbox catalogue', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/config.ts',
        'test',
        'examples/policy-tests.yml',
        '--config',
        'examples/sandbox-access.yml',
      ],
      { cwd: root },
    );
    expect(stdout).toMatch(/\n\d+ passed, 0 failed\n$/);
  });
});
