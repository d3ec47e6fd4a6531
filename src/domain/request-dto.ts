import { fieldsToFile } from './request-fields-file.js';
import { fieldValuesOf } from './request-fields.js';
import { stageProgress } from './stages.js';
import { justificationHint, offeredDurations, type RequestableResource } from './flow.js';
import type { BundleOffer } from './bundle.js';
import type { AccessDto, RequestableBundleDto, RequestableDto, RequestDto } from './request-api.js';
import type { RequestDetails, TargetStatus } from './request.js';

/**
 * The request API's JSON from the shapes the services hold: pure, so the HTTP routes, the MCP tools and
 * the OpenAPI document's tests all see the same thing.
 */

/** One provisioned resource of a grant and the non-secret part of its "access ready" note. */
export interface TargetNote {
  resource: string;
  status: TargetStatus;
  readyNote: { instructions: string | null; secretLabel: string | null; certificate?: string | null } | null;
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/**
 * What the person can do with each resource of a granted request. A resource no provisioner sets up has
 * no target: it is usable while the grant is. Instructions and certificates are given only while the
 * target is active; a secret never travels here (it went to the person's Slack DM).
 */
export function accessOf(r: RequestDetails, notes: readonly TargetNote[]): AccessDto[] {
  const grant = r.grant;
  if (!grant) return [];
  return r.resources.map(({ name }) => {
    const target = notes.find((n) => n.resource === name);
    const status: TargetStatus = target?.status ?? (grant.status === 'active' ? 'active' : 'removed');
    const note = status === 'active' ? (target?.readyNote ?? null) : null;
    return {
      resource: name,
      status,
      instructions: note?.instructions ?? null,
      credential: note?.secretLabel ? { label: note.secretLabel, delivered_in: 'slack_dm' } : null,
      ssh_certificate: note?.certificate ?? null,
    };
  });
}

function stageDto(r: RequestDetails): RequestDto['stage'] {
  const p = stageProgress(r);
  return p && { number: p.index + 1, of: p.count, name: p.name, passed: p.passed };
}

/** The Slack ids a request names (requester, approvers, who approved, who decided): whose names it carries. */
export function peopleOf(r: RequestDetails): string[] {
  return [
    ...new Set([
      r.requesterId,
      ...(r.requestedBy ? [r.requestedBy] : []),
      ...r.notifiedApprovers,
      ...r.approvals.map((a) => a.approverId),
      ...(r.decidedBy ? [r.decidedBy] : []),
    ]),
  ];
}

export function requestDto(
  r: RequestDetails,
  notes: readonly TargetNote[],
  names: ReadonlyMap<string, string> = new Map(),
): RequestDto {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    flow: r.flowName,
    resources: r.resources.map((x) => ({ name: x.name, type: x.type })),
    duration_minutes: r.durationMinutes,
    justification: r.justification,
    ...(r.fields?.length ? { fields: fieldValuesOf(r.fields) } : {}),
    requester: r.requesterId,
    requested_by: r.requestedBy ?? null,
    created_at: r.createdAt.toISOString(),
    decided_at: iso(r.decidedAt),
    decided_by: r.decidedBy ?? (r.autoApprovedBy ? `rule:${r.autoApprovedBy}` : null),
    deny_reason: r.denyReason,
    starts_at: iso(r.startsAt),
    extends: r.extendsRequestId,
    approvers: r.notifiedApprovers,
    approvals: r.approvals.map((a) => ({ approver: a.approverId, at: a.createdAt.toISOString() })),
    approvals_required: r.approvalsRequired,
    stage: stageDto(r),
    grant: r.grant && {
      id: r.grant.id,
      status: r.grant.status,
      starts_at: r.grant.startsAt.toISOString(),
      expires_at: r.grant.expiresAt.toISOString(),
    },
    access: accessOf(r, notes),
    ...(r.bundle ? { bundle: { id: r.bundle.id, name: r.bundle.name } } : {}),
    channel: r.channel,
    agent: r.agent,
    names: Object.fromEntries(peopleOf(r).flatMap((id) => (names.has(id) ? [[id, names.get(id)!]] : []))),
  };
}

/** A resource as the person may request it, with the rules of the flow a request of it alone goes through. */
export function requestableDto(r: RequestableResource): RequestableDto {
  // Flows come sorted by name, and a lone resource goes through the first (domain/flow.ts planRequests).
  const flow = r.flows[0]!;
  const rule = flow.justification;
  return {
    name: r.resource.name,
    type: r.resource.type,
    description: r.resource.description || null,
    tags: r.resource.tags,
    flow: flow.name,
    max_duration_minutes: flow.maxDurationMinutes,
    durations_minutes: offeredDurations(flow),
    justification: {
      required: rule.required || rule.minLength > 0 || rule.pattern !== null || Boolean(rule.jira?.projects.length),
      min_length: rule.minLength,
      pattern: rule.pattern,
      hint: justificationHint(flow),
    },
    ticket_projects: rule.jira?.projects ?? [],
    ...(flow.fields?.length ? { fields: fieldsToFile(flow.fields) } : {}),
  };
}

/** A bundle offered to a person; `durationMinutes`: its duration among what its parts' flows offer. */
export function requestableBundleDto(offer: BundleOffer, durationMinutes: number | null): RequestableBundleDto {
  return {
    name: offer.bundle.name,
    description: offer.bundle.description || null,
    parts: offer.bundle.parts.map((p) => ({ resource: p.resource, requested: p.tuning ?? null })),
    duration_minutes: durationMinutes,
    left_out: offer.leftOut,
  };
}

/**
 * Whether a long poll that waits for `from` to change can answer now: the status moved on and, for a
 * grant that has started, no target is still being set up (so the answer carries the access). Failed
 * targets count as settled: the answer says so.
 */
export function waitIsOver(r: RequestDetails, from: string, now: Date): boolean {
  if (r.status === from) return false;
  if (r.status !== 'active' || !r.grant || r.grant.startsAt.getTime() > now.getTime()) return true;
  return !(r.targets ?? []).some((t) => t.status === 'pending');
}
