import { describe, expect, it } from 'vitest';
import { decisionRefusal, revokeRefusal, transition, type RequestState } from './request-lifecycle.js';
import { aFlow } from './fixtures.test-support.js';

const now = new Date('2026-01-01T10:00:00Z');
const pending: RequestState = { status: 'pending', requesterId: 'U1', durationMinutes: 120, expiresAt: null };
const active: RequestState = { ...pending, status: 'active', expiresAt: new Date('2026-01-01T11:00:00Z') };

describe('request transitions', () => {
  it('approving a pending request makes it active until now + the granted time', () => {
    const t = transition(pending, { type: 'approve', grantedMinutes: 60 }, now);
    expect(t).toEqual({
      ok: true,
      next: { ...pending, status: 'active', expiresAt: new Date('2026-01-01T11:00:00Z') },
    });
  });

  it('refuses to grant longer than requested', () => {
    expect(transition(pending, { type: 'approve', grantedMinutes: 121 }, now)).toMatchObject({
      ok: false,
      code: 'invalid_input',
    });
  });

  it.each(['active', 'denied', 'expired', 'revoked'] as const)(
    'a second decision on a %s request changes nothing',
    (status) => {
      expect(transition({ ...pending, status }, { type: 'approve', grantedMinutes: 60 }, now)).toMatchObject({
        ok: false,
        code: 'already_decided',
      });
      expect(transition({ ...pending, status }, { type: 'deny' }, now)).toMatchObject({
        ok: false,
        code: 'already_decided',
      });
    },
  );

  it('expires an active grant only once its time is up', () => {
    expect(transition(active, { type: 'expire' }, now)).toMatchObject({ ok: false, code: 'not_active' });
    expect(transition(active, { type: 'expire' }, new Date('2026-01-01T11:00:00Z'))).toMatchObject({
      ok: true,
      next: { status: 'expired' },
    });
  });

  it('revokes only active grants', () => {
    expect(transition(active, { type: 'revoke' }, now)).toMatchObject({ ok: true, next: { status: 'revoked' } });
    expect(transition(pending, { type: 'revoke' }, now)).toMatchObject({ ok: false, code: 'not_active' });
  });
});

describe('who may decide', () => {
  const flow = aFlow({ name: 'f', approverUsers: ['U0APPR', 'U1'], approverGroups: ['S0DB'] });
  const who = (userId: string, groups: string[] = []) => ({ userId, groupIds: new Set(groups) });

  it('an approver of the flow may decide', () => expect(decisionRefusal(flow, 'U1', who('U0APPR'))).toBeNull());
  it('a member of an approver group may decide', () =>
    expect(decisionRefusal(flow, 'U1', who('U7', ['S0DB']))).toBeNull());
  it('anyone else may not', () => expect(decisionRefusal(flow, 'U1', who('U7'))).toBe('not_approver'));
  it('a deleted flow has no approvers', () =>
    expect(decisionRefusal(undefined, 'U1', who('U0APPR'))).toBe('not_approver'));
  it('someone the bot recorded as on call may decide, while the flow still names on-call approvers', () => {
    const onCallFlow = {
      ...flow,
      lifecycle: {
        ...flow.lifecycle,
        onCallApprovers: [{ service: 'pagerduty' as const, escalationPolicy: 'PXYZ123' }],
      },
    };
    expect(decisionRefusal(onCallFlow, 'U1', who('U0ONCALL'), false, ['U0ONCALL'])).toBeNull();
    expect(decisionRefusal(onCallFlow, 'U1', who('U7'), false, ['U0ONCALL'])).toBe('not_approver');
    // The flow no longer asks on call (edited since): what was recorded on the request no longer counts.
    expect(decisionRefusal(flow, 'U1', who('U0ONCALL'), false, ['U0ONCALL'])).toBe('not_approver');
    // On call does not lift the self-approval rule.
    expect(decisionRefusal(onCallFlow, 'U0ONCALL', who('U0ONCALL'), false, ['U0ONCALL'])).toBe('self_approval');
  });
  it('nobody approves their own request unless the flow allows it', () => {
    expect(decisionRefusal(flow, 'U1', who('U1'))).toBe('self_approval');
    expect(decisionRefusal({ ...flow, allowSelfApproval: true }, 'U1', who('U1'))).toBeNull();
  });
  it('admins, approvers and the requester may revoke; others may not', () => {
    expect(revokeRefusal(flow, 'U1', who('U9'), true)).toBeNull();
    expect(revokeRefusal(flow, 'U1', who('U0APPR'), false)).toBeNull();
    expect(revokeRefusal(flow, 'U1', who('U1'), false)).toBeNull();
    expect(revokeRefusal(flow, 'U1', who('U9'), false)).toBe('not_approver');
  });
});
