import { describe, expect, it } from 'vitest';
import { DEACTIVATED_BY, endedByDeactivation, remainingDeciders } from './offboarding.js';

describe('who can still decide once an approver left Slack', () => {
  it('everyone else the flow names', () => {
    expect(remainingDeciders(['U1', 'U2', 'U3'], 'U2', 'U9', false)).toEqual(['U1', 'U3']);
  });

  it('nobody when they were the only approver', () => {
    expect(remainingDeciders(['U2'], 'U2', 'U9', false)).toEqual([]);
  });

  it('not the requester, unless the flow allows self-approval', () => {
    expect(remainingDeciders(['U2', 'U9'], 'U2', 'U9', false)).toEqual([]);
    expect(remainingDeciders(['U2', 'U9'], 'U2', 'U9', true)).toEqual(['U9']);
  });
});

describe('a request ended because its requester was deactivated', () => {
  it('is told apart from one a person ended', () => {
    expect(endedByDeactivation({ endedBy: DEACTIVATED_BY })).toBe(true);
    expect(endedByDeactivation({ endedBy: 'U0APPR' })).toBe(false);
    expect(endedByDeactivation({ endedBy: null })).toBe(false);
  });
});
