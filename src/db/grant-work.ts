import { eq, sql } from 'drizzle-orm';
import type { ResourceRow } from '../domain/catalog.js';
import type { RequestDetails } from '../domain/request.js';
import type { Executor } from './client.js';
import { preparedOn } from './prepared.js';
import type { GrantForProvisioning, TargetRow } from './grant-queries.js';
import { detailColumns, toDetails } from './request-details.js';
import { accessRequests, grants } from './schema/index.js';

/** Everything work on one grant's targets reads (provisioning, extension): see grantWork. */
export interface GrantWork {
  grant: GrantForProvisioning;
  request: RequestDetails;
  /** Every target of the grant, by resource name. */
  targets: TargetRow[];
  /** The catalogue rows of those targets' resources, as they are now. */
  resources: ResourceRow[];
  /** The requester's SSH public key, if they saved one. */
  sshPublicKey: string | null;
}

type Json<T, D extends keyof T> = Omit<T, D> & { [K in D]: string | null };

const byGrantId = (db: Executor) =>
  db
    .select({
      ...detailColumns,
      grantJson: sql<Json<GrantForProvisioning, 'startsAt' | 'expiresAt' | 'endedAt'>>`(select json_build_object(
          'id', g.id, 'requestId', g.request_id, 'requesterId', g.requester_id, 'requesterEmail', g.requester_email,
          'status', g.status, 'startsAt', g.starts_at, 'expiresAt', g.expires_at, 'endedAt', g.ended_at)
        from grants g where g.id = ${sql.placeholder('grantId')})`,
      targetsJson: sql<Json<TargetRow, 'readySentAt'>[]>`(select coalesce(json_agg(json_build_object(
          'grantId', t.grant_id, 'resourceName', t.resource_name, 'provisioner', t.provisioner, 'status', t.status,
          'state', t.state, 'attempts', t.attempts, 'lastError', t.last_error, 'readyNote', t.ready_note,
          'readySentAt', t.ready_sent_at) order by t.resource_name), '[]'::json)
        from grant_targets t where t.grant_id = ${sql.placeholder('grantId')})`,
      resourcesJson: sql<ResourceRow[]>`(select coalesce(json_agg(json_build_object(
          'id', r.id, 'name', r.name, 'type', r.type, 'tags', r.tags, 'description', r.description,
          'defaults', r.defaults, 'provisioner', r.provisioner, 'managedBy', r.managed_by) order by r.name), '[]'::json)
        from resources r where r.name in (select t.resource_name from grant_targets t where t.grant_id = ${sql.placeholder('grantId')}))`,
      sshPublicKey: sql<
        string | null
      >`(select k.public_key from ssh_keys k where k.user_id = "access_requests"."requester_id")`,
    })
    .from(accessRequests)
    .where(
      eq(
        accessRequests.id,
        db
          .select({ id: grants.requestId })
          .from(grants)
          .where(eq(grants.id, sql.placeholder('grantId'))),
      ),
    )
    .prepare('grant_work');

/**
 * A grant with its request, targets, their resources and the requester's SSH key, in one statement (the
 * outbox item's context: a grant.provision handler used to read them in five). Undefined when the grant
 * is gone. The subqueries refer to the grant by id, the outer row is its request.
 */
export async function grantWork(db: Executor, grantId: string): Promise<GrantWork | undefined> {
  const [row] = await preparedOn(db, 'grant_work', byGrantId).execute({ grantId });
  if (!row) return undefined;
  const { grantJson, targetsJson, resourcesJson, sshPublicKey, ...details } = row;
  const date = (v: string | null) => (v === null ? null : new Date(v));
  return {
    grant: {
      ...grantJson,
      startsAt: new Date(grantJson.startsAt!),
      expiresAt: new Date(grantJson.expiresAt!),
      endedAt: date(grantJson.endedAt),
    },
    request: toDetails(details),
    targets: targetsJson.map((t) => ({ ...t, readySentAt: date(t.readySentAt) })),
    resources: resourcesJson,
    sshPublicKey,
  };
}
