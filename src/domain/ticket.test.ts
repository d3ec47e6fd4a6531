import { describe, expect, it } from 'vitest';
import { justificationProblem, DEFAULT_JUSTIFICATION } from './flow.js';
import { missingKeyProblem, ticketKeyIn, ticketProblem, ticketSnapshot } from './ticket.js';

describe('finding the ticket key in a justification', () => {
  it('reads the first key of an allowed project as a whole word', () => {
    expect(ticketKeyIn('INC-42: checkout is down', ['INC', 'OPS'])).toBe('INC-42');
    expect(ticketKeyIn('see https://acme.atlassian.net/browse/OPS-7 please', ['INC', 'OPS'])).toBe('OPS-7');
    expect(ticketKeyIn('EVIL-1 then INC-3', ['INC'])).toBe('INC-3');
  });
  it('ignores keys of other projects, glued keys and non-keys', () => {
    expect(ticketKeyIn('EVIL-1 says it is fine', ['INC'])).toBeNull();
    expect(ticketKeyIn('XINC-12 and INC-12a and inc-12 and INC-0', ['INC'])).toBeNull();
    expect(ticketKeyIn('INC-', ['INC'])).toBeNull();
  });
  it('tells the requester which projects count', () => {
    expect(missingKeyProblem('fixing stuff', ['INC', 'OPS', 'SEC'])).toBe(
      'Include an open Jira ticket from INC, OPS or SEC, like INC-123.',
    );
    expect(missingKeyProblem('INC-9', ['INC'])).toBeNull();
  });
  it('the flow rule asks for a key before anything reaches Jira', () => {
    const rule = { ...DEFAULT_JUSTIFICATION, jira: { projects: ['INC'] } };
    expect(justificationProblem(rule, 'no ticket here')).toBe('Include an open Jira ticket from INC, like INC-123.');
    expect(justificationProblem(rule, 'INC-5 restart')).toBeNull();
    expect(justificationProblem({ ...rule, required: false }, '')).toBe('Say why you need this access.');
  });
});

describe('what Jira said', () => {
  const open = {
    found: true as const,
    key: 'INC-1',
    title: 'Down',
    status: 'In Progress',
    category: 'indeterminate' as const,
    url: 'https://x/browse/INC-1',
  };
  it('an open ticket passes, a done one and an unknown one stop the request', () => {
    expect(ticketProblem(open)).toBeNull();
    expect(ticketProblem({ ...open, status: 'Resolved', category: 'done' })).toBe(
      'INC-1 is Resolved: name a ticket that is still open.',
    );
    expect(ticketProblem({ found: false, key: 'INC-1', reason: 'missing' })).toBe(
      'INC-1 is not a Jira ticket I can find. Check the key.',
    );
  });
  it('an unreachable Jira does not stop the request; the snapshot says it was not checked', () => {
    const down = { found: false as const, key: 'INC-1', reason: 'unavailable' as const, detail: 'Jira answered 503' };
    expect(ticketProblem(down)).toBeNull();
    const at = new Date('2026-12-03T10:00:00Z');
    expect(ticketSnapshot(down, at)).toEqual({
      key: 'INC-1',
      checked: false,
      reason: 'Jira answered 503',
      checkedAt: '2026-12-03T10:00:00.000Z',
    });
    expect(ticketSnapshot(open, at)).toEqual({
      key: 'INC-1',
      checked: true,
      title: 'Down',
      status: 'In Progress',
      category: 'indeterminate',
      url: 'https://x/browse/INC-1',
      checkedAt: '2026-12-03T10:00:00.000Z',
    });
  });
});
