import type { StoredEvent } from '../domain/audit-chain.js';
import { chainHash } from '../domain/audit-chain.js';
import { formatDuration } from '../domain/duration.js';
import { describeGrant, type Policy, type ResourceGrant } from '../domain/policy.js';

export interface StoryLine {
  id: number;
  at: Date;
  actor: string;
  action: string;
  /** Plain text (callers escape it for Slack or HTML). */
  summary: string;
  /** This event's hash matches its content and its predecessor's hash. */
  intact: boolean;
}

const policyText = (p: Policy | undefined) =>
  p
    ? `${p.resources.map((g: ResourceGrant) => describeGrant(g)).join('; ')} for ${formatDuration(p.durationMinutes)}`
    : '';

/** One line per audit event, in words, for the audit modal and page. */
export function storyOf(events: readonly StoredEvent[]): StoryLine[] {
  return events.map((e) => {
    // Free-form JSON this codebase wrote, each action's fields read by name below.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const d = e.details as Record<string, any>;
    let summary: string;
    switch (e.action) {
      case 'request.created':
        summary = `requested ${(d.resources ?? []).join(', ')} for ${formatDuration(Number(d.durationMinutes ?? 0))} through flow ${d.flow}: “${String(d.justification ?? '').slice(0, 500)}”${ticketText(d.ticket)}`;
        break;
      case 'request.approval_added':
        summary = `approved (${d.approvals} of ${d.required}) with tuning: ${policyText(d.policy)}`;
        break;
      case 'request.approved':
        summary = `approved; granted ${policyText(d.policy)}, ${d.startsAt ? `from ${d.startsAt} ` : ''}until ${d.expiresAt}${Array.isArray(d.approvers) && d.approvers.length > 1 ? ` (approvers: ${d.approvers.join(', ')})` : ''}`;
        break;
      case 'request.denied':
        summary = `denied${d.reason ? `: “${String(d.reason).slice(0, 500)}”` : ''}`;
        break;
      case 'grant.provisioned':
        summary = `access to ${d.resource} set up by the ${d.provisioner} provisioner`;
        break;
      case 'grant.provision_attempt_failed':
      case 'grant.deprovision_attempt_failed':
        summary = `${e.action.startsWith('grant.de') ? 'removal' : 'setup'} of ${d.resource} failed (attempt ${d.attempt}): ${d.error}`;
        break;
      case 'grant.provision_failed':
        summary = `setup of ${d.resource} refused by the target: ${d.error}`;
        break;
      case 'grant.deprovisioned':
        summary = `access to ${d.resource} removed by the ${d.provisioner} provisioner`;
        break;
      case 'grant.expired':
        summary = 'access expired';
        break;
      case 'grant.revoked':
        summary = 'revoked the access';
        break;
      case 'grant.ended':
        summary =
          d.reason === 'user_deactivated'
            ? "ended the access: the requester's Slack account was deactivated"
            : `ended the access${d.reason ? ` (${d.reason})` : ''}`;
        break;
      case 'request.cancelled':
        summary =
          d.reason === 'user_deactivated'
            ? "cancelled the request: the requester's Slack account was deactivated"
            : 'cancelled the request';
        break;
      case 'request.no_approver':
        summary = `nobody can decide the request now: its only approver ${d.approver ?? ''} left Slack; the requester was told`;
        break;
      case 'session.recorded':
        summary = `session ${d.sessionId ?? ''} on ${d.resource ?? ''} by ${d.user ?? ''}${d.events !== undefined ? ` (${d.events} commands/queries${d.recording ? ', recorded' : ''})` : ''}${d.finding ? ` — finding: ${d.finding}` : ''}`;
        break;
      case 'reconcile.missing_access':
        summary = `reconcile found ${d.resource} missing and set it up again`;
        break;
      case 'request.auto_approved':
        summary = `approved at once by the auto-approval rule “${d.rule?.name ?? ''}”; granted ${policyText(d.policy)}, until ${d.expiresAt}`;
        break;
      case 'request.break_glass':
        summary = `broke the glass: granted ${policyText(d.policy)} without approval, until ${d.expiresAt}: “${String(d.justification ?? '').slice(0, 500)}”`;
        break;
      case 'request.reviewed':
        summary = 'reviewed the break-glass access';
        break;
      case 'request.reminded':
        summary = 'reminded the approvers: still no decision';
        break;
      case 'request.escalated':
        summary = `escalated to ${Array.isArray(d.to) && d.to.length > 0 ? d.to.join(', ') : 'nobody (the escalation list was empty)'}`;
        break;
      case 'request.timed_out':
        summary = `expired without a decision after ${formatDuration(Number(d.pendingTtlMinutes ?? 0))}`;
        break;
      case 'reconcile.leftover_access':
        summary = `reconcile found ${d.resource} still present after the end and removed it`;
        break;
      default:
        summary = JSON.stringify(d).slice(0, 300);
    }
    return {
      id: e.id,
      at: e.createdAt,
      actor: e.actor,
      action: e.action,
      summary,
      intact: chainHash(e.prevHash, e) === e.hash,
    };
  });
}

/** The Jira ticket as it was when the request was made (domain/ticket.ts TicketSnapshot). */
function ticketText(ticket: unknown): string {
  const t = ticket as { key?: string; checked?: boolean; title?: string; status?: string; reason?: string } | undefined;
  if (!t?.key) return '';
  return t.checked
    ? `; ticket ${t.key} “${String(t.title ?? '').slice(0, 200)}” was ${t.status} then`
    : `; ticket ${t.key} not checked (${t.reason})`;
}
