import { parse as parseYaml, YAMLParseError } from 'yaml';
import { appendAudit } from '../db/audit-queries.js';
import { deleteFileManagedExcept, listFlows, listResources, upsertFlow, upsertResource } from '../db/catalog-queries.js';
import type { Db } from '../db/client.js';
import { newId } from '../db/ids.js';
import { AccessFileSchema, describeIssuePath, type AccessFile } from '../domain/access-file.js';
import type { Clock } from './ports.js';

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
    throw new AccessFileError(`${source} is not valid YAML${where}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  const result = AccessFileSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new AccessFileError(`${source}: ${describeIssuePath(issue.path) || 'top level'}: ${issue.message}`);
  }
  return result.data;
}

/**
 * Applies the file in one transaction (never half-applied): file-managed resources and flows are
 * created or updated to match, and those the file no longer lists are removed. Rows created in
 * App Home are left alone. Returns what changed, for the log.
 */
export async function applyAccessFile(db: Db, clock: Clock, file: AccessFile) {
  const now = clock.now();
  return db.transaction(async (tx) => {
    const existingResources = new Map((await listResources(tx)).map((r) => [r.name, r]));
    const existingFlows = new Map((await listFlows(tx)).map((f) => [f.name, f]));
    for (const r of file.resources) {
      await upsertResource(tx, existingResources.get(r.name)?.id ?? newId('res'), r, 'file', now);
    }
    for (const f of file.flows) {
      await upsertFlow(
        tx,
        existingFlows.get(f.name)?.id ?? newId('flw'),
        {
          name: f.name,
          description: f.description,
          resourceNames: f.resources.names,
          resourceTags: f.resources.tags,
          requesterUsers: f.requesters.users,
          requesterGroups: f.requesters.groups,
          approverUsers: f.approvers.users,
          approverGroups: f.approvers.groups,
          maxDurationMinutes: f.max_duration,
          allowSelfApproval: f.allow_self_approval,
          enabled: f.enabled,
        },
        'file',
        now,
      );
    }
    const removed = await deleteFileManagedExcept(tx, file.resources.map((r) => r.name), file.flows.map((f) => f.name));
    const summary = { resources: file.resources.length, flows: file.flows.length, removed };
    await appendAudit(tx, { requestId: null, actor: 'system', action: 'config.applied', createdAt: now, details: summary });
    return summary;
  });
}
