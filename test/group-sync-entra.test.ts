import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConfigSync } from '../src/cli/config-sync.js';
import { createEntraGroupListers } from '../src/provisioners/entra/entra-groups.js';
import {
  DOUBLE_CLIENT_ID,
  DOUBLE_CLIENT_SECRET,
  startEntraDouble,
  type EntraDouble,
} from '../doubles/entra/entra-double.js';
import { startOktaDouble, type OktaDouble } from '../doubles/okta/okta-double.js';
import { startHarness, type Harness } from './support/harness.js';

/**
 * An Entra ID group source through the Graph client against the Entra double (`$filter`, the advanced
 * query a description prefix needs, `@odata.nextLink` pages), and `npm run config -- sync` run both
 * through its exported function and as the child process an operator starts.
 */
const EXT = 'extension_3c2b1a098f7e4d6cb5a40f1e2d3c4b5a_jitEligible';
let entra: EntraDouble;
let okta: OktaDouble;
let h: Harness;
let file: string;
const OKTA_TOKEN = '00okta-api-token-cli-0123456789';

const sourcesYaml = (entraUrl: string, tenant: string, oktaUrl: string) => `
group_sources:
  - name: entra-jit
    source: entra
    connection:
      tenant_id: ${tenant}
      client_id: ${DOUBLE_CLIENT_ID}
      client_secret: "env:ACCESS_SECRET_ENTRA_CLIENT_SECRET"
      authority_host: "${entraUrl}"
      graph_url: "${entraUrl}"
    filter: { name_prefix: jit-, description_prefix: "JIT:", attribute: { name: ${EXT}, equals: true } }
    tags: [entra-jit]
    resource_prefix: entra-
    interval: 1d
  - name: okta-cli
    source: okta
    connection: { org_url: "${oktaUrl}", token: "env:ACCESS_SECRET_OKTA_API_TOKEN" }
    filter: { name_prefix: cli- }
    tags: [okta-cli]
    interval: 1d
`;

beforeAll(async () => {
  // Graph pages of two here (server-driven paging), whatever $top asks.
  entra = await startEntraDouble({ groupPageSize: 2 });
  entra.setAppRoles(DOUBLE_CLIENT_ID, ['GroupMember.ReadWrite.All', 'User.ReadBasic.All']);
  const jit = (displayName: string, extra: Record<string, unknown> = {}) =>
    entra.addGroup({ displayName, description: `JIT: ${displayName}`, extensions: { [EXT]: true }, ...extra });
  for (const name of ['jit-sql', 'jit-vault', 'jit-k8s']) jit(name);
  jit('jit-dynamic', { groupTypes: ['DynamicMembership'] });
  jit('jit-no-description', { description: 'ordinary group' });
  jit('jit-not-eligible', { extensions: { [EXT]: false } });
  entra.addGroup({ displayName: 'sales', description: 'JIT: sales', extensions: { [EXT]: true } });
  okta = await startOktaDouble({ token: OKTA_TOKEN });
  okta.addGroup({ name: 'cli-one' });
  const yaml = sourcesYaml(entra.url, entra.tenantId, okta.url);
  h = await startHarness({
    accessFile: `${yaml}
flows:
  - name: entra
    resources: { tags: [entra-jit] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
`,
    app: {
      secretEnv: { ACCESS_SECRET_ENTRA_CLIENT_SECRET: DOUBLE_CLIENT_SECRET, ACCESS_SECRET_OKTA_API_TOKEN: OKTA_TOKEN },
      groupListers: { entra: createEntraGroupListers({ ca: entra.ca }) },
    },
  });
  await h.app.jobs.groupSyncNow();
  file = join(mkdtempSync(join(tmpdir(), 'group-sync-')), 'access.yml');
  writeFileSync(file, yaml);
});
afterAll(async () => {
  await h?.stop();
  await entra?.stop();
  await okta?.stop();
});

const synced = async (source: string) =>
  (await h.sql`select name from resources where sync_source = ${source} order by name`).map((r) => r.name as string);

describe('an Entra ID group source', () => {
  it('lists through every page with the advanced query, and takes only groups whose members it can change', async () => {
    expect(await synced('entra-jit')).toEqual(['entra-jit-k8s', 'entra-jit-sql', 'entra-jit-vault']);
    const lists = entra.graphRequests().filter((r) => r.path.startsWith('/v1.0/groups?'));
    // Four groups match (the dynamic one is listed, then left out): two pages of two, each with the header.
    expect(lists).toHaveLength(2);
    expect(lists.every((r) => r.headers.consistencylevel === 'eventual')).toBe(true);
    expect(decodeURIComponent(lists[0]!.path)).toContain(
      `$filter=startswith(displayName,'jit-') and startswith(description,'JIT:') and ${EXT} eq true`,
    );
    expect(lists[0]!.path).toContain('$count=true');
    const [row] = await h.sql`select provisioner, description from resources where name = 'entra-jit-sql'`;
    expect(row).toMatchObject({
      description: 'JIT: jit-sql',
      provisioner: { type: 'entra', settings: { client_secret: 'env:ACCESS_SECRET_ENTRA_CLIENT_SECRET' } },
    });
  });

  it('says why a listed group was not taken', async () => {
    const [result] = await h.app.services.groupSync.syncNow(['entra-jit']);
    expect(result!.skipped).toEqual([
      { group: 'jit-dynamic', reason: 'it is a dynamic group (its rule decides its members)' },
    ]);
  });

  it('a group deleted in Entra ID is retired after Graph answers 404 for it', async () => {
    const vault = entra.groups().find((g) => g.displayName === 'jit-vault')!;
    const before = entra.graphRequests().length;
    entra.deleteGroup(vault.id);
    const [result] = await h.app.services.groupSync.syncNow(['entra-jit']);
    expect(result!.retired).toEqual([{ name: 'entra-jit-vault', reason: 'gone' }]);
    const reads = entra
      .graphRequests()
      .slice(before)
      .filter((r) => r.path.startsWith(`/v1.0/groups/${vault.id}`));
    expect(reads).toHaveLength(1);
    expect(await synced('entra-jit')).toEqual(['entra-jit-k8s', 'entra-jit-sql']);
  });

  it('Graph refusing the app (no permission to read groups): the sync fails with the permission to grant, nothing changed', async () => {
    entra.failGraph(1, { status: 403, match: /GET \/v1\.0\/groups$/ });
    const [result] = await h.app.services.groupSync.syncNow(['entra-jit']);
    expect(result).toMatchObject({ status: 'failed' });
    expect(result!.message).toContain('needs the application permission GroupMember.Read.All (or Group.Read.All)');
    expect(await synced('entra-jit')).toEqual(['entra-jit-k8s', 'entra-jit-sql']);
  });
});

describe('npm run config -- sync', () => {
  const io = (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    return {
      out,
      err,
      io: {
        args,
        env: {
          DATABASE_URL: h.db.url,
          ACCESS_SECRET_ENTRA_CLIENT_SECRET: DOUBLE_CLIENT_SECRET,
          ACCESS_SECRET_OKTA_API_TOKEN: OKTA_TOKEN,
        },
        out: (t: string) => out.push(t),
        err: (t: string) => err.push(t),
        listers: { entra: createEntraGroupListers({ ca: entra.ca }) },
      },
    };
  };

  it('prints what changed, source by source', async () => {
    entra.addGroup({ displayName: 'jit-new', description: 'JIT: new', extensions: { [EXT]: true } });
    okta.directory.groups.get([...okta.directory.groups.keys()][0]!)!.name = 'cli-renamed';
    const run = io([file]);
    expect(await runConfigSync(run.io)).toBe(0);
    expect(run.out.join('')).toBe(
      [
        'entra-jit (Entra ID): 1 created',
        '  + entra-jit-new',
        '  ! group "jit-dynamic" not taken: it is a dynamic group (its rule decides its members)',
        'okta-cli (Okta): 1 updated',
        '  ~ cli-renamed: name, description, groupName',
        '',
      ].join('\n'),
    );
    expect(await synced('okta-cli')).toEqual(['cli-renamed']);
  });

  it('as a child process: a provider that is down fails with its sentence and exit code 1', async () => {
    okta.setDown(true);
    try {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'src/cli/config.ts', 'sync', file, '--source', 'okta-cli'],
        {
          env: { PATH: process.env.PATH, DATABASE_URL: h.db.url, ACCESS_SECRET_OKTA_API_TOKEN: OKTA_TOKEN },
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += String(c)));
      child.stderr.on('data', (c: Buffer) => (stderr += String(c)));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
      expect(stderr).toMatch(
        /^okta-cli \(Okta\): FAILED\. Group source okta-cli \(Okta\) could not be synced: Okta \(127\.0\.0\.1:\d+\) answered 503.*Nothing was changed\.\n$/,
      );
    } finally {
      okta.setDown(false);
    }
    expect(await synced('okta-cli')).toEqual(['cli-renamed']);
  });

  it('export leaves synced resources out, and says so', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/config.ts', 'export'], {
      env: { PATH: process.env.PATH, DATABASE_URL: h.db.url },
    });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += String(c)));
    expect(await new Promise<number | null>((resolve) => child.on('close', resolve))).toBe(0);
    expect(stdout).toContain('# 4 resources synced from group sources are left out');
    expect(stdout).not.toContain('entra-jit-');
    expect(stdout).toContain('name: entra'); // the flow picking them by tag stays
  });

  it('an unknown source name is a usage mistake', async () => {
    const run = io([file, '--source', 'nope']);
    expect(await runConfigSync(run.io)).toBe(2);
    expect(run.err.join('')).toBe('No group source named nope in ACCESS_CONFIG; known: entra-jit, okta-cli.\n');
  });
});
