import type { ProvisionerConfig } from '../domain/resource.js';
import type { Provisioner } from './port.js';

/** The provisioners this deployment knows, by type. */
export interface ProvisionerRegistry {
  get(type: string): Provisioner | undefined;
  types(): string[];
  /** A sentence for the admin when a resource's provisioner config is wrong, else null. */
  validate(config: ProvisionerConfig | null): string | null;
}

export function createProvisionerRegistry(provisioners: Provisioner[]): ProvisionerRegistry {
  const byType = new Map(provisioners.map((p) => [p.type, p]));
  return {
    get: (type) => byType.get(type),
    types: () => [...byType.keys()].sort(),
    validate(config) {
      if (!config) return null;
      if ('_yaml_error' in config.settings) return `Settings are not valid YAML: ${String(config.settings._yaml_error)}`;
      const p = byType.get(config.type);
      if (!p) return `Unknown provisioner "${config.type}"; known: ${[...byType.keys()].sort().join(', ')}.`;
      return p.validateSettings(config.settings);
    },
  };
}
