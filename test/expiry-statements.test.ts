import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/client.js';
import { createMemoryProvisioner } from '../src/provisioners/memory/memory-provisioner.js';
import { until } from '../doubles/slack/driver.js';
import { verifyAuditChain } from '../src/services/audit-service.js';
import { expireDueWrite } from '../src/services/grant-writer.js';
import { waitFor } from '../doubles/support/until.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approve, requestAccess, retryNow } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/**
 * Grants that end together are ended set-based (issue 24: an expiry pass was 17 statements per grant,
 * holding the audit chain's lock from the first grant to commit, and the whole path to the outbox
 * empty about 70). Counts, not times: the statements the bot sends (what `access_db_statements_total`
 * counts, BEGIN and COMMIT included), checked against bounds; and what each grant must still get.
 */
const N = 20;
const memory = createMemoryProvisioner();
const accessFile = `
resources:
${Array.from({ length: N }, (_, i) => `  - { name: app-${i}, type: generic, tags: [apps], provisioner: { type: memory } }`).join('\n')}
flows:
  - name: apps
    resources: { tags: [apps] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
`;

/**
 * From the expiry job to the outbox empty, per grant: the pass, the removals (a batch handler), the
 * requester's notice, the refresh of the stored messages and the App Home publishes (only for those who
 * opened theirs). Issue 24's goal is 10; 7.9 when this was written (main before issue 24: about 70).
 */
const PER_GRANT = 10;
/** One expiry pass whatever the number of grants (up to its batch of 100): BEGIN, 10 statements, COMMIT. */
const PER_PASS = 12;
/** Grants per case where only what each grant gets is checked. */
const FEW = 5;

let h: Harness;
let counted: Database;
beforeAll(async () => {
  h = await startHarness({ accessFile, app: { extraProvisioners: [memory.provisioner] } });
  counted = await openDatabase({ url: h.db.url });
});
afterAll(async () => {
  await counted?.close();
  await h?.stop();
});

/** `n` requests for app-0…app-(n-1), each approved and provisioned; their ids. */
async function grantedTogether(tag: string, n = N): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: [`app-${i}`],
      duration: '60',
      justification: `${tag} ${i}`,
    });
    await approve(h, PEOPLE.approver, id!);
    ids.push(id!);
  }
  await h.settle();
  return ids;
}

/** What each ended grant must have: one `grant.expired` row, its target removed (and recorded once), the notice. */
async function expectEnded(ids: string[]) {
  const grants = await h.sql`
    select g.id, g.request_id, g.status, t.resource_name, t.status as target
    from grants g join grant_targets t on t.grant_id = g.id where g.request_id in ${h.sql(ids)}`;
  expect(grants).toHaveLength(ids.length);
  for (const g of grants) {
    expect(g.status).toBe('expired');
    expect(g.target).toBe('removed');
    expect(memory.has(g.id as string, g.resource_name as string)).toBe(false);
  }
  const audited = await h.sql`
    select request_id, action, count(*)::int as n from audit_events
    where request_id in ${h.sql(ids)} and action in ('grant.expired', 'grant.deprovisioned')
    group by request_id, action`;
  for (const id of ids)
    for (const action of ['grant.expired', 'grant.deprovisioned'])
      expect(audited.find((r) => r.request_id === id && r.action === action)?.n, `${action} of ${id}`).toBe(1);
  const notices = () =>
    h.slack
      .dmsTo(PEOPLE.requester)
      .filter((m) => allText(m).includes('has expired') && ids.some((id) => allText(m).includes(id)));
  // A notice whose post failed on a busy machine is retried by the outbox a few seconds later: wait for it
  // (a hang guard, not a budget), draining as the worker would.
  await waitFor(async () => {
    await h.settle();
    return notices().length >= ids.length;
  }, 'an expiry notice per ended grant');
  expect(notices()).toHaveLength(ids.length);
  expect((await verifyAuditChain(h.app.database.db)).ok).toBe(true);
}

describe('grants ending together', () => {
  it(`cost at most ${PER_GRANT} statements each from the expiry to the outbox empty, and each is still ended, removed and audited once`, async () => {
    const ids = await grantedTogether('burst');
    for (const id of ids) {
      const [g] = await h.sql`select id from grants where request_id = ${id}`;
      expect(memory.has(g!.id as string, `app-${ids.indexOf(id)}`)).toBe(true);
    }
    const sent = () => h.app.database.pool().statements;
    h.clock.advance(61);
    const before = sent();
    await h.app.jobs.expireNow();
    await h.settle();
    // The authorization index reads the ended grants again (one read for the burst's notifications).
    await until(() => h.app.services.authorizationIndex.size() === 0, 'the index to drop the grants');
    const perGrant = (sent() - before) / N;
    await expectEnded(ids);
    expect(perGrant).toBeLessThanOrEqual(PER_GRANT);
  });

  it(`are ended by one pass of ${PER_PASS} statements, however many they are`, async () => {
    const ids = await grantedTogether('pass');
    h.clock.advance(61);
    const before = counted.pool().statements;
    const { locked, ended } = await counted.db.transaction((tx) => expireDueWrite(tx, h.clock.now(), 100));
    expect(counted.pool().statements - before).toBe(PER_PASS);
    expect(locked).toBe(N);
    expect(ended.map((e) => e.requestId).sort()).toEqual([...ids].sort());
    // A second pass finds nothing left: each grant ends once.
    expect((await counted.db.transaction((tx) => expireDueWrite(tx, h.clock.now(), 100))).locked).toBe(0);
    await h.settle();
    await expectEnded(ids);
  });

  it('two replicas expiring at once end each grant once', async () => {
    const ids = await grantedTogether('replicas', FEW);
    const other = await h.replica();
    h.clock.advance(61);
    await Promise.all([h.app.jobs.expireNow(), other.jobs.expireNow()]);
    await h.settle();
    await other.jobs.drainOutbox();
    await expectEnded(ids);
  });

  it('a grant whose end an extension is moving keeps its access through the pass', async () => {
    const ids = await grantedTogether('extended', FEW);
    const extended = ids[0]!;
    h.clock.advance(61);
    // An extension being approved holds the request, then moves the grant's end (services/extension-service.ts).
    const ended = await h.sql.begin(async (tx) => {
      await tx`select id from access_requests where id = ${extended} for update`;
      await tx`update grants set expires_at = expires_at + interval '2 hours' where request_id = ${extended}`;
      return (await counted.db.transaction((t) => expireDueWrite(t, h.clock.now(), 100))).ended;
    });
    expect(ended.map((e) => e.requestId)).not.toContain(extended);
    expect(ended).toHaveLength(FEW - 1);
    // Committed: the next pass reads the new end and leaves the grant alone.
    await h.app.jobs.expireNow();
    await h.settle();
    await expectEnded(ids.slice(1));
    const [g] = await h.sql`select id, status from grants where request_id = ${extended}`;
    expect(g!.status).toBe('active');
    expect(memory.has(g!.id as string, 'app-0')).toBe(true);
    h.clock.advance(121);
    await h.app.jobs.expireNow();
    await h.settle();
    await expectEnded([extended]);
  });

  it('a removal that fails holds back only its own grant, which is retried', async () => {
    const ids = await grantedTogether('failing', FEW);
    h.clock.advance(61);
    memory.failNext(1);
    await h.app.jobs.expireNow();
    await h.settle();
    const stuck = await h.sql`
      select g.request_id, t.last_error from grant_targets t join grants g on g.id = t.grant_id
      where g.request_id in ${h.sql(ids)} and t.status = 'removing'`;
    expect(stuck).toHaveLength(1);
    expect(stuck[0]!.last_error).toContain('unavailable');
    await retryNow(h);
    await expectEnded(ids);
  });
});
