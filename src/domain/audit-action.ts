/**
 * Every kind of audit event the bot writes. appendAudit takes only these, and the audit story
 * (services/audit-story.ts) keeps one sentence per kind in a record keyed by this union: a new kind
 * that has no sentence does not compile, so no event reaches `/access audit` or the record page as JSON.
 */
export const AUDIT_ACTIONS = [
  // A request's life (grant-writer, review, lifecycle jobs, break-glass, offboarding).
  'request.created',
  // A bundle picked (services/bundle-submit.ts): its name and the requests it became, one per flow.
  'bundle.requested',
  'request.approval_added',
  'request.stage_passed',
  'request.approved',
  'request.auto_approved',
  'request.break_glass',
  'request.reviewed',
  'request.denied',
  'request.cancelled',
  'request.nudged',
  'request.reminded',
  'request.escalated',
  'request.timed_out',
  'request.no_approver',
  // A grant and its targets (provisioning, extension, expiry, revocation).
  'grant.provisioned',
  'grant.provision_attempt_failed',
  'grant.provision_failed',
  'grant.ready_attempt_failed',
  'grant.secret_reissued',
  'grant.extended',
  'grant.extended_in_target',
  'grant.extend_attempt_failed',
  'grant.deprovisioned',
  'grant.deprovision_attempt_failed',
  'grant.expired',
  'grant.revoked',
  'grant.ended',
  'reconcile.missing_access',
  'reconcile.leftover_access',
  // Sessions on a target (session capture and the sessions API).
  'session.recorded',
  'session.updated',
  'session.ended',
  // Company identity (identity-service).
  'identity.linked',
  'identity.link_refused',
  'identity.signed_in',
  'identity.unlinked',
  // The catalogue and the bot's own settings.
  'flow.created',
  'flow.updated',
  'flow.enabled',
  'flow.disabled',
  'flow.deleted',
  'resource.created',
  'resource.updated',
  'resource.deleted',
  'bundle.created',
  'bundle.updated',
  'bundle.deleted',
  // A group source's sync (services/group-sync.ts): its group left the source, the resource left the catalogue.
  'resource.retired',
  'config.applied',
  // Access reviews (services/access-review-service.ts): the decisions are the evidence an auditor asks for.
  'access_review.opened',
  'access_review.decided',
  'access_review.reminded',
  'access_review.completed',
  // A running bot applied a changed ACCESS_CONFIG (SIGHUP or the file changed): the whole change as one event.
  'catalog.reloaded',
  'api_key.created',
  'api_key.revoked',
  // A person's own tokens for the request API, the CLI and MCP (services/personal-token-service.ts).
  'token.created',
  'token.revoked',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];
