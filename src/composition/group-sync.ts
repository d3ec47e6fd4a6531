import type { GroupSource, GroupSourceKind } from '../domain/group-source.js';
import { createEntraGroupListers } from '../provisioners/entra/entra-groups.js';
import { createOktaGroupListers } from '../provisioners/okta/okta-groups.js';
import { createGroupSyncService, type GroupSyncDeps } from '../services/group-sync.js';
import { groupSyncStatus } from '../services/group-sync-status.js';
import type { GroupListers } from '../services/ports.js';

/** The providers' listers, production settings; tests and the sandbox replace one (a CA to trust). */
export function defaultGroupListers(): Record<GroupSourceKind, GroupListers> {
  return { okta: createOktaGroupListers(), entra: createEntraGroupListers() };
}

/** The group sync of the bot and of `npm run config -- sync`: the same use case on the same ports. */
export function buildGroupSync(
  deps: Omit<GroupSyncDeps, 'listers' | 'sources'> & {
    sources: readonly GroupSource[];
    listers?: Partial<Record<GroupSourceKind, GroupListers>>;
  },
) {
  const sync = createGroupSyncService({ ...deps, listers: { ...defaultGroupListers(), ...deps.listers } });
  return {
    ...sync,
    /** Each source's rows and last run, read-only (the sandbox's page shows it). */
    status: () => groupSyncStatus(deps.db, sync.sources),
  };
}
