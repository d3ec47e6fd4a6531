import { z } from 'zod';

/**
 * `cloud`: an AWS account or a Google Cloud project/folder; the approver picks among the roles the
 * resource allows (AWS permission sets, GCP roles). `group`: membership of an identity-provider group
 * (Okta, Entra ID) or a GitHub team; nothing to tune but the time. `repository`: a GitHub repository;
 * the approver picks one permission among those the resource allows (read … admin).
 */
export const RESOURCE_TYPES = [
  'ssh',
  'database',
  'kubernetes',
  'http',
  'cloud',
  'group',
  'repository',
  'generic',
] as const;
export const ResourceTypeSchema = z.enum(RESOURCE_TYPES);
export type ResourceType = z.infer<typeof ResourceTypeSchema>;

/** Resource names appear in commands (`/access request prod-db`) and option values, hence the narrow alphabet. */
export const ResourceNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'use lower-case letters, digits, - _ . (starting with a letter or digit)');

export const TagSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._:-]*$/, 'use lower-case letters, digits, - _ . :');

/** What the approver's tuning modal offers by default for this resource. */
export interface TuningDefaults {
  loginUsers: string[];
  databases: string[];
  namespaces: string[];
  /**
   * Cloud roles pre-selected in the tuning modal, and what auto-approval and break-glass grant. Optional:
   * rows written before cloud resources existed have no such key.
   */
  roles?: string[];
}

/** What the tuning modal offers for one resource: its defaults, and for cloud resources the roles it allows. */
export interface TuningOffer extends TuningDefaults {
  /** The roles the resource's provisioner allows (empty for other types). */
  roleChoices: string[];
}

/** The roles pre-selected for a cloud resource: its defaults that are still allowed, else the first allowed. */
export function preselectedRoles(offer: TuningOffer): string[] {
  const kept = (offer.roles ?? []).filter((r) => offer.roleChoices.includes(r));
  return kept.length > 0 ? kept : offer.roleChoices.slice(0, 1);
}

export const NO_DEFAULTS: TuningDefaults = { loginUsers: [], databases: [], namespaces: [] };
export const NO_OFFER: TuningOffer = { ...NO_DEFAULTS, roleChoices: [] };

/** A provisioner type and its settings; secret settings are references (`env:ACCESS_SECRET_NAME`, `file:/path` in ACCESS_SECRETS_DIR). */
export interface ProvisionerConfig {
  type: string;
  settings: Record<string, unknown>;
}

export interface Resource {
  id: string;
  name: string;
  type: ResourceType;
  tags: string[];
  description: string;
  defaults: TuningDefaults;
  provisioner: ProvisionerConfig | null;
}
