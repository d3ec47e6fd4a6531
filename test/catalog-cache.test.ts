import fc from 'fast-check';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCatalogCache } from '../src/db/catalog-cache.js';
import { upsertFlow, upsertResource } from '../src/db/catalog-queries.js';
import { openDatabase, type Database } from '../src/db/client.js';
import { insertApproval, insertRequest, pendingDecidableBy, updateRequest } from '../src/db/request-queries.js';
import { decidableFlows, type Identity } from '../src/domain/flow.js';
import { decisionRefusal } from '../src/domain/request-lifecycle.js';
import { aFlow, aResource } from '../src/domain/fixtures.test-support.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

const now = new Date('2026-11-25T09:00:00Z');
const { id: _r, ...resourceInput } = aResource('db-one', { tags: ['prod'] });
const { id: _f, ...flowInput } = aFlow({ name: 'prod-db', resourceTags: ['prod'], requesterEveryone: true });

describe('the cached catalogue', () => {
  let target: TestDatabase;
  let database: Database;
  let other: postgres.Sql;
  beforeAll(async () => {
    target = await createTestDatabase();
    database = await openDatabase({ url: target.url });
    other = postgres(target.url, { onnotice: () => {}, max: 1 });
  });
  afterAll(async () => {
    await other.end();
    await database.close();
    await target.drop();
  });

  it('sees every change at once, whoever makes it (this replica, another one, plain SQL)', async () => {
    const cache = createCatalogCache(database.db);
    const empty = await cache.snapshot();
    expect(empty.resources).toEqual([]);

    await upsertResource(database.db, 'res_one', resourceInput, 'app', now);
    const first = await cache.snapshot();
    expect(first.resources.map((r) => r.name)).toEqual(['db-one']);
    expect(first.version).toBeGreaterThan(empty.version);

    // Another replica or an operator with psql: no message to this process, only the version.
    await other`update resources set description = 'renamed elsewhere' where id = 'res_one'`;
    expect((await cache.snapshot()).resources[0]!.description).toBe('renamed elsewhere');

    await upsertFlow(database.db, 'flw_one', flowInput, 'app', now);
    expect((await cache.snapshot()).flows.map((f) => f.name)).toEqual(['prod-db']);
    await other`delete from flows`;
    expect((await cache.snapshot()).flows).toEqual([]);
  });

  it('does not reload an unchanged catalogue, and a rolled-back change leaves it as it was', async () => {
    const cache = createCatalogCache(database.db);
    const a = await cache.snapshot();
    expect(await cache.snapshot()).toBe(a);
    await other
      .begin(async (tx) => {
        await tx`insert into resources (id, name, type) values ('res_gone', 'gone', 'ssh')`;
        await tx`select pg_sleep(0)`;
        throw new Error('roll back');
      })
      .catch(() => undefined);
    const after = await cache.snapshot();
    expect(after).toBe(a);
    expect(after.resources.map((r) => r.name)).not.toContain('gone');
  });

  it('hands out a frozen snapshot: a caller cannot change what others read', async () => {
    const snapshot = await createCatalogCache(database.db).snapshot();
    expect(() => (snapshot.resources as unknown[]).push({})).toThrow(TypeError);
  });
});

/**
 * App Home's "to review" list is filtered by PostgreSQL (pendingDecidableBy) instead of loading every
 * pending request; it must agree with the domain's decisionRefusal on every mix of flows and requests.
 */
describe('pending requests a person may decide, filtered in SQL', () => {
  let target: TestDatabase;
  let database: Database;
  beforeAll(async () => {
    target = await createTestDatabase();
    database = await openDatabase({ url: target.url });
    const { id: _id, ...input } = aResource('x');
    await upsertResource(database.db, 'res_x', input, 'app', now);
  });
  afterAll(async () => {
    await database.close();
    await target.drop();
  });

  const people = ['U1', 'U2', 'U3'];
  const groups = ['S1', 'S2'];
  const flowArb = fc.record({
    approverUsers: fc.subarray(people),
    approverGroups: fc.subarray(groups),
    escalationUsers: fc.subarray(people),
    escalationGroups: fc.subarray(groups),
    allowSelfApproval: fc.boolean(),
  });
  const requestArb = fc.record({
    flow: fc.nat(3),
    requester: fc.constantFrom(...people),
    status: fc.constantFrom('pending', 'pending', 'denied', 'active'),
    escalated: fc.boolean(),
    approvedBy: fc.subarray(people, { maxLength: 1 }),
  });

  it('agrees with decisionRefusal (200 generated cases)', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(flowArb, { minLength: 4, maxLength: 4 }),
        fc.array(requestArb, { maxLength: 12 }),
        fc.constantFrom(...people),
        fc.subarray(groups),
        async (flowSpecs, requestSpecs, userId, groupIds) => {
          round += 1;
          await database.db.transaction(async (tx) => {
            await tx.execute(
              'delete from approvals; delete from request_resources; delete from access_requests; delete from flows',
            );
            const flows = flowSpecs.map((f, i) =>
              aFlow({
                name: `f${i}`,
                id: `flw_${round}_${i}`,
                approverUsers: f.approverUsers,
                approverGroups: f.approverGroups,
                allowSelfApproval: f.allowSelfApproval,
                lifecycle: {
                  ...aFlow({ name: 'x' }).lifecycle,
                  escalationUsers: f.escalationUsers,
                  escalationGroups: f.escalationGroups,
                },
              }),
            );
            for (const { id, ...input } of flows) await upsertFlow(tx, id, input, 'app', now);
            for (const [i, r] of requestSpecs.entries()) {
              const flow = flows[r.flow]!;
              const id = `req_${round}_${String(i).padStart(2, '0')}`;
              await insertRequest(
                tx,
                {
                  id,
                  requesterId: r.requester,
                  flowId: flow.id,
                  flowName: flow.name,
                  status: 'pending',
                  justification: 'x',
                  durationMinutes: 60,
                  notifiedApprovers: [],
                  approvalsRequired: 2,
                  notifyChannel: null,
                  createdAt: new Date(now.getTime() + i * 1000),
                },
                [{ resourceId: 'res_x', name: 'x', type: 'database' }],
              );
              await updateRequest(tx, id, { status: r.status as 'pending', escalatedAt: r.escalated ? now : null });
              for (const a of r.approvedBy)
                await insertApproval(tx, id, {
                  approverId: a,
                  policy: { durationMinutes: 60, resources: [] },
                  createdAt: now,
                });
            }
            const who: Identity = { userId, groupIds: new Set(groupIds) };
            const expected = requestSpecs
              .map((r, i) => ({ ...r, id: `req_${round}_${String(i).padStart(2, '0')}` }))
              .filter((r) => r.status === 'pending' && !r.approvedBy.includes(userId))
              .filter((r) => decisionRefusal(flows[r.flow], r.requester, who, r.escalated) === null)
              .map((r) => r.id);
            const got = (await pendingDecidableBy(tx, userId, decidableFlows(flows, who), 100)).map((r) => r.id);
            expect(got).toEqual(expected);
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
