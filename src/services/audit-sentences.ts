import type { AuditAction } from '../domain/audit-action.js';
import { formatDuration } from '../domain/duration.js';
import { describeGrant, type Policy, type ResourceGrant } from '../domain/policy.js';
import { originPhrase } from '../domain/request-origin.js';

/**
 * Free-form JSON this codebase wrote, each action's fields read by name below (unknown fields are ignored;
 * a missing one reads as empty rather than "undefined").
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Details = Record<string, any>;

const text = (v: unknown, max = 200): string => (v === undefined || v === null ? '' : String(v).slice(0, max));
const quoted = (v: unknown, max = 500) => `“${text(v, max)}”`;
const minutes = (v: unknown) => formatDuration(Number(v ?? 0));
const policyText = (p: Policy | undefined) =>
  p
    ? `${p.resources.map((g: ResourceGrant) => describeGrant(g)).join('; ')} for ${formatDuration(p.durationMinutes)}`
    : '';

/** The step-up sign-in a decision relied on (domain/identity-link.ts stepUpClaims). */
function stepUpText(s: Details | undefined): string {
  if (!s) return '';
  const amr = Array.isArray(s.amr) && s.amr.length ? s.amr.join('+') : 'no methods listed';
  return `; after a step-up sign-in as ${text(s.subject)} at ${text(s.issuer)}, authenticated ${text(s.auth_time) || 'at an unknown time'} (${amr}${s.acr ? `, acr ${text(s.acr)}` : ''})`;
}

/** The Jira ticket as it was when the request was made (domain/ticket.ts TicketSnapshot). */
function ticketText(ticket: unknown): string {
  const t = ticket as { key?: string; checked?: boolean; title?: string; status?: string; reason?: string } | undefined;
  if (!t?.key) return '';
  return t.checked
    ? `; ticket ${t.key} “${String(t.title ?? '').slice(0, 200)}” was ${t.status} then`
    : `; ticket ${t.key} not checked (${t.reason})`;
}

/** The request's custom fields as given (domain/request-fields.ts): "; fields severity=sev1, incident=INC-42". */
function fieldsText(fields: unknown): string {
  if (!fields || typeof fields !== 'object') return '';
  const pairs = Object.entries(fields as Record<string, unknown>).map(([k, v]) => `${text(k, 32)}=${text(v, 100)}`);
  return pairs.length ? `; fields ${pairs.join(', ')}` : '';
}

/** " from the CLI", " by agent “Claude Code” through MCP"; nothing for Slack (request-origin.ts). */
const via = (d: Details) => {
  const phrase = originPhrase(d);
  return phrase ? ` ${phrase}` : '';
};

const attemptFailed = (what: string) => (d: Details) =>
  `${what} of ${text(d.resource)} failed (attempt ${text(d.attempt)}): ${text(d.error, 300)}`;

/** The top-level fields an admin change touched (both sides are in the exported record). */
function changedFields(d: Details): string {
  const before = (d.before ?? {}) as Details;
  const after = (d.after ?? {}) as Details;
  const keys = Object.keys(after).filter(
    (k) => k in before && JSON.stringify(before[k]) !== JSON.stringify(after[k]) && k !== 'updatedAt',
  );
  return keys.length ? `: ${keys.slice(0, 12).join(', ')} changed` : '';
}
/** Why a group source's group left the catalogue (services/group-sync.ts writes reason, group, source). */
/** A catalogue apply's change lines (`+ resource x; ~ flow y`), the first 20. */
const changeList = (d: Details) =>
  Array.isArray(d.changed) && d.changed.length
    ? `${d.changed
        .slice(0, 20)
        .map((c) => text(c, 100))
        .join('; ')}${d.changed.length > 20 ? `; and ${d.changed.length - 20} more` : ''}`
    : 'no change';
const groupLeft = (d: Details) =>
  `${d.reason === 'group_gone' ? 'its group no longer exists' : "its group no longer matches the source's filter"} (${text(d.group?.name ?? d.group, 120)} in group source ${text(d.source, 80)})`;
const nameOf = (d: Details) => quoted(d.after?.name ?? d.before?.name ?? d.name, 80);

const REVIEW_OUTCOMES: Record<string, string> = {
  removed_from_flow: 'taken out of the flow',
  file_change_needed: 'the ACCESS_CONFIG file must change (admins told)',
  group_finding: 'a user-group membership to remove (admins told)',
};
const reviewOutcomes = (o: unknown) =>
  Array.isArray(o) && o.length ? `: ${o.map((x) => REVIEW_OUTCOMES[String(x)] ?? text(x)).join('; ')}` : '';

const LINK_REFUSALS: Record<string, string> = {
  linked_to_another_user: 'that identity is linked to another Slack user',
  another_identity_linked: 'another company identity is linked already (only an admin changes it)',
  email_mismatch: "its verified e-mail is not the Slack profile's",
  no_verified_email: 'the identity provider gave no verified e-mail',
  no_slack_email: 'the Slack profile has no e-mail to compare with',
};

/**
 * One sentence per kind of audit event, for `/access audit`, the record page and the CLI. Keyed by the
 * AuditAction union: an action without a sentence does not compile.
 */
export const AUDIT_SENTENCES: { [A in AuditAction]: (d: Details, action: A) => string } = {
  'request.created': (d) =>
    `requested ${(d.resources ?? []).join(', ')}${d.beneficiary ? ` on behalf of ${text(d.beneficiary)} (asked by ${text(d.requested_by)})` : ''} for ${minutes(d.durationMinutes)} through flow ${text(d.flow)}${via(d)}: ${quoted(d.justification)}${fieldsText(d.fields)}${ticketText(d.ticket)}`,
  'bundle.requested': (d) =>
    `requested bundle ${quoted(d.bundle, 64)} as ${Array.isArray(d.requests) ? d.requests.join(', ') : ''}${Array.isArray(d.left_out) && d.left_out.length ? ` (left out, not requestable: ${d.left_out.join(', ')})` : ''}`,
  'request.approval_added': (d) =>
    `approved (${text(d.approvals)} of ${text(d.required)}${d.stage ? ` in stage ${quoted(d.stage, 64)}` : ''}) with tuning: ${policyText(d.policy)}${stepUpText(d.step_up)}`,
  'request.stage_passed': (d) =>
    `passed stage ${text(d.stageNumber)} of ${text(d.stages)} ${quoted(d.stage, 64)} (approved by ${Array.isArray(d.by) ? d.by.join(', ') : text(d.by)}, last tuning: ${policyText(d.tuning)}); stage ${quoted(d.next, 64)} asks ${Array.isArray(d.nextApprovers) ? d.nextApprovers.join(', ') || 'nobody' : 'nobody'}${stepUpText(d.step_up)}`,
  'request.approved': (d) =>
    d.extends
      ? `approved the extension of ${text(d.extends)}: ${minutes(d.addedMinutes)} more, until ${text(d.expiresAt)}${stepUpText(d.step_up)}`
      : `approved; granted ${policyText(d.policy)}, ${d.startsAt ? `from ${text(d.startsAt)} ` : ''}until ${text(d.expiresAt)}${Array.isArray(d.approvers) && d.approvers.length > 1 ? ` (approvers: ${d.approvers.join(', ')})` : ''}${stepUpText(d.step_up)}`,
  'request.auto_approved': (d) =>
    `approved at once by the auto-approval rule ${quoted(d.rule?.name, 100)}; granted ${policyText(d.policy)}, until ${text(d.expiresAt)}`,
  'request.break_glass': (d) =>
    `broke the glass: granted ${policyText(d.policy)} without approval, until ${text(d.expiresAt)}: ${quoted(d.justification)}${stepUpText(d.step_up)}`,
  'request.reviewed': () => 'reviewed the break-glass access',
  'request.denied': (d) => `denied${d.reason ? `: ${quoted(d.reason)}` : ''}${stepUpText(d.step_up)}`,
  'request.cancelled': (d) =>
    d.reason === 'user_deactivated'
      ? "cancelled the request: the requester's Slack account was deactivated"
      : d.reason === 'group_gone' || d.reason === 'group_unlisted'
        ? `cancelled the request: ${groupLeft(d)}`
        : `cancelled the request${via(d)}`,
  'request.nudged': () => 'nudged the approvers: the requester is still waiting for a decision',
  'request.reminded': () => 'reminded the approvers: still no decision',
  'request.escalated': (d) =>
    `escalated to ${Array.isArray(d.to) && d.to.length > 0 ? d.to.join(', ') : 'nobody (the escalation list was empty)'}`,
  'request.timed_out': (d) => `expired without a decision after ${minutes(d.pendingTtlMinutes)}`,
  'request.no_approver': (d) =>
    `nobody can decide the request now: its only approver ${text(d.approver)} left Slack; the requester was told`,
  'grant.provisioned': (d) => `access to ${text(d.resource)} set up by the ${text(d.provisioner)} provisioner`,
  'grant.provision_attempt_failed': attemptFailed('setup'),
  'grant.provision_failed': (d) => `setup of ${text(d.resource)} refused by the target: ${text(d.error, 300)}`,
  'grant.ready_attempt_failed': (d) =>
    `could not tell the requester that ${text(d.resource)} is ready (${text(d.error, 300)}); it is tried again`,
  'grant.secret_reissued': (d) =>
    `issued a new secret for ${text(d.resource)} through the ${text(d.provisioner)} provisioner: ${text(d.reason)}`,
  'grant.extended': (d) =>
    `extended the access by ${minutes(d.addedMinutes)} (extension ${text(d.extension)}): it now ends ${text(d.expiresAt)} instead of ${text(d.previousEnd)}`,
  'grant.extended_in_target': (d) =>
    `the ${text(d.provisioner)} provisioner moved the end of ${text(d.resource)} to ${text(d.expiresAt)}`,
  'grant.extend_attempt_failed': attemptFailed('moving the end'),
  'grant.deprovisioned': (d) => `access to ${text(d.resource)} removed by the ${text(d.provisioner)} provisioner`,
  'grant.deprovision_attempt_failed': attemptFailed('removal'),
  'grant.expired': () => 'access expired',
  'grant.revoked': (d) => `revoked the access${via(d)}`,
  'grant.ended': (d) =>
    d.reason === 'user_deactivated'
      ? "ended the access: the requester's Slack account was deactivated"
      : d.reason === 'group_gone' || d.reason === 'group_unlisted'
        ? `ended the access: ${groupLeft(d)}`
        : `ended the access${d.reason ? ` (${text(d.reason)})` : ''}`,
  'reconcile.missing_access': (d) => `reconcile found ${text(d.resource)} missing and set it up again`,
  'reconcile.leftover_access': (d) => `reconcile found ${text(d.resource)} still present after the end and removed it`,
  'session.recorded': (d) =>
    `session ${text(d.sessionId)} on ${text(d.resource)} by ${text(d.user)}${d.events !== undefined ? ` (${text(d.events)} commands/queries${d.recording ? ', recorded' : ''})` : ''}${d.finding ? ` — finding: ${text(d.finding)}` : ''}`,
  'session.updated': (d) =>
    `session ${text(d.sessionId)} on ${text(d.resource)} by ${text(d.user)} reported again: ${text(d.eventsAdded ?? 0)} more commands/queries, ${text(d.events ?? 0)} in all${d.finding ? ` — finding: ${text(d.finding)}` : ''}`,
  'session.ended': (d) =>
    `session ${text(d.sessionId)} on ${text(d.resource)} by ${text(d.user)} ended after ${text(d.events ?? 0)} commands/queries`,
  'identity.linked': (d) =>
    d.by_hand
      ? `linked ${text(d.slack_user)} by hand to the company identity ${text(d.subject)} at ${text(d.issuer)} (no sign-in, no e-mail yet)`
      : `linked the Slack user to the company identity ${text(d.subject)} at ${text(d.issuer)}${d.email ? `, e-mail ${text(d.email)}${d.email_verified ? '' : ' (not verified)'}` : ', without an e-mail'}`,
  'identity.link_refused': (d) =>
    `was refused a link to the company identity ${text(d.subject)} at ${text(d.issuer)}: ${LINK_REFUSALS[d.reason as string] ?? text(d.reason)}`,
  'identity.signed_in': (d) =>
    `signed in again at ${text(d.issuer)} as ${text(d.subject)} for a step-up, authenticated ${text(d.auth_time) || 'at an unknown time'} (${Array.isArray(d.amr) && d.amr.length ? d.amr.join('+') : 'no methods listed'}${d.acr ? `, acr ${text(d.acr)}` : ''})`,
  'identity.unlinked': (d) =>
    `unlinked ${text(d.slack_user)} from the company identity ${text(d.subject)} at ${text(d.issuer)}`,
  'flow.created': (d) => `created flow ${nameOf(d)}`,
  'flow.updated': (d) => `changed flow ${nameOf(d)}${changedFields(d)}`,
  'flow.enabled': (d) => `turned flow ${nameOf(d)} on`,
  'flow.disabled': (d) => `turned flow ${nameOf(d)} off`,
  'flow.deleted': (d) => `deleted flow ${nameOf(d)}`,
  'resource.created': (d) => `created resource ${nameOf(d)}`,
  'bundle.created': (d) => `created bundle ${nameOf(d)}`,
  'bundle.updated': (d) => `changed bundle ${nameOf(d)}${changedFields(d)}`,
  'bundle.deleted': (d) => `deleted bundle ${nameOf(d)}`,
  'resource.updated': (d) => `changed resource ${nameOf(d)}${changedFields(d)}`,
  'resource.deleted': (d) => `deleted resource ${nameOf(d)}`,
  'resource.retired': (d) => `retired resource ${nameOf(d)} from the catalogue: ${groupLeft(d)}`,
  'config.applied': (d) => `applied ACCESS_CONFIG: ${changeList(d)}`,
  'catalog.reloaded': (d) =>
    `reloaded ACCESS_CONFIG${d.path ? ` (${text(d.path)})` : ''} without a restart: ${changeList(d)}`,
  'access_review.opened': (d) =>
    `opened access review ${text(d.reviewId)} of flow ${quoted(d.flow, 80)} (period ${text(d.period)}, from ${text(d.periodStart)} to ${text(d.dueAt)}): ${text(d.people)} people to review by ${Array.isArray(d.reviewers) ? d.reviewers.join(', ') : ''}`,
  'access_review.decided': (d) =>
    `${d.decision === 'remove' ? 'removed' : 'kept'} ${text(d.user)} in access review ${text(d.reviewId)} of flow ${quoted(d.flow, 80)}${reviewOutcomes(d.outcomes)}${d.selfReview ? ' (a self-review: the only reviewer)' : ''}; evidence: ${text(d.evidence?.requests ?? 0)} requests, ${text(d.evidence?.approvalsGiven ?? 0)} approvals given, ${text(d.evidence?.sessions ?? 0)} sessions, last grant ${text(d.evidence?.lastGrantAt) || 'never'}`,
  'access_review.reminded': (d) =>
    `reminded the reviewers of access review ${text(d.reviewId)}: ${text(d.undecided)} people still undecided`,
  'access_review.completed': (d) =>
    `completed access review ${text(d.reviewId)} of flow ${quoted(d.flow, 80)}: ${text(d.kept)} kept, ${text(d.removed)} removed`,
  'api_key.created': (d) => `created API key ${text(d.keyId)} ${quoted(d.name, 80)}`,
  'api_key.revoked': (d) => `revoked API key ${text(d.keyId)}`,
  'token.created': (d) =>
    `made personal token ${text(d.tokenId)} ${quoted(d.name, 80)} for the request API, valid until ${text(d.expiresAt)}${d.via === 'device' ? ` (by a device sign-in${d.subject ? ` as ${text(d.subject)} at ${text(d.issuer)}` : ''})` : ''}`,
  'token.revoked': (d) =>
    d.reason === 'user_deactivated'
      ? `revoked personal token ${text(d.tokenId)} ${quoted(d.name, 80)} of ${text(d.owner)}: their Slack account was deactivated`
      : `revoked personal token ${text(d.tokenId)} ${quoted(d.name, 80)}${d.owner ? ` of ${text(d.owner)}` : ''}`,
};
