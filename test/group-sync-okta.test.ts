import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOktaDouble, type OktaDouble } from '../doubles/okta/okta-double.js';
import type { SourceSyncResult } from '../src/services/group-sync.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approve, approverMessage, requestAccess, statusOf, targetOf } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/**
 * An Okta group source end to end: the sync reads the Okta double through the official SDK (search,
 * `Link` pages), fills the catalogue with `group` resources, a flow picks them by tag, a person gets a
 * membership through Slack, and a group deleted in Okta ends that grant with a sentence they read.
 */
const TOKEN = '00okta-api-token-sync-0123456789';
let okta: OktaDouble;
let h: Harness;
const ids: Record<string, string> = {};

const accessFile = (url: string) => `
resources:
  - name: okta-jit-clash
    type: group
    description: Made by hand in the file; a synced group must never take it over
group_sources:
  - name: okta-jit
    source: okta
    connection: { org_url: "${url}", token: "env:ACCESS_SECRET_OKTA_API_TOKEN" }
    filter: { name_prefix: jit-, attribute: { name: jitEligible, equals: true } }
    tags: [okta-jit, idp]
    resource_prefix: okta-
    interval: 1d
flows:
  - name: jit-groups
    resources: { tags: [okta-jit] }
    requesters: { users: [${PEOPLE.requester}, ${PEOPLE.other}] }
    approvers: { users: [${PEOPLE.approver}] }
    max_duration: 8h
`;

const sync = async (): Promise<SourceSyncResult> => (await h.app.services.groupSync.syncNow())[0]!;
const resource = async (name: string) =>
  (
    await h.sql`select name, description, tags, provisioner, managed_by, sync_source, external_id, external_name, retired_at from resources where name = ${name}`
  )[0];
const auditOf = async (action: string) =>
  await h.sql`select actor, details from audit_events where action = ${action} and request_id is null order by id`;

beforeAll(async () => {
  // Pages of two: five matching groups take three pages, followed by the SDK through the Link header.
  okta = await startOktaDouble({ token: TOKEN, pageSize: 2 });
  for (const name of ['jit-db', 'jit-admins', 'jit-billing', 'JIT-Prod Logs', 'jit-clash'])
    ids[name] = okta.addGroup({
      name,
      description: name === 'jit-db' ? 'Database admins' : '',
      attributes: { jitEligible: true },
    }).id;
  ids.notEligible = okta.addGroup({ name: 'jit-not-eligible', attributes: { jitEligible: false } }).id;
  ids.otherPrefix = okta.addGroup({ name: 'prod-admins', attributes: { jitEligible: true } }).id;
  ids.appGroup = okta.addGroup({ name: 'jit-ad-sync', type: 'APP_GROUP', attributes: { jitEligible: true } }).id;
  okta.addUser({ login: 'rita@example.com' });
  h = await startHarness({
    accessFile: accessFile(okta.url),
    app: { secretEnv: { ACCESS_SECRET_OKTA_API_TOKEN: TOKEN } },
  });
  // The start-up sync (the job runs every due source at start) has finished.
  await h.app.jobs.groupSyncNow();
});
afterAll(async () => {
  await h?.stop();
  await okta?.stop();
});

describe('an Okta group source', () => {
  it('at start-up, makes a resource of every matching group across pages, tagged, and nothing else', async () => {
    const rows = await h.sql`select name from resources where managed_by = 'sync' order by name`;
    expect(rows.map((r) => r.name)).toEqual([
      'okta-jit-admins',
      'okta-jit-billing',
      'okta-jit-db',
      'okta-jit-prod-logs',
    ]);
    const db = await resource('okta-jit-db');
    expect(db).toMatchObject({
      description: 'Database admins',
      tags: ['okta-jit', 'idp'],
      sync_source: 'okta-jit',
      external_id: ids['jit-db'],
      external_name: 'jit-db',
      provisioner: {
        type: 'okta',
        settings: { org_url: okta.url, token: 'env:ACCESS_SECRET_OKTA_API_TOKEN', group_id: ids['jit-db'] },
      },
    });
    expect((await resource('okta-jit-admins'))!.description).toBe('Membership of the Okta group jit-admins');
    // One search, its filter as Okta reads it, and the pages the Link header named.
    const lists = okta.requests.filter((r) => r.method === 'GET' && r.path === '/api/v1/groups');
    expect(lists[0]!.query.search).toBe(
      'type eq "OKTA_GROUP" and profile.name sw "jit-" and profile.jitEligible eq true',
    );
    expect(
      lists
        .slice(0, 3)
        .map((r) => r.query.after ?? null)
        .filter(Boolean),
    ).toHaveLength(2);
    // Each creation audited by the source, with what it made.
    const created = await auditOf('resource.created');
    expect(created.map((r) => r.actor)).toEqual(Array(4).fill('group-sync:okta-jit'));
    expect(created[0]!.details).toMatchObject({ before: null, source: 'okta-jit', after: { type: 'group' } });
  });

  it('never takes over a resource it did not make: the clashing group is skipped, the file’s resource unchanged', async () => {
    const result = await sync();
    expect(result.status).toBe('synced');
    expect(result.created).toEqual([]);
    expect(result.skipped).toEqual([
      { group: 'jit-clash', reason: 'a resource named okta-jit-clash exists already and was not made by this source' },
    ]);
    expect(await resource('okta-jit-clash')).toMatchObject({
      managed_by: 'file',
      sync_source: null,
      provisioner: null,
    });
  });

  it('a flow picks the synced groups by tag, and approval adds the requester to the Okta group', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['okta-jit-db'],
      duration: '60',
      justification: 'INC-9 database',
    });
    await approve(h, PEOPLE.approver, id!);
    expect(await statusOf(h, id!)).toBe('active');
    expect(okta.members(ids['jit-db']!)).toEqual(['rita@example.com']);
    ids.grant = id!;
  });

  it('a renamed group renames its resource when nothing uses it, and says what changed in the audit', async () => {
    okta.directory.groups.get(ids['jit-billing']!)!.name = 'jit-finance';
    okta.directory.groups.get(ids['jit-billing']!)!.description = 'Finance apps';
    const result = await sync();
    expect(result.updated).toEqual([{ name: 'okta-jit-finance', fields: ['name', 'description', 'groupName'] }]);
    expect(await resource('okta-jit-billing')).toBeUndefined();
    expect(await resource('okta-jit-finance')).toMatchObject({
      external_name: 'jit-finance',
      description: 'Finance apps',
    });
    const [updated] = await auditOf('resource.updated');
    expect(updated!.details).toMatchObject({
      before: { name: 'okta-jit-billing', groupName: 'jit-billing' },
      after: { name: 'okta-jit-finance', groupName: 'jit-finance' },
    });
  });

  it('a renamed group whose resource holds a live grant keeps the name, and the new group name is recorded', async () => {
    okta.directory.groups.get(ids['jit-db']!)!.name = 'jit-database';
    const result = await sync();
    expect(result.updated[0]).toMatchObject({ name: 'okta-jit-db', fields: ['groupName'] });
    expect(result.updated[0]!.note).toContain('keeps the name okta-jit-db');
    expect(await resource('okta-jit-db')).toMatchObject({ external_name: 'jit-database' });
  });

  it('a group deleted in Okta: the resource is retired, the grant ends, and the requester reads why in Slack', async () => {
    okta.directory.groups.delete(ids['jit-db']!);
    const result = await sync();
    expect(result).toMatchObject({ retired: [{ name: 'okta-jit-db', reason: 'gone' }], grantsEnded: 1 });
    await h.settle();
    expect(await statusOf(h, ids.grant!)).toBe('revoked');
    // The removal finds the group gone: done, not retried.
    expect(await targetOf(h, ids.grant!)).toMatchObject({ status: 'removed' });
    const [left] = await h.sql`select count(*)::int as n from outbox where done_at is null`;
    expect(left!.n).toBe(0);
    const notice = h.slack.dmsTo(PEOPLE.requester).find((m) => allText(m.blocks).includes('has ended'));
    expect(allText(notice!.blocks)).toContain('the Okta group behind `okta-jit-db` no longer exists');
    expect(allText(approverMessage(h, PEOPLE.approver, ids.grant!).message.blocks)).toContain('no longer exists');
    // Out of the catalogue: the request form offers it no more.
    expect((await h.app.services.admin.resources()).map((r) => r.name)).not.toContain('okta-jit-db');
    const [retired] = await auditOf('resource.retired');
    expect(retired!.details).toMatchObject({ reason: 'group_gone', before: { name: 'okta-jit-db' }, after: null });
    const ended =
      await h.sql`select actor, details from audit_events where request_id = ${ids.grant!} and action = 'grant.ended'`;
    expect(ended[0]).toMatchObject({ actor: 'group-sync:okta-jit', details: { reason: 'group_gone' } });
    // The next sync deletes the retired row: nothing needs it any more.
    await sync();
    expect(await resource('okta-jit-db')).toBeUndefined();
  });

  it('a group that leaves the filter is retired too, and the membership the bot gave is removed from it', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['okta-jit-admins'],
      duration: '60',
      justification: 'INC-10 admins',
    });
    await approve(h, PEOPLE.approver, id!);
    expect(okta.members(ids['jit-admins']!)).toEqual(['rita@example.com']);
    okta.directory.groups.get(ids['jit-admins']!)!.attributes.jitEligible = false;
    const result = await sync();
    expect(result.retired).toEqual([{ name: 'okta-jit-admins', reason: 'unlisted' }]);
    await h.settle();
    expect(await statusOf(h, id!)).toBe('revoked');
    expect(okta.members(ids['jit-admins']!)).toEqual([]);
    const notice = h.slack
      .dmsTo(PEOPLE.requester)
      .filter((m) => allText(m.blocks).includes('has ended'))
      .at(-1);
    expect(allText(notice!.blocks)).toContain('is no longer offered for just-in-time access');
  });

  it('a pending request for a group that is deleted is cancelled, and the requester reads why', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['okta-jit-prod-logs'],
      duration: '60',
      justification: 'INC-11 logs',
    });
    expect(await statusOf(h, id!)).toBe('pending');
    okta.directory.groups.delete(ids['JIT-Prod Logs']!);
    const result = await sync();
    expect(result).toMatchObject({ retired: [{ name: 'okta-jit-prod-logs', reason: 'gone' }], requestsCancelled: 1 });
    await h.settle();
    expect(await statusOf(h, id!)).toBe('cancelled');
    const notice = h.slack.dmsTo(PEOPLE.requester).find((m) => allText(m.blocks).includes('was cancelled'));
    expect(allText(notice!.blocks)).toContain('the Okta group behind `okta-jit-prod-logs` no longer exists');
    expect(allText(approverMessage(h, PEOPLE.approver, id!).message.blocks)).toContain('Cancelled');
    // Nothing was granted, so nothing holds the retired row: the same sync deleted it.
    expect(await resource('okta-jit-prod-logs')).toBeUndefined();
  });

  it('an Okta that is down: the sync fails with a sentence and changes nothing', async () => {
    const before = await h.sql`select name, updated_at, retired_at from resources order by name`;
    const audits = (await h.sql`select count(*)::int as n from audit_events`)[0]!.n as number;
    okta.directory.groups.delete(ids['jit-billing']!);
    okta.setDown(true);
    try {
      const result = await sync();
      expect(result.status).toBe('failed');
      expect(result.message).toMatch(
        /^Group source okta-jit \(Okta\) could not be synced: Okta \(127\.0\.0\.1:\d+\) answered 503 E0000009.*Nothing was changed\.$/,
      );
    } finally {
      okta.setDown(false);
    }
    expect(await h.sql`select name, updated_at, retired_at from resources order by name`).toEqual(before);
    expect((await h.sql`select count(*)::int as n from audit_events`)[0]!.n).toBe(audits);
    const [state] = await h.sql`select last_error, lease_owner from group_sync_state where source = 'okta-jit'`;
    expect(state).toMatchObject({ last_error: expect.stringContaining('answered 503'), lease_owner: null });
  });

  it('the schedule: not due within the interval; past it, of two replicas asking at once, one syncs', async () => {
    const replica = await h.replica();
    const lists = () => okta.requests.filter((r) => r.path === '/api/v1/groups' && !r.query.after).length;
    const lastRun = async () =>
      (await h.sql`select last_run_at from group_sync_state where source = 'okta-jit'`)[0]!.last_run_at as Date;
    const before = lists();
    const ran = await lastRun();
    await Promise.all([h.app.jobs.groupSyncNow(), replica.jobs.groupSyncNow()]);
    expect(lists()).toBe(before);
    expect(await lastRun()).toEqual(ran);
    h.clock.advance(24 * 60 + 1);
    await Promise.all([h.app.jobs.groupSyncNow(), replica.jobs.groupSyncNow()]);
    expect(lists()).toBe(before + 1);
    expect((await lastRun()).getTime()).toBeGreaterThan(ran.getTime());
    // What the down Okta could not retire, the one sync did, once.
    const retired = await auditOf('resource.retired');
    expect(retired.filter((r) => r.details.before.name === 'okta-jit-finance')).toHaveLength(1);
  });

  it('a sync on demand while another replica holds the lease skips, saying so; an expired lease is taken over', async () => {
    const lists = () => okta.requests.filter((r) => r.path === '/api/v1/groups' && !r.query.after).length;
    const before = lists();
    const future = new Date(h.clock.now().getTime() + 60_000);
    await h.sql`update group_sync_state set lease_owner = 'sync_other-replica', leased_until = ${future} where source = 'okta-jit'`;
    expect(await sync()).toMatchObject({
      status: 'skipped',
      message: 'another replica of the bot is syncing this source right now',
    });
    expect(lists()).toBe(before);
    // That replica died mid-sync: once its lease runs out, the next sync goes ahead.
    h.clock.advance(2);
    expect(await sync()).toMatchObject({ status: 'synced' });
    expect(lists()).toBe(before + 1);
  });

  it('App Home: a synced resource shows where it came from and refuses an edit, saying why', async () => {
    okta.addGroup({ name: 'jit-ui', attributes: { jitEligible: true } });
    expect((await sync()).created).toEqual(['okta-jit-ui']);
    const row = (await h.app.services.admin.resources()).find((r) => r.name === 'okta-jit-ui')!;
    expect(row).toMatchObject({ managedBy: 'sync', origin: { source: 'okta-jit', groupName: 'jit-ui' } });
    await expect(
      h.app.services.admin.saveResource(PEOPLE.admin, row.id, { ...row, description: 'edited by hand' }),
    ).rejects.toMatchObject({ code: 'managed_by_sync' });
    await expect(h.app.services.admin.deleteResource(PEOPLE.admin, row.id)).rejects.toMatchObject({
      code: 'managed_by_sync',
    });
  });
});
