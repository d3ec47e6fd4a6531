import { formatDuration } from '../../domain/duration.js';
import { describeGrant } from '../../domain/policy.js';
import type { RequestableBundleDto, RequestableDto, RequestDto } from '../../domain/request-api.js';

/** Plain text views of the API's shapes for a terminal; pure, so the tests can read them as a person would. */

/** "2026-05-01 14:30 UTC": unambiguous, and the same on every machine. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export const resourceNames = (r: RequestDto) => r.resources.map((x) => x.name).join(', ');

/** Slack ids as people see them typed in Slack; the API names people by id. */
/** A person as the request names them: Slack's display name when the bot sent one, else the Slack id. */
export const who = (r: Pick<RequestDto, 'names'>, id: string) => r.names?.[id] ?? id;

/** People named by the request, or "nobody yet". */
export const people = (r: Pick<RequestDto, 'names'>, ids: string[]) =>
  ids.length > 0 ? ids.map((id) => who(r, id)).join(', ') : 'nobody yet';

/** Who decided: a person's name, or the auto-approval rule (`rule:<name>`), or `fallback` when unknown. */
export const decider = (r: Pick<RequestDto, 'names' | 'decided_by'>, fallback: string) =>
  r.decided_by === null
    ? fallback
    : r.decided_by.startsWith('rule:')
      ? `the rule ${r.decided_by.slice(5)}`
      : who(r, r.decided_by);

/** The approvals the stage being decided has so far (all of them for a flow without stages). */
export const stageApprovals = (r: Pick<RequestDto, 'approvals' | 'stage'>) => {
  const earlier = new Set(r.stage?.passed.flatMap((p) => p.by) ?? []);
  return r.approvals.filter((a) => !earlier.has(a.approver));
};

/** "stage 2 of 2: owner approval; " for a staged request, "" otherwise. */
export const stageSaid = (r: Pick<RequestDto, 'stage'>) =>
  r.stage ? `stage ${r.stage.number} of ${r.stage.of}: ${r.stage.name}; ` : '';

/** One line per status, for `status` and the end of `--wait`. */
export function statusSentence(r: RequestDto): string {
  const what = `${r.id} (${resourceNames(r)}, ${formatDuration(r.duration_minutes)})`;
  switch (r.status) {
    case 'pending':
      return `${what} is waiting for approval from ${people(r, r.approvers)} (${stageSaid(r)}${stageApprovals(r).length} of ${r.approvals_required} approvals).`;
    case 'active': {
      const until = r.grant ? ` until ${formatTime(r.grant.expires_at)}` : '';
      const later =
        r.grant && Date.parse(r.grant.starts_at) > Date.now() ? ` from ${formatTime(r.grant.starts_at)}` : '';
      return `${what} is granted${later}${until} (approved by ${decider(r, 'a rule')}).`;
    }
    case 'approved':
      return `${what} was approved by ${decider(r, 'a rule')}${r.extends ? `: ${r.extends} was extended` : ''}.`;
    case 'denied':
      return `${what} was denied by ${decider(r, 'an approver')}${r.deny_reason ? `: ${r.deny_reason}` : ''}.`;
    case 'cancelled':
      return `${what} was cancelled.`;
    case 'timed_out':
      return `${what} timed out: nobody decided in time.`;
    case 'expired':
      return `${what} has expired${r.grant ? ` (it ended ${formatTime(r.grant.expires_at)})` : ''}.`;
    case 'revoked':
      return `${what} was revoked.`;
  }
}

/** `status`'s details under the sentence. */
export function requestDetails(r: RequestDto): string[] {
  const lines = [
    `  flow:          ${r.flow}`,
    `  kind:          ${r.kind}${r.extends ? ` of ${r.extends}` : ''}`,
    `  justification: ${r.justification || '-'}`,
    `  requested:     ${formatTime(r.created_at)} via ${r.channel}${r.agent ? ` (agent ${r.agent})` : ''}`,
    `  approvers:     ${people(r, r.approvers)} (${stageApprovals(r).length} of ${r.approvals_required}${
      stageApprovals(r).length > 0
        ? `: ${people(
            r,
            stageApprovals(r).map((a) => a.approver),
          )}`
        : ''
    })`,
    ...(r.stage
      ? [
          `  stage:         ${r.stage.number} of ${r.stage.of}: ${r.stage.name}${r.stage.passed
            .map((p) => `; ${p.name} passed by ${people(r, p.by)}`)
            .join('')}`,
        ]
      : []),
  ];
  if (r.starts_at) lines.push(`  starts:        ${formatTime(r.starts_at)}`);
  if (r.grant)
    lines.push(
      `  grant:         ${r.grant.status}, ${formatTime(r.grant.starts_at)} to ${formatTime(r.grant.expires_at)}`,
    );
  for (const a of r.access) lines.push(`  ${a.resource}: ${a.status}`);
  return lines;
}

/** `list`: one line per request, aligned. */
export function requestTable(requests: RequestDto[]): string[] {
  if (requests.length === 0) return ['No requests.'];
  const rows = requests.map((r) => [
    r.id,
    r.status,
    resourceNames(r),
    formatDuration(r.duration_minutes),
    r.grant && r.status === 'active' ? `until ${formatTime(r.grant.expires_at)}` : formatTime(r.created_at),
  ]);
  return table([['ID', 'STATUS', 'RESOURCES', 'FOR', 'WHEN'], ...rows]);
}

/** `resources`: what the person may request. */
export function requestableTable(items: RequestableDto[]): string[] {
  if (items.length === 0) return ['Nothing is requestable for you.'];
  const rows = items.map((x) => [
    x.name,
    x.type,
    `up to ${formatDuration(x.max_duration_minutes)}`,
    x.flow,
    [
      x.justification.required ? 'justification required' : '',
      x.ticket_projects.length > 0 ? `ticket of ${x.ticket_projects.join('/')}` : '',
      x.justification.hint ?? '',
      x.description ?? '',
    ]
      .filter(Boolean)
      .join('; '),
  ]);
  return table([['NAME', 'TYPE', 'DURATION', 'FLOW', 'NOTES'], ...rows]);
}

/** The bundles a person may pick: each with its parts (and the scope each asks for) and its duration. */
export function bundleLines(bundles: RequestableBundleDto[]): string[] {
  if (bundles.length === 0) return [];
  const lines = ['', 'Bundles (access-requests request --bundle NAME --why TEXT):'];
  for (const b of bundles) {
    const length = b.duration_minutes ? ` for ${formatDuration(b.duration_minutes)}` : '';
    lines.push(`  ${b.name}${length}${b.description ? `: ${b.description}` : ''}`);
    const parts = b.parts.filter((p) => !b.left_out.includes(p.resource));
    lines.push(`    ${parts.map((p) => (p.requested ? describeGrant(p.requested) : p.resource)).join(', ')}`);
    if (b.left_out.length) lines.push(`    left out (no flow lets you request them): ${b.left_out.join(', ')}`);
  }
  return lines;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}
