import { parse as parseYaml, YAMLParseError } from 'yaml';
import { appendAudit } from '../db/audit-queries.js';
import { deleteFileManagedRows, lockCatalogApply } from '../db/catalog-apply-queries.js';
import { deleteFileManagedBundles, listBundles, upsertBundle } from '../db/bundle-queries.js';
import { listFlows, listResources, upsertFlow, upsertResource } from '../db/catalog-queries.js';
import type { Db, Executor } from '../db/client.js';
import { newId } from '../db/ids.js';
import { AccessFileSchema, describeIssuePath, type AccessFile } from '../domain/access-file.js';
import { flowFromFile, resourceFromFile } from '../domain/access-file-mapping.js';
import type { AuditAction } from '../domain/audit-action.js';
import { changeLine, planCatalog, planView, type CatalogKind, type CatalogPlan } from '../domain/catalog-plan.js';
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

/** The plan for `file` against the catalogue as it is now (`npm run config -- plan`): what applyAccessFile would do. */
export async function planAccessFile(
  db: Executor,
  file: Pick<AccessFile, 'resources' | 'flows'> & Partial<Pick<AccessFile, 'bundles'>>,
): Promise<CatalogPlan> {
  const [resources, flows, bundles] = [await listResources(db), await listFlows(db), await listBundles(db)];
  return planCatalog({ resources, flows, bundles }, file);
}

export interface ApplyOptions {
  /** `catalog.reloaded` for a running bot's reload; `config.applied` (the default) at start. */
  action?: Extract<AuditAction, 'config.applied' | 'catalog.reloaded'>;
  /** More for the audit event (the file's path and digest on a reload). */
  details?: Record<string, unknown>;
}

/** The audit event keeps every change's fields up to here; a larger first apply keeps the rest as lines only. */
const AUDITED_CHANGES = 200;

/**
 * Applies the file in one transaction (never half-applied): the plan (domain/catalog-plan.ts) is computed from
 * the rows this transaction reads, under a lock every apply takes, and executed as it stands: file-managed
 * resources and flows are created or updated to match, and those the file no longer lists are removed. Rows
 * created in App Home (or by a group source) are left alone unless the file names them (then the file takes
 * them over). One audit event holds the whole change, field by field with before and after; a file that
 * matches the database writes nothing, not even an audit row.
 */
export async function applyAccessFile(db: Db, clock: Clock, file: AccessFile, options: ApplyOptions = {}) {
  const now = clock.now();
  return db.transaction(async (tx) => {
    await lockCatalogApply(tx);
    const plan = await planAccessFile(tx, file);
    for (const c of plan.changes) {
      if (c.action === 'remove') continue;
      if (c.write.kind === 'resource') await upsertResource(tx, c.write.id ?? newId('res'), c.write.input, 'file', now);
      else if (c.write.kind === 'flow') await upsertFlow(tx, c.write.id ?? newId('flw'), c.write.input, 'file', now);
      else await upsertBundle(tx, c.write.id ?? newId('bdl'), c.write.input, 'file', now);
    }
    const removals = (kind: CatalogKind) =>
      plan.changes.filter((c) => c.action === 'remove' && c.kind === kind).map((c) => c.name);
    // Bundles first: a bundle names resources, never the other way round.
    await deleteFileManagedBundles(tx, removals('bundle'));
    await deleteFileManagedRows(tx, { resources: removals('resource'), flows: removals('flow') });
    const changed = plan.changes.map(changeLine);
    if (changed.length > 0) {
      const view = planView(plan);
      await appendAudit(tx, {
        requestId: null,
        actor: 'config-file',
        action: options.action ?? 'config.applied',
        createdAt: now,
        details: {
          changed,
          summary: view.summary,
          changes: view.changes.slice(0, AUDITED_CHANGES),
          ...(view.changes.length > AUDITED_CHANGES ? { changes_left_out: view.changes.length - AUDITED_CHANGES } : {}),
          ...options.details,
        },
      });
    }
    return { resources: file.resources.length, flows: file.flows.length, bundles: file.bundles.length, changed, plan };
  });
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

/** Everything the bot checks in a file before applying it (at start and on each reload): first problem wins. */
export function checkAccessFileText(
  text: string,
  registry: ProvisionerRegistry,
  onCall: Pick<OnCallDirectory, 'configured'>,
): AccessFile {
  return checkGroupSources(checkOnCallServices(checkProvisioners(parseAccessFile(text), registry), onCall), registry);
}
