import { isDeepStrictEqual } from 'node:util';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { appendAudit } from '../db/audit-queries.js';
import {
  deleteFileManagedExcept,
  listFlows,
  listResources,
  upsertFlow,
  upsertResource,
} from '../db/catalog-queries.js';
import type { Db } from '../db/client.js';
import { newId } from '../db/ids.js';
import { AccessFileSchema, describeIssuePath, type AccessFile } from '../domain/access-file.js';
import { flowFromFile, resourceFromFile } from '../domain/access-file-mapping.js';
import { groupSourceFromFile, PLACEHOLDER_GROUP_ID } from '../domain/group-source.js';
import { resourceFor } from '../domain/group-sync.js';
import type { ProvisionerRegistry } from '../provisioners/port.js';
import type { Flow } from '../domain/flow.js';
import { SERVICE_NAMES, servicesOf, type OnCallService } from '../domain/on-call.js';
import type { Clock, OnCallDirectory } from './ports.js';

export class AccessFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccessFileError';
  }
}

/** Parses and validates the YAML text; the first problem is reported with its path in the file. */
export function parseAccessFile(text: string, source = 'ACCESS_CONFIG'): AccessFile {
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? ` (line ${e.linePos[0].line})` : '';
    throw new AccessFileError(
      `${source} is not valid YAML${where}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
    );
  }
  const result = AccessFileSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new AccessFileError(`${source}: ${describeIssuePath(issue.path) || 'top level'}: ${issue.message}`);
  }
  return result.data;
}

/**
 * A flow naming PagerDuty or Opsgenie needs that service's credentials; without them every request
 * would silently go to people, so the file is refused with the variable to set.
 */
export function checkOnCallServices(
  file: AccessFile,
  onCall: Pick<OnCallDirectory, 'configured'>,
  source = 'ACCESS_CONFIG',
): AccessFile {
  for (const [i, f] of file.flows.entries()) {
    const flow = flowFromFile(f);
    const missing = onCallServicesOf(flow).find((s) => !onCall.configured(s));
    if (missing)
      throw new AccessFileError(
        `${source}: flows[${i}] (${f.name}) asks ${SERVICE_NAMES[missing]} who is on call, but ${missing === 'pagerduty' ? 'PAGERDUTY_API_TOKEN' : 'OPSGENIE_API_KEY'} is not set.`,
      );
  }
  return file;
}

/** The on-call services a flow asks (its auto-approval rules and its on-call approvers). */
export function onCallServicesOf(flow: Pick<Flow, 'lifecycle'>): OnCallService[] {
  return servicesOf([
    ...flow.lifecycle.autoApprove.flatMap((r) => r.onCall ?? []),
    ...(flow.lifecycle.onCallApprovers ?? []),
  ]);
}

/**
 * Applies the file in one transaction (never half-applied): file-managed resources and flows are
 * created or updated to match, and those the file no longer lists are removed. Rows created in
 * App Home are left alone unless the file names them (then the file takes them over). A file that
 * matches the database writes nothing, not even an audit row.
 */
export async function applyAccessFile(db: Db, clock: Clock, file: AccessFile) {
  const now = clock.now();
  return db.transaction(async (tx) => {
    const existingResources = new Map((await listResources(tx)).map((r) => [r.name, r]));
    const existingFlows = new Map((await listFlows(tx)).map((f) => [f.name, f]));
    const changed: string[] = [];
    for (const entry of file.resources) {
      const wanted = resourceFromFile(entry);
      const current = existingResources.get(entry.name);
      if (current && current.managedBy === 'file' && sameContent(current, wanted)) continue;
      await upsertResource(tx, current?.id ?? newId('res'), wanted, 'file', now);
      changed.push(`resource ${entry.name}`);
    }
    for (const entry of file.flows) {
      const wanted = flowFromFile(entry);
      const current = existingFlows.get(entry.name);
      if (current && current.managedBy === 'file' && sameContent(current, wanted)) continue;
      await upsertFlow(tx, current?.id ?? newId('flw'), wanted, 'file', now);
      changed.push(`flow ${entry.name}`);
    }
    const removed = await deleteFileManagedExcept(
      tx,
      file.resources.map((r) => r.name),
      file.flows.map((f) => f.name),
    );
    changed.push(
      ...removed.resources.map((n) => `removed resource ${n}`),
      ...removed.flows.map((n) => `removed flow ${n}`),
    );
    if (changed.length > 0) {
      await appendAudit(tx, {
        requestId: null,
        actor: 'config-file',
        action: 'config.applied',
        createdAt: now,
        details: { changed },
      });
    }
    return { resources: file.resources.length, flows: file.flows.length, changed };
  });
}

/** Compares the fields the file sets (ids, timestamps and managed_by aside). */
function sameContent<T extends object>(current: T, wanted: Partial<T>): boolean {
  // isDeepStrictEqual ignores key order: jsonb hands objects back with its own key order.
  return Object.entries(wanted).every(([k, v]) => isDeepStrictEqual((current as Record<string, unknown>)[k], v));
}

/** Checks each resource's provisioner settings with the provisioner itself (before anything is applied). */
export function checkProvisioners(
  file: AccessFile,
  registry: ProvisionerRegistry,
  source = 'ACCESS_CONFIG',
): AccessFile {
  file.resources.forEach((r, i) => {
    const problem = registry.validate(resourceFromFile(r).provisioner);
    if (problem) throw new AccessFileError(`${source}: resources[${i}].provisioner: ${problem}`);
  });
  return file;
}

/**
 * Checks each group source's connection with the provisioner of its type (its resources will use the same
 * settings), before anything is applied: a secret written in clear, a plain-http org, an unknown setting.
 */
export function checkGroupSources(
  file: AccessFile,
  registry: ProvisionerRegistry,
  source = 'ACCESS_CONFIG',
): AccessFile {
  file.group_sources.forEach((s, i) => {
    const { provisioner } = resourceFor(
      groupSourceFromFile(s),
      { id: PLACEHOLDER_GROUP_ID[s.source], name: 'x', description: '' },
      'x',
    );
    const problem = registry.validate(provisioner);
    if (problem) throw new AccessFileError(`${source}: group_sources[${i}].connection: ${problem}`);
  });
  return file;
}
