import { isAppError, type ErrorCode } from '../domain/errors.js';
import { code, mention, userText } from './mrkdwn.js';

/** One clear sentence per expected failure; never a stack trace in Slack. */
const TEXT: Record<ErrorCode, string> = {
  not_found: "I can't find that request. Check the id: it looks like `req_…`.",
  not_allowed: "You can't do that here.",
  guest_not_allowed: "Guests can't request or approve access. Ask a full member of the workspace to help.",
  not_approver: 'Only an approver of this request can do that.',
  self_approval: "You can't approve or deny your own request.",
  already_decided: 'This request was already decided.',
  already_approved: 'You already approved this request; it is waiting for other approvers.',
  not_admin: 'Only admins can change approval flows and resources.',
  managed_by_file: 'This is managed by the ACCESS_CONFIG file: change it there, not in Slack.',
  managed_by_sync:
    "This resource comes from an identity-provider group (a group source in ACCESS_CONFIG): the next sync would overwrite a change made here. Rename or describe the group in Okta or Entra ID, or change the source's tags in ACCESS_CONFIG.",
  name_taken: 'That name is already taken.',
  too_soon: 'You nudged the approvers a moment ago. You can nudge again in a while.',
  not_active: "That access isn't active any more.",
  invalid_input: "That input isn't valid.",
  nothing_requestable:
    "There's nothing you can request yet: no approval flow lists you as a requester. Ask an admin to add you to one.",
  database_unavailable: "I can't reach my database right now. Please try again in a minute.",
  not_linked: 'Link your company identity first: /access link',
  step_up_required:
    'This flow asks for a recent sign-in with the company identity provider first. Sign in, then try again.',
  mfa_required: 'This flow asks for a sign-in with more than one factor (MFA). Sign in again with MFA, then try again.',
  sign_in_failed: "The sign-in with the identity provider didn't go through. Start again from Slack.",
  identity_taken: 'That company identity is already linked to another Slack user.',
  identity_mismatch:
    'That company identity does not have the e-mail of your Slack profile, so it was not linked. Ask an admin to link you.',
  oidc_not_configured: 'Identity linking is not set up for this workspace (OIDC_ISSUER). Ask an admin.',
  not_reviewer: 'Only a reviewer of this access review can decide in it.',
  self_review: 'You cannot review your own access: another reviewer of this review decides about you.',
  review_item_decided: 'Someone was already decided in this review. Nothing changed.',
  review_closed: 'This access review is complete. Nothing changed.',
  stale_reference:
    "That button or form doesn't point at anything I know. Open it again from the latest message or your App Home.",
};

export const UNEXPECTED = 'Something went wrong on my side, and it has been logged. Please try again in a moment.';

export function errorText(error: unknown): string {
  if (!isAppError(error)) return UNEXPECTED;
  if (error.code === 'already_decided' && error.details?.reason === 'stage_passed')
    return 'That approval stage was already decided by another approver, and the request moved on to its next stage. Nothing changed.';
  if (error.code === 'already_decided' && error.details) {
    const { status, by } = error.details as { status?: string; by?: string | null };
    if (status && by)
      return `This request was already ${status === 'active' ? 'approved' : status} by ${mention(by)}. Nothing changed.`;
    if (status)
      return `This request ${status === 'timed_out' ? 'expired without a decision' : `is already ${status}`}. Nothing changed.`;
  }
  if (error.code === 'already_approved' && error.details) {
    const { approvals, required } = error.details as { approvals: number; required: number };
    return `You already approved this request (${approvals} of ${required} approvals); it is waiting for ${required - approvals} more.`;
  }
  if (error.code === 'invalid_input' && error.details?.reason === 'ssh_public_key') {
    return "That doesn't look like an OpenSSH public key. Paste one line such as `ssh-ed25519 AAAA… you@laptop` (your `~/.ssh/id_ed25519.pub`, never the private key).";
  }
  if (error.code === 'not_allowed' && error.details?.reason === 'deactivated')
    return 'Your Slack account is deactivated, so you cannot request, approve or hold access. Ask a workspace admin if this is a mistake.';
  if (error.code === 'not_allowed' && error.details?.reason === 'audit_trail')
    return 'Only admins and approvers of this request can see its audit trail.';
  if (error.code === 'not_allowed' && error.details?.reason === 'who_can')
    return `Only admins and the approvers of ${code(userText(String(error.details.name), 64))} can see who may request it and why.`;
  if (error.code === 'not_found' && error.details?.reason === 'resource')
    return `There is no resource named ${code(userText(String(error.details.name), 64))}.`;
  if (error.code === 'not_found' && error.details?.reason === 'person') return 'I can’t find that person in Slack.';
  if (error.code === 'too_soon' && error.details?.minutes)
    return `You nudged the approvers recently: you can nudge again in ${String(error.details.minutes)} minutes.`;
  if (error.code === 'not_allowed' && error.details?.reason === 'extension_pending')
    return `You already asked to extend this access (${code(String(error.details.requestId))}) and the approvers have not decided yet. Nothing new was sent; I will DM you when they decide.`;
  if (error.code === 'name_taken' && error.details?.reason === 'api_key_recent')
    return `You created the API key ${code(String(error.details.keyId))} with this name moments ago, and its secret is shown only once. Nothing new was created. If you lost the secret, revoke it with \`/access apikey revoke ${String(error.details.keyId)}\` and create another.`;
  if (error.code === 'name_taken' && error.details?.reason === 'token_replayed')
    return `That command already made the personal token ${code(String(error.details.tokenId))}, and its secret is shown only once. Nothing new was made. If you lost it, revoke it with \`/access token revoke ${String(error.details.tokenId)}\` and make another.`;
  if (error.code === 'invalid_input' && error.details?.reason === 'token_ttl')
    return 'A personal token lives between 5 minutes and 90 days: say `--expires 7d`, `--expires 12h` or `--expires 90d`.';
  if (error.code === 'not_found' && error.details?.reason === 'token')
    return 'I can’t find that token among yours. `/access token list` shows your live tokens.';
  if (error.code === 'not_allowed' && error.details?.own === false)
    return 'Only the person who asked for this access can do that.';
  if (error.code === 'not_admin' && error.details?.reason === 'identity')
    return 'Only admins link or unlink a person’s company identity.';
  if (error.code === 'not_active' && error.details?.status)
    return `That access is ${String(error.details.status)}, not active: nothing to revoke.`;
  return TEXT[error.code];
}
