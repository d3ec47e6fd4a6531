import type { Flow } from './flow.js';
import type { Resource } from './resource.js';

/** Who owns a catalogue row: the ACCESS_CONFIG file (read-only in App Home) or App Home itself. */
export type ManagedBy = 'file' | 'app';

/** A resource or flow as the catalogue holds it, with its owner: what services and App Home show. */
export type ResourceRow = Resource & { managedBy: ManagedBy };
export type FlowRow = Flow & { managedBy: ManagedBy };

/** The whole catalogue as of one version. Shared between callers: never mutate it. */
export interface CatalogSnapshot {
  version: number;
  flows: readonly FlowRow[];
  resources: readonly ResourceRow[];
}
