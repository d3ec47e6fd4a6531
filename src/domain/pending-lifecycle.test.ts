import { describe, expect, it } from 'vitest';
import { DEFAULT_LIFECYCLE } from './flow.js';
import { duePendingSteps, startProblem } from './pending-lifecycle.js';
import { aFlow } from './fixtures.test-support.js';
import { decisionRefusal, grantStart, transition } from './request-lifecycle.js';

const created = new Date('2026-01-01T10:00:00Z');
const at = (minutes: number) => new Date(created.getTime() + minutes * 60_000);
const fresh = { createdAt: created, remindedAt: null, escalatedAt: null };
const lc = {
  ...DEFAULT_LIFECYCLE,
  remindAfterMinutes: 30,
  escalateAfterMinutes: 60,
  escalationUsers: ['U0ESC'],
  pendingTtlMinutes: 120,
};

describe('what is due for a pending request', () => {
  it('nothing before the first deadline', () =>
    expect(duePendingSteps(fresh, lc, at(29))).toEqual({ timeOut: false, remind: false, escalate: false }));
  it('a reminder after remindAfterMinutes, once', () => {
    expect(duePendingSteps(fresh, lc, at(30)).remind).toBe(true);
    expect(duePendingSteps({ ...fresh, remindedAt: at(30) }, lc, at(45)).remind).toBe(false);
  });
  it('escalation after escalateAfterMinutes, once, and only when someone is named', () => {
    expect(duePendingSteps({ ...fresh, remindedAt: at(30) }, lc, at(60))).toEqual({
      timeOut: false,
      remind: false,
      escalate: true,
    });
    expect(duePendingSteps({ ...fresh, escalatedAt: at(60) }, lc, at(90)).escalate).toBe(false);
    expect(duePendingSteps(fresh, { ...lc, escalationUsers: [] }, at(90)).escalate).toBe(false);
  });
  it('both at once when the bot catches up after being down', () =>
    expect(duePendingSteps(fresh, lc, at(100))).toEqual({ timeOut: false, remind: true, escalate: true }));
  it('past the TTL only the time-out, without reminder or escalation', () =>
    expect(duePendingSteps(fresh, lc, at(120))).toEqual({ timeOut: true, remind: false, escalate: false }));
  it('the default TTL is a day, also for a lifecycle missing fields', () => {
    expect(duePendingSteps(fresh, {}, at(1439)).timeOut).toBe(false);
    expect(duePendingSteps(fresh, null, at(1440)).timeOut).toBe(true);
  });
  it('pending requests time out; decided ones do not', () => {
    const state = { status: 'pending' as const, requesterId: 'U1', durationMinutes: 60, expiresAt: null };
    expect(transition(state, { type: 'time_out' }, at(0))).toMatchObject({ ok: true, next: { status: 'timed_out' } });
    expect(transition({ ...state, status: 'active' }, { type: 'time_out' }, at(0))).toMatchObject({
      ok: false,
      code: 'already_decided',
    });
  });
});

describe('scheduled start', () => {
  it('must be in the future and at most 30 days ahead', () => {
    expect(startProblem(at(1), at(0))).toBeNull();
    expect(startProblem(at(0), at(0))).toMatch(/future/);
    expect(startProblem(at(30 * 1440 + 1), at(0))).toMatch(/30 days/);
    expect(startProblem(new Date(Number.NaN), at(0))).toMatch(/date/);
  });
  it('a grant runs from the scheduled start when it is still ahead, else from approval', () => {
    expect(grantStart(at(60), at(0))).toEqual(at(60));
    expect(grantStart(at(-5), at(0))).toEqual(at(0));
    expect(grantStart(null, at(0))).toEqual(at(0));
    const state = { status: 'pending' as const, requesterId: 'U1', durationMinutes: 60, expiresAt: null };
    expect(transition(state, { type: 'approve', grantedMinutes: 30, startsAt: at(60) }, at(0))).toMatchObject({
      ok: true,
      next: { expiresAt: at(90) },
    });
  });
});

describe('escalation approvers decide only once the request was escalated', () => {
  it('refused before, allowed after; never their own request', () => {
    const flow = aFlow({
      name: 'f',
      approverUsers: ['U0APPR'],
      lifecycle: { ...lc, escalationUsers: ['U0ESC'], escalationGroups: ['S0ESC'] },
    });
    const who = (userId: string, groups: string[] = []) => ({ userId, groupIds: new Set(groups) });
    expect(decisionRefusal(flow, 'U1', who('U0ESC'))).toBe('not_approver');
    expect(decisionRefusal(flow, 'U1', who('U0ESC'), true)).toBeNull();
    expect(decisionRefusal(flow, 'U1', who('U7', ['S0ESC']), true)).toBeNull();
    expect(decisionRefusal(flow, 'U0ESC', who('U0ESC'), true)).toBe('self_approval');
    expect(decisionRefusal(flow, 'U1', who('U7'), true)).toBe('not_approver');
  });
});
