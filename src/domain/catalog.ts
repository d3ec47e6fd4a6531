import type { Bundle } from './bundle.js';
import type { Flow } from './flow.js';
import type { Resource } from './resource.js';

/**
 * Who owns a catalogue row: the ACCESS_CONFIG file (read-only in App Home), App Home itself, or a group
 * source of the file (resources only: made, updated and retired by the group sync, read-only in App Home).
 */
export type ManagedBy = 'file' | 'app' | 'sync';

/** Where a synced resource comes from: the group source's name in ACCESS_CONFIG, and the group there. */
export interface SyncOrigin {
  source: string;
  groupId: string;
  groupName: string;
}

/** A resource or flow as the catalogue holds it, with its owner: what services and App Home show. */
export type ResourceRow = Resource & { managedBy: ManagedBy; origin?: SyncOrigin | null };
export type FlowRow = Flow & { managedBy: ManagedBy };
export type BundleRow = Bundle & { managedBy: ManagedBy };

/** The whole catalogue as of one version. Shared between callers: never mutate it. */
export interface CatalogSnapshot {
  version: number;
  flows: readonly FlowRow[];
  resources: readonly ResourceRow[];
  /** Access profiles (domain/bundle.ts). */
  bundles: readonly BundleRow[];
}
