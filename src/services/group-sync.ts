import { randomUUID } from 'node:crypto';
import { appendAudit } from '../db/audit-queries.js';
import type { Db, Tx } from '../db/client.js';
import {
  claimSyncLease,
  deleteSpentRetired,
  finishSync,
  holdsSyncLease,
  insertSyncedResource,
  namesNotFrom,
  openRequestsNaming,
  retireSyncedResource,
  syncedResources,
  updateSyncedResource,
  type SyncedResourceRow,
} from '../db/group-sync-queries.js';
import { newId } from '../db/ids.js';
import { enqueue } from '../db/outbox-queries.js';
import { lockRequest, updateRequest } from '../db/request-queries.js';
import { PROVIDER_NAMES, type GroupSource, type GroupSourceKind } from '../domain/group-source.js';
import {
  changedFields,
  groupEndedBy,
  planGroupSync,
  type GroupEndReason,
  type SyncedRow,
} from '../domain/group-sync.js';
import { transition } from '../domain/request-lifecycle.js';
import type { Secrets } from '../provisioners/secrets.js';
import { endGrantWrite } from './grant-writer.js';
import type { Clock, GroupListers, ListedGroup } from './ports.js';

/**
 * The group sync: for each group source of ACCESS_CONFIG, the catalogue's `group` resources made to match
 * the groups the identity provider lists. Reads from the provider happen before any write and outside any
 * transaction; the writes (created, updated, retired, each audited with before and after, and the grants
 * and requests of retired groups ended) are one transaction, so a provider that fails half-way changes
 * nothing. A lease per source (group_sync_state) lets replicas take turns: of several asking at once, one
 * syncs and the others skip.
 */
export const GROUP_SYNC_LEASE_SECONDS = 300;

export interface GroupSyncDeps {
  db: Db;
  clock: Clock;
  secrets: Secrets;
  listers: Record<GroupSourceKind, GroupListers>;
  sources: readonly GroupSource[];
  afterCommit: () => void;
}

export interface SourceSyncResult {
  source: string;
  status: 'synced' | 'skipped' | 'failed';
  /** For skipped: why; for failed: the sentence an operator acts on. */
  message?: string;
  created: string[];
  updated: { name: string; fields: string[]; note?: string }[];
  retired: { name: string; reason: GroupEndReason }[];
  /** Groups not taken into the catalogue, with why. */
  skipped: { group: string; reason: string }[];
  /** Grants ended and pending requests cancelled because their group left. */
  grantsEnded: number;
  requestsCancelled: number;
}

const empty = (source: string, status: SourceSyncResult['status'], message?: string): SourceSyncResult => ({
  source,
  status,
  ...(message ? { message } : {}),
  created: [],
  updated: [],
  retired: [],
  skipped: [],
  grantsEnded: 0,
  requestsCancelled: 0,
});

const toSynced = (r: SyncedResourceRow): SyncedRow => ({
  id: r.id,
  name: r.resource.name,
  groupId: r.origin.groupId,
  groupName: r.origin.groupName,
  resource: r.resource,
  retired: r.retired,
  busy: r.busy,
});

export function createGroupSyncService(deps: GroupSyncDeps) {
  const { db, clock } = deps;
  /** This process's name on the leases it takes. */
  const owner = `sync_${randomUUID()}`;

  /** The groups the provider lists, and for those that left the listing, what a direct read says. */
  async function readSource(source: GroupSource) {
    const lister = deps.listers[source.kind](source, deps.secrets);
    const groups = await lister.list();
    const rows = (await syncedResources(db, source.name)).map(toSynced);
    const manageable = groups.filter((g) => !g.unmanageable);
    const plan = planGroupSync(source, manageable, rows, await namesNotFrom(db, source.name));
    const leaving: { row: SyncedRow; reason: GroupEndReason; group: ListedGroup | null }[] = [];
    // A search index lags behind the directory: a group is retired only when reading it says so.
    for (const row of plan.missing) {
      const now = await lister.get(row.groupId);
      if (!now) leaving.push({ row, reason: 'gone', group: null });
      else if (!now.matches || now.group.unmanageable) leaving.push({ row, reason: 'unlisted', group: now.group });
    }
    const unmanageable = groups.filter((g) => g.unmanageable).map((g) => ({ group: g.name, reason: g.unmanageable! }));
    return { plan, leaving, unmanageable };
  }

  async function audit(
    tx: Tx,
    source: GroupSource,
    action: 'resource.created' | 'resource.updated' | 'resource.retired',
    details: Record<string, unknown>,
  ) {
    await appendAudit(tx, {
      requestId: null,
      actor: `group-sync:${source.name}`,
      action,
      createdAt: clock.now(),
      details: { source: source.name, ...details },
    });
  }

  /** Ends the grants and cancels the pending requests that name a retired group, each saying why. */
  async function endRequestsOf(tx: Tx, source: GroupSource, row: SyncedRow, reason: GroupEndReason) {
    const endedBy = groupEndedBy(reason, source.kind, row.name);
    const details = { reason: `group_${reason}`, source: source.name, group: { id: row.groupId, name: row.groupName } };
    let ended = 0;
    let cancelled = 0;
    for (const open of await openRequestsNaming(tx, row.id)) {
      const request = await lockRequest(tx, open.id);
      if (!request) continue;
      const now = clock.now();
      const notice = {
        topic: 'requester.notify' as const,
        requestId: request.id,
        payload: { event: 'group_left' as const },
      };
      if (request.status === 'active') {
        const result = await endGrantWrite(tx, {
          row: request,
          expiresAt: null,
          how: 'revoke',
          now,
          endedBy,
          audit: { actor: `group-sync:${source.name}`, action: 'grant.ended', details },
          notifyRequester: false,
        });
        if (!result.ok) continue;
        await enqueue(tx, [notice]);
        ended++;
      } else if (request.status === 'pending') {
        const step = transition({ ...request, expiresAt: null }, { type: 'cancel' }, now);
        if (!step.ok) continue;
        await updateRequest(tx, request.id, { status: step.next.status, endedAt: now, endedBy });
        await enqueue(tx, [{ topic: 'messages.refresh', requestId: request.id }, notice]);
        await appendAudit(tx, {
          requestId: request.id,
          actor: `group-sync:${source.name}`,
          action: 'request.cancelled',
          createdAt: now,
          details,
        });
        cancelled++;
      }
    }
    return { ended, cancelled };
  }

  async function syncOne(source: GroupSource, force: boolean): Promise<SourceSyncResult> {
    const start = clock.now();
    const dueBefore = force ? null : new Date(start.getTime() - source.intervalMinutes * 60_000);
    if (!(await claimSyncLease(db, source.name, owner, start, GROUP_SYNC_LEASE_SECONDS, dueBefore)))
      return empty(
        source.name,
        'skipped',
        force ? 'another replica of the bot is syncing this source right now' : 'not due yet',
      );
    const result = empty(source.name, 'synced');
    try {
      const { plan, leaving, unmanageable } = await readSource(source);
      result.skipped.push(...unmanageable);
      await db.transaction(async (tx) => {
        const now = clock.now();
        // Another replica took the source over after this one's lease ran out: its run wins.
        if (!(await holdsSyncLease(tx, source.name, owner, now)))
          throw new Error('the sync took longer than its lease and another replica took over; nothing was written');
        for (const change of plan.changes) {
          if (change.kind === 'skip') {
            result.skipped.push({ group: change.group.name, reason: change.reason });
            continue;
          }
          const origin = { source: source.name, groupId: change.group.id, groupName: change.group.name };
          if (change.kind === 'create') {
            const id = newId('res');
            await insertSyncedResource(tx, id, change.resource, origin, now);
            await audit(tx, source, 'resource.created', {
              resourceId: id,
              before: null,
              after: change.resource,
              group: origin,
            });
            result.created.push(change.resource.name);
            continue;
          }
          const before = { ...change.row.resource, groupName: change.row.groupName, retired: change.row.retired };
          const after = { ...change.resource, groupName: change.group.name, retired: false };
          await updateSyncedResource(tx, change.row.id, change.resource, origin, now);
          const note = change.renameDeferred
            ? `the group is now ${change.group.name}; the resource keeps the name ${change.row.name} while requests, grant removals or a flow use it`
            : undefined;
          await audit(tx, source, 'resource.updated', {
            resourceId: change.row.id,
            before,
            after,
            group: origin,
            ...(note ? { note } : {}),
          });
          result.updated.push({
            name: change.resource.name,
            fields: changedFields(before, after),
            ...(note ? { note } : {}),
          });
        }
        for (const { row, reason, group } of leaving) {
          await retireSyncedResource(tx, row.id, source.name, now);
          await audit(tx, source, 'resource.retired', {
            resourceId: row.id,
            before: row.resource,
            after: null,
            reason: `group_${reason}`,
            group: { id: row.groupId, name: group?.name ?? row.groupName },
          });
          const { ended, cancelled } = await endRequestsOf(tx, source, row, reason);
          result.grantsEnded += ended;
          result.requestsCancelled += cancelled;
          result.retired.push({ name: row.name, reason });
        }
        // Retired rows whose removals are done (or that had none): nothing needs them now.
        await deleteSpentRetired(tx, source.name);
        await finishSync(tx, source.name, owner, now, { ok: true, summary: summaryOf(result) });
      });
    } catch (error) {
      const message = `Group source ${source.name} (${PROVIDER_NAMES[source.kind]}) could not be synced: ${error instanceof Error ? error.message : String(error)}. Nothing was changed.`;
      await finishSync(db, source.name, owner, clock.now(), { ok: false, error: message });
      return empty(source.name, 'failed', message);
    }
    if (result.retired.length + result.created.length + result.updated.length > 0) deps.afterCommit();
    return result;
  }

  return {
    sources: deps.sources,
    /** The sources whose interval has passed (the job, every replica): each syncs on one replica only. */
    async syncDue(): Promise<SourceSyncResult[]> {
      const results: SourceSyncResult[] = [];
      for (const source of deps.sources) results.push(await syncOne(source, false));
      return results;
    },
    /** Syncs now whatever the interval (`npm run config -- sync`), the named sources or all. */
    async syncNow(names?: readonly string[]): Promise<SourceSyncResult[]> {
      const unknown = (names ?? []).filter((n) => !deps.sources.some((s) => s.name === n));
      if (unknown.length > 0)
        throw new Error(
          `No group source named ${unknown.join(', ')} in ACCESS_CONFIG; known: ${deps.sources.map((s) => s.name).join(', ') || 'none'}.`,
        );
      const results: SourceSyncResult[] = [];
      for (const source of deps.sources)
        if (!names?.length || names.includes(source.name)) results.push(await syncOne(source, true));
      return results;
    },
  };
}

function summaryOf(r: SourceSyncResult): Record<string, unknown> {
  return {
    created: r.created,
    updated: r.updated.map((u) => u.name),
    retired: r.retired,
    skipped: r.skipped.length,
    grantsEnded: r.grantsEnded,
    requestsCancelled: r.requestsCancelled,
  };
}

export type GroupSyncService = ReturnType<typeof createGroupSyncService>;
