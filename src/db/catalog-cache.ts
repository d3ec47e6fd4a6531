import { eq } from 'drizzle-orm';
import type { CatalogSnapshot } from '../domain/catalog.js';
import { listBundles } from './bundle-queries.js';
import { listFlows, listResources } from './catalog-queries.js';
import type { Db } from './client.js';
import { coalescedRead } from './coalesced-read.js';
import { catalogVersion } from './schema/index.js';

export type { CatalogSnapshot } from '../domain/catalog.js';

/** What the cache offers (services/ports.ts declares the same shape as its CatalogReader port). */
export interface CatalogCache {
  /** The current catalogue: one tiny read when nothing changed, a full reload when something did. */
  snapshot(): Promise<CatalogSnapshot>;
}

/**
 * Caches resources and flows in memory, checked against `catalog_version` on every read. A trigger
 * moves the version in the same transaction as any change (migration 0008), so a cached snapshot is
 * exactly as fresh as reading the tables would be, on every replica, with no invalidation messages to
 * miss. The version is read before the tables: a change committed in between is cached under the
 * older version and reloaded on the next read, never the other way round.
 */
export function createCatalogCache(db: Db): CatalogCache {
  let current: CatalogSnapshot | null = null;
  let loading: Promise<CatalogSnapshot> | null = null;
  // Fifty people opening the form at once share two or three version reads, never an older one.
  const currentVersion = coalescedRead(readVersion);

  // The one read every use of the catalogue makes: built once (db/prepared.ts).
  const versionQuery = db
    .select({ version: catalogVersion.version })
    .from(catalogVersion)
    .where(eq(catalogVersion.id, 1))
    .prepare('catalog_version');

  async function readVersion(): Promise<number> {
    const [row] = await versionQuery.execute();
    return row?.version ?? 0;
  }

  async function load(version: number): Promise<CatalogSnapshot> {
    const [flows, resources, bundles] = await Promise.all([listFlows(db), listResources(db), listBundles(db)]);
    const snapshot = {
      version,
      flows: Object.freeze(flows),
      resources: Object.freeze(resources),
      bundles: Object.freeze(bundles),
    };
    if (!current || current.version <= version) current = snapshot;
    return snapshot;
  }

  return {
    async snapshot() {
      const version = await currentVersion();
      if (current && current.version === version) return current;
      // Many people opening the form at once after a change share one reload.
      if (!loading) loading = load(version).finally(() => (loading = null));
      const loaded = await loading;
      return loaded.version >= version ? loaded : load(version);
    },
  };
}
