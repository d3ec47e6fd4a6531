import { eq, sql } from 'drizzle-orm';
import type { Policy } from '../domain/policy.js';
import type {
  ApprovalRow,
  GrantRow,
  MessageRef,
  RequestDetails,
  RequestBundle,
  RequestedResource,
  RequestRow,
  TargetProgress,
} from '../domain/request.js';

/** A request as delivering its messages needs it: the messages already sent, and who reads their App Home. */
export interface DeliveryContext extends RequestDetails {
  messages: MessageRef[];
  homeReaders: string[];
}
import type { Executor } from './client.js';
import { preparedOn } from './prepared.js';
import { requestColumns } from './request-columns.js';
import { accessRequests } from './schema/index.js';

/**
 * A request with everything shown about it (resources, approvals, grant, its targets' progress, the
 * requester's linked identity) in one statement: each part is a correlated subquery that PostgreSQL
 * answers as JSON from its index, so a request, or a page of them, is one round trip instead of six.
 * JSON carries timestamps as ISO strings: they are turned back into Dates here, as drizzle does for columns.
 */
const date = (v: string) => new Date(v);
const dateOrNull = (v: string | null) => (v === null ? null : new Date(v));

type Json<T, D extends keyof T> = Omit<T, D> & { [K in D]: T[K] extends Date ? string : string | null };

// Written out with aliases: drizzle leaves columns unqualified in a one-table select, and here the
// subqueries' columns must not be confused with the outer access_requests row's.
const resourcesJson = sql<RequestedResource[]>`(select coalesce(json_agg(json_build_object(
    'resourceId', rr.resource_id, 'name', rr.name, 'type', rr.type, 'requested', rr.requested) order by rr.position), '[]'::json)
  from request_resources rr where rr.request_id = "access_requests"."id")`;

const approvalsJson = sql<Json<ApprovalRow, 'createdAt'>[]>`(select coalesce(json_agg(json_build_object(
    'approverId', a.approver_id, 'policy', a.policy, 'createdAt', a.created_at, 'stageIndex', a.stage_index) order by a.created_at), '[]'::json)
  from approvals a where a.request_id = "access_requests"."id")`;

const grantJson = sql<Json<
  GrantRow,
  'startsAt' | 'expiresAt' | 'endedAt' | 'warnedAt'
> | null>`(select json_build_object(
    'id', g.id, 'requestId', g.request_id, 'policy', g.policy, 'approvedBy', g.approved_by, 'status', g.status,
    'startsAt', g.starts_at, 'expiresAt', g.expires_at, 'endedAt', g.ended_at, 'warnedAt', g.warned_at)
  from grants g where g.request_id = "access_requests"."id")`;

const targetsJson = sql<TargetProgress[]>`(select coalesce(json_agg(json_build_object(
    'resource', t.resource_name, 'status', t.status) order by t.resource_name), '[]'::json)
  from grant_targets t join grants g on g.id = t.grant_id where g.request_id = "access_requests"."id")`;

const identityJson = sql<RequestDetails['requesterIdentity']>`(select json_build_object(
    'issuer', l.issuer, 'email', l.email, 'emailVerified', l.email_verified)
  from identity_links l where l.slack_user_id = "access_requests"."requester_id")`;

/** Every message sent about the request, in the order they were sent (what a refresh updates). */
const messagesJson = sql<MessageRef[]>`(select coalesce(json_agg(json_build_object(
    'requestId', m.request_id, 'role', m.role, 'userId', m.user_id, 'channel', m.channel, 'ts', m.ts,
    'renderHash', m.render_hash) order by m.id), '[]'::json)
  from slack_messages m where m.request_id = "access_requests"."id")`;

/**
 * Those of the requester, the notified approvers and the approvers of stages that passed who have opened
 * their App Home (home-queries.ts homeReaders).
 */
const homeReadersJson = sql<string[]>`(select coalesce(json_agg(h.user_id order by h.user_id), '[]'::json)
  from home_state h where h.opened_at is not null and (h.user_id = "access_requests"."requester_id"
    or h.user_id in (select jsonb_array_elements_text("access_requests"."notified_approvers"))
    or h.user_id in (select m.user_id from slack_messages m
      where m.request_id = "access_requests"."id" and m.role = 'earlier_stage')))`;

// The bundle pick the request is a part of, with how many resources all its requests asked for.
const bundleJson = sql<RequestBundle | null>`(select json_build_object('id', b.id, 'name', b.bundle_name,
    'parts', (select count(*) from request_resources br join access_requests ba on ba.id = br.request_id
      where ba.bundle_request_id = b.id))
  from bundle_requests b where b.id = "access_requests"."bundle_request_id")`;

/** Select these from access_requests and hand each row to toDetails. */
export const detailColumns = {
  ...requestColumns,
  resources: resourcesJson,
  approvals: approvalsJson,
  grant: grantJson,
  targets: targetsJson,
  requesterIdentity: identityJson,
  bundle: bundleJson,
};

/**
 * What delivering a request's messages needs (services/delivery.ts), in one statement: its details, the
 * messages sent about it (messageRefs' rows) and who of the people involved reads their App Home.
 */
const deliveryById = (db: Executor) =>
  db
    .select({ ...detailColumns, messages: messagesJson, homeReaders: homeReadersJson })
    .from(accessRequests)
    .where(eq(accessRequests.id, sql.placeholder('id')))
    .prepare('delivery_context');

export async function deliveryContext(db: Executor, id: string): Promise<DeliveryContext | undefined> {
  const [row] = await preparedOn(db, 'delivery_context', deliveryById).execute({ id });
  if (!row) return undefined;
  const { messages, homeReaders, ...details } = row;
  return { ...toDetails(details), messages, homeReaders };
}

type DetailJson = RequestRow & {
  resources: RequestedResource[];
  approvals: Json<ApprovalRow, 'createdAt'>[];
  grant: Json<GrantRow, 'startsAt' | 'expiresAt' | 'endedAt' | 'warnedAt'> | null;
  targets: TargetProgress[];
  requesterIdentity: RequestDetails['requesterIdentity'];
  bundle: RequestBundle | null;
};

export function toDetails(row: DetailJson): RequestDetails {
  const { resources, approvals: approvalList, grant, targets, requesterIdentity, ...request } = row;
  return {
    ...request,
    resources,
    approvals: approvalList.map((a) => ({
      approverId: a.approverId,
      policy: a.policy as Policy,
      createdAt: date(a.createdAt),
      stageIndex: a.stageIndex ?? 0,
    })),
    grant: grant && {
      ...grant,
      startsAt: date(grant.startsAt),
      expiresAt: date(grant.expiresAt),
      endedAt: dateOrNull(grant.endedAt),
      warnedAt: dateOrNull(grant.warnedAt),
    },
    targets,
    requesterIdentity: requesterIdentity ?? null,
  };
}
