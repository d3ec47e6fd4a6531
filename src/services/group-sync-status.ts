import type { Db } from '../db/client.js';
import { syncedResources, syncStates } from '../db/group-sync-queries.js';
import type { GroupSource, GroupSourceKind } from '../domain/group-source.js';

/**
 * What each group source holds now and how its last run went: the rows it made (retired ones too, kept
 * until their grants' removals are done) and the summary `finishSync` recorded. Read-only; the sandbox's
 * page shows it, and an operator's tool could.
 */
export interface GroupSourceStatus {
  name: string;
  kind: GroupSourceKind;
  tags: string[];
  /** The provider settings (secret settings are references, never values). */
  connection: GroupSource['connection'];
  namePrefix: string | null;
  intervalMinutes: number;
  /** Null until the source's first run. */
  lastRunAt: Date | null;
  lastOkAt: Date | null;
  /** The sentence of the last run when it failed; null when it went through. */
  lastError: string | null;
  /** What the last good run changed (created, updated, retired, grantsEnded…). */
  lastSummary: Record<string, unknown> | null;
  resources: Array<{ name: string; groupId: string; groupName: string; retired: boolean }>;
}

export async function groupSyncStatus(db: Db, sources: readonly GroupSource[]): Promise<GroupSourceStatus[]> {
  const states = new Map((await syncStates(db)).map((s) => [s.source, s]));
  const out: GroupSourceStatus[] = [];
  for (const source of sources) {
    const state = states.get(source.name);
    out.push({
      name: source.name,
      kind: source.kind,
      tags: source.tags,
      connection: source.connection,
      namePrefix: source.filter.namePrefix,
      intervalMinutes: source.intervalMinutes,
      lastRunAt: state?.lastRunAt ?? null,
      lastOkAt: state?.lastOkAt ?? null,
      lastError: state?.lastError ?? null,
      lastSummary: state?.lastSummary ?? null,
      resources: (await syncedResources(db, source.name)).map((r) => ({
        name: r.resource.name,
        groupId: r.origin.groupId,
        groupName: r.origin.groupName,
        retired: r.retired,
      })),
    });
  }
  return out;
}
