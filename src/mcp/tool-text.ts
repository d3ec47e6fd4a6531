import { formatDuration } from '../domain/duration.js';
import { describeGrant } from '../domain/policy.js';
import type {
  AccessDto,
  ApiErrorBody,
  RequestableBundleDto,
  RequestableDto,
  RequestDto,
  WaitDto,
} from '../domain/request-api.js';

/**
 * What the MCP tools say, as plain text an agent can read and repeat to its person. Many MCP clients hand
 * only a tool's text to the model, so the text carries everything that matters (status, who decides, what
 * to do next); structuredContent holds the same facts for programs. Pure: DTOs in, text out.
 */

/** Said wherever a request waits, so an agent never promises what it cannot do. */
export const PERSON_APPROVES =
  'A person approves or denies it in Slack; an agent cannot approve, and neither can the requester.';

/** People by name and Slack id ("Alex Approver (U0ALEX)"), so an agent can both say and mention them. */
const people = (r: Pick<RequestDto, 'names'>, ids: string[]) =>
  ids.length > 0
    ? ids.map((id) => (r.names?.[id] ? `${r.names[id]} (${id})` : id)).join(', ')
    : 'nobody yet (the admins will be told)';

export function requestableText(list: RequestableDto[], bundles: RequestableBundleDto[] = []): string {
  if (list.length === 0) return 'There is nothing you may request right now.';
  const picks = bundles.map((b) => {
    const parts = b.parts
      .filter((p) => !b.left_out.includes(p.resource))
      .map((p) => (p.requested ? describeGrant(p.requested) : p.resource));
    const length = b.duration_minutes ? ` for ${formatDuration(b.duration_minutes)}` : '';
    const left = b.left_out.length ? ` (left out, not requestable by the person: ${b.left_out.join(', ')})` : '';
    return `- ${b.name}${length}${b.description ? ` — ${b.description}` : ''}: ${parts.join('; ')}${left}.`;
  });
  const bundleText = picks.length
    ? `\n\nBundles (request_access with bundle: one request per flow, each limited to the scope shown):\n${picks.join('\n')}`
    : '';
  return `${resourcesText(list)}${bundleText}`;
}

function resourcesText(list: RequestableDto[]): string {
  const lines = list.map((r) => {
    const rules: string[] = [`up to ${formatDuration(r.max_duration_minutes)}`];
    const j = r.justification;
    if (j.required)
      rules.push(j.min_length > 1 ? `justification of at least ${j.min_length} characters` : 'justification');
    if (j.pattern) rules.push(`justification matching /${j.pattern}/`);
    if (r.ticket_projects.length > 0) rules.push(`a Jira ticket of ${r.ticket_projects.join(' or ')}`);
    if (j.hint) rules.push(`hint: ${j.hint}`);
    const about = r.description ? ` — ${r.description}` : '';
    return `- ${r.name} (${r.type}, flow ${r.flow})${about}. Needs: ${rules.join('; ')}.`;
  });
  return `You may request ${list.length} resource${list.length === 1 ? '' : 's'}:\n${lines.join('\n')}`;
}

function accessLine(a: AccessDto): string {
  const parts = [`${a.resource}: ${a.status}`];
  if (a.instructions) parts.push(a.instructions);
  if (a.credential) parts.push(`the ${a.credential.label} was sent to the person's Slack DM (never through here)`);
  if (a.ssh_certificate) parts.push('an SSH certificate is in structuredContent (access[].ssh_certificate)');
  return `- ${parts.join(' — ')}`;
}

const STATUS_TEXT: Record<RequestDto['status'], string> = {
  pending: 'pending: waiting for a person to decide in Slack',
  active: 'active: approved, the access is granted',
  approved: 'approved (the extension was added to its grant)',
  denied: 'denied',
  expired: 'expired: the access has ended',
  revoked: 'revoked: the access was ended early',
  cancelled: 'cancelled by the requester',
  timed_out: 'timed out: nobody decided in time',
};

/** One request as the person would want it told: status, who decides, approvals, grant and how to use it. */
export function requestText(r: RequestDto): string {
  const names = r.resources.map((x) => x.name).join(', ');
  const lines = [
    `Request ${r.id} for ${names} (${formatDuration(r.duration_minutes)}, flow ${r.flow}): ${STATUS_TEXT[r.status]}.`,
  ];
  if (r.stage)
    lines.push(
      `Approval stage ${r.stage.number} of ${r.stage.of}: ${r.stage.name}${r.stage.passed
        .map((p) => `; ${p.name} passed (approved by ${people(r, p.by)})`)
        .join('')}.`,
    );
  if (r.status === 'pending') {
    lines.push(`Asked to decide: ${people(r, r.approvers)}. ${PERSON_APPROVES}`);
    if (r.starts_at) lines.push(`If approved, it starts at ${r.starts_at}.`);
  }
  if (r.approvals_required > 1 || r.approvals.length > 0)
    lines.push(
      `Approvals: ${r.approvals.length} of ${r.approvals_required} (${people(
        r,
        r.approvals.map((a) => a.approver),
      )}).`,
    );
  if (r.decided_by && r.status !== 'pending')
    lines.push(
      `Decided by ${r.decided_by.startsWith('rule:') ? r.decided_by : people(r, [r.decided_by])} at ${r.decided_at ?? 'unknown time'}.`,
    );
  if (r.deny_reason) lines.push(`Reason given: ${r.deny_reason}`);
  if (r.grant)
    lines.push(`Grant ${r.grant.id}: ${r.grant.status}, from ${r.grant.starts_at} until ${r.grant.expires_at}.`);
  if (r.grant?.status === 'active' && r.access.length > 0) lines.push('How to use it:', ...r.access.map(accessLine));
  if (r.grant?.status === 'active') lines.push('When the work is done, release_access ends it early.');
  return lines.join('\n');
}

export function createdText(list: RequestDto[]): string {
  const pick = list[0]?.bundle;
  const head = pick
    ? `Sent bundle ${pick.name} as ${list.length} request${list.length === 1 ? '' : 's'} (${list.map((r) => r.id).join(', ')}), one per flow; each is decided on its own.`
    : list.length === 1
      ? `Sent 1 request (${list[0]!.id}).`
      : `Sent ${list.length} requests (${list.map((r) => r.id).join(', ')}): the resources go through different flows.`;
  const pending = list.some((r) => r.status === 'pending');
  const next = pending
    ? `Nothing is granted yet. ${PERSON_APPROVES} Use wait_for_decision to wait for it, or get_request_status later.`
    : 'It was decided at once (an automatic rule); see its status below.';
  return [head, next, ...list.map(requestText)].join('\n\n');
}

export function listText(list: RequestDto[]): string {
  if (list.length === 0) return 'No requests found.';
  return list
    .map((r) => `- ${r.id}: ${r.resources.map((x) => x.name).join(', ')} — ${r.status} (made ${r.created_at})`)
    .join('\n');
}

export function waitText(w: WaitDto, waitedSeconds: number): string {
  const r = w.request;
  if (!w.changed && r.status === 'pending')
    return (
      `Still pending after ${waitedSeconds}s: nobody has decided yet. Call wait_for_decision again to keep ` +
      `waiting, or tell the person it waits for ${people(r, r.approvers)} in Slack.\n\n${requestText(r)}`
    );
  return requestText(r);
}

/** A refusal: the API's sentence, each field's sentence, and the code a program can branch on. */
export function refusalText(body: ApiErrorBody): string {
  const fields = Object.entries(body.fields ?? {}).map(([field, text]) => `- ${field}: ${text}`);
  return [body.message, ...fields, `(error: ${body.error})`].join('\n');
}
