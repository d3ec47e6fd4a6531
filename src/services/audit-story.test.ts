import { describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS, type AuditAction } from '../domain/audit-action.js';
import type { StoredEvent } from '../domain/audit-chain.js';
import { storyOf } from './audit-story.js';

const policy = {
  resources: [{ resource: 'prod-db', kind: 'database', access: 'read' }],
  durationMinutes: 60,
};
const stepUp = {
  issuer: 'https://idp.corp.example',
  subject: 'okta|alex',
  auth_time: '2026-12-03T12:00:00.000Z',
  amr: ['pwd', 'mfa'],
  acr: null,
};
const session = { sessionId: 'ses_1', resource: 'prod-db', user: 'U0REQ', events: 3, eventsAdded: 2 };

/** Details as the bot writes them for each kind (keyed by the union: a new kind needs a sample here too). */
const SAMPLES: { [A in AuditAction]: Record<string, unknown> } = {
  'request.created': { resources: ['prod-db'], durationMinutes: 60, flow: 'prod', justification: 'INC-1' },
  'bundle.requested': { bundle: 'incident-responder', requests: ['req_1', 'req_2'], left_out: ['grafana'] },
  'request.approval_added': { policy, approvals: 1, required: 2, step_up: stepUp },
  'request.stage_passed': {
    stage: 'peer review',
    stageNumber: 1,
    stages: 2,
    by: ['U0PEER'],
    next: 'owner approval',
    nextApprovers: ['U0OWNER'],
    tuning: policy,
    step_up: stepUp,
  },
  'request.approved': { extends: 'req_1', addedMinutes: 60, expiresAt: '2026-12-03T14:00:00Z', step_up: stepUp },
  'request.auto_approved': { rule: { name: 'on-call' }, policy, expiresAt: '2026-12-03T14:00:00Z' },
  'request.break_glass': { policy, expiresAt: '2026-12-03T14:00:00Z', justification: 'down', step_up: stepUp },
  'request.reviewed': {},
  'request.denied': { reason: 'no ticket', step_up: stepUp },
  'request.cancelled': { reason: 'user_deactivated' },
  'request.nudged': {},
  'request.reminded': {},
  'request.escalated': { to: ['U0DBA1'] },
  'request.timed_out': { pendingTtlMinutes: 1440 },
  'request.no_approver': { approver: 'U0APPR', reason: 'user_deactivated' },
  'grant.provisioned': { grantId: 'g1', resource: 'prod-db', provisioner: 'postgres', state: { role: 'r' } },
  'grant.provision_attempt_failed': { resource: 'prod-db', provisioner: 'postgres', attempt: 2, error: 'timeout' },
  'grant.provision_failed': { resource: 'prod-db', provisioner: 'postgres', error: 'permission denied' },
  'grant.ready_attempt_failed': { grantId: 'g1', resource: 'prod-db', error: 'ratelimited' },
  'grant.secret_reissued': { resource: 'prod-db', provisioner: 'postgres', reason: 'the first never reached' },
  'grant.extended': {
    grantId: 'g1',
    extension: 'req_2',
    previousEnd: '2026-12-03T13:00:00Z',
    expiresAt: '2026-12-03T14:00:00Z',
    addedMinutes: 60,
  },
  'grant.extended_in_target': { resource: 'prod-db', provisioner: 'postgres', expiresAt: '2026-12-03T14:00:00Z' },
  'grant.extend_attempt_failed': { resource: 'prod-db', provisioner: 'postgres', attempt: 1, error: 'timeout' },
  'grant.deprovisioned': { resource: 'prod-db', provisioner: 'postgres' },
  'grant.deprovision_attempt_failed': { resource: 'prod-db', provisioner: 'postgres', attempt: 1, error: 'x' },
  'grant.expired': { expiresAt: '2026-12-03T14:00:00Z' },
  'grant.revoked': {},
  'grant.ended': { reason: 'user_deactivated' },
  'reconcile.missing_access': { resource: 'prod-db', provisioner: 'postgres' },
  'reconcile.leftover_access': { resource: 'prod-db', provisioner: 'postgres' },
  'session.recorded': session,
  'session.updated': session,
  'session.ended': session,
  'identity.linked': { issuer: stepUp.issuer, subject: 'okta|rita', email: 'rita@corp.example', email_verified: true },
  // (an admin's link by hand reads differently: tested below)
  'identity.link_refused': { issuer: stepUp.issuer, subject: 'okta|mallory', reason: 'email_mismatch' },
  'identity.signed_in': stepUp,
  'identity.unlinked': { slack_user: 'U0REQ', issuer: stepUp.issuer, subject: 'okta|rita' },
  'flow.created': { flowId: 'f1', before: null, after: { name: 'prod' } },
  'flow.updated': { flowId: 'f1', before: { name: 'prod', maxMinutes: 60 }, after: { name: 'prod', maxMinutes: 120 } },
  'flow.enabled': { flowId: 'f1', name: 'prod', before: { enabled: false }, after: { enabled: true } },
  'flow.disabled': { flowId: 'f1', name: 'prod', before: { enabled: true }, after: { enabled: false } },
  'flow.deleted': { flowId: 'f1', before: { name: 'prod' }, after: null },
  'resource.created': { resourceId: 'r1', before: null, after: { name: 'prod-db' } },
  'resource.updated': {
    resourceId: 'r1',
    before: { name: 'prod-db', tags: [] },
    after: { name: 'prod-db', tags: ['x'] },
  },
  'resource.deleted': { resourceId: 'r1', before: { name: 'prod-db' }, after: null },
  'bundle.created': { bundleId: 'b1', before: null, after: { name: 'incident-responder' } },
  'bundle.updated': { bundleId: 'b1', before: { name: 'incident-responder' }, after: { name: 'incident-responder' } },
  'bundle.deleted': { bundleId: 'b1', before: { name: 'incident-responder' }, after: null },
  'resource.retired': {
    resourceId: 'r2',
    before: { name: 'okta-jit-db' },
    after: null,
    reason: 'group_gone',
    source: 'okta-jit',
    group: { id: '00g1', name: 'jit-db' },
  },
  'config.applied': { changed: ['+ flow prod'] },
  'catalog.reloaded': { changed: ['+ resource db', '~ flow prod'], path: '/etc/access/access.yml' },
  'access_review.opened': {
    reviewId: 'rev_1',
    flow: 'prod',
    period: 1,
    periodStart: '2026-09-01T00:00:00Z',
    dueAt: '2026-12-01T00:00:00Z',
    people: 4,
    reviewers: ['U0ADA'],
  },
  'access_review.decided': {
    reviewId: 'rev_1',
    flow: 'prod',
    user: 'U0REQ',
    decision: 'remove',
    outcomes: ['removed_from_flow', 'group_finding'],
    evidence: { requests: 2, approvalsGiven: 0, sessions: 1, lastGrantAt: '2026-11-02T10:00:00Z' },
  },
  'access_review.reminded': { reviewId: 'rev_1', undecided: 3 },
  'access_review.completed': { reviewId: 'rev_1', flow: 'prod', kept: 3, removed: 1 },
  'api_key.created': { keyId: 'key_1', name: 'gateway' },
  'api_key.revoked': { keyId: 'key_1' },
  'token.created': { tokenId: 'pat_1', name: 'laptop', expiresAt: '2026-12-03T14:00:00Z', via: 'slack' },
  'token.revoked': { tokenId: 'pat_1', name: 'laptop', owner: 'U0REQ' },
};

const event = (action: string, details: Record<string, unknown>, id = 1): StoredEvent => ({
  id,
  requestId: null,
  actor: 'U0ADMIN',
  action,
  details,
  createdAt: new Date('2026-12-03T12:00:00Z'),
  prevHash: '',
  hash: '',
});

/** What a sentence must never look like: JSON, or a field that was not there. */
const RAW = /[{}]|"\w+":|undefined|\[object Object\]|NaN/;

describe('every audit event reads as a sentence', () => {
  it.each(AUDIT_ACTIONS.map((a) => [a]))('%s, with the details the bot writes and with none', (action) => {
    for (const details of [SAMPLES[action], {}]) {
      const [line] = storyOf([event(action, details)]);
      expect(line!.summary.length).toBeGreaterThan(5);
      expect(line!.summary).not.toMatch(RAW);
    }
  });

  it('step-up and extension events say what happened', () => {
    const lines = storyOf([
      event('identity.signed_in', SAMPLES['identity.signed_in']),
      event('request.approved', SAMPLES['request.approved']),
      event('grant.extended', SAMPLES['grant.extended']),
    ]).map((l) => l.summary);
    expect(lines[0]).toBe(
      'signed in again at https://idp.corp.example as okta|alex for a step-up, authenticated 2026-12-03T12:00:00.000Z (pwd+mfa)',
    );
    expect(lines[1]).toContain('approved the extension of req_1: 1h more, until 2026-12-03T14:00:00Z');
    expect(lines[1]).toContain('after a step-up sign-in as okta|alex');
    expect(lines[2]).toBe(
      'extended the access by 1h (extension req_2): it now ends 2026-12-03T14:00:00Z instead of 2026-12-03T13:00:00Z',
    );
  });

  it('a link an admin made by hand says so', () => {
    const [line] = storyOf([
      event('identity.linked', { slack_user: 'U0REQ', issuer: 'https://idp', subject: 'okta|rita', by_hand: true }),
    ]);
    expect(line!.summary).toBe(
      'linked U0REQ by hand to the company identity okta|rita at https://idp (no sign-in, no e-mail yet)',
    );
  });

  it('an event of a kind this version does not know shows its name and plain fields, not JSON', () => {
    const [line] = storyOf([event('future.thing', { who: 'U1', nested: { a: 1 } })]);
    expect(line!.summary).toBe('recorded future.thing (who U1)');
  });
});
