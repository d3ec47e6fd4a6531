import { describe, expect, it } from 'vitest';
import { narrowestPolicy, type Policy } from './policy.js';

const p = (durationMinutes: number, ...resources: Policy['resources']): Policy => ({ durationMinutes, resources });

describe('the narrowest of several approvals wins', () => {
  it('takes the shortest duration and only the resources every approver kept', () => {
    const a = p(120, { type: 'generic', resource: 'x' }, { type: 'http', resource: 'grafana', access: 'full' });
    const b = p(60, { type: 'http', resource: 'grafana', access: 'full' });
    expect(narrowestPolicy([a, b])).toEqual(p(60, { type: 'http', resource: 'grafana', access: 'full' }));
  });

  it('read-only beats read-write, and database lists intersect ("all" is the empty list)', () => {
    const a = p(60, { type: 'database', resource: 'db', access: 'read-write', databases: [] });
    const b = p(60, { type: 'database', resource: 'db', access: 'read-only', databases: ['app', 'audit'] });
    const c = p(60, { type: 'database', resource: 'db', access: 'read-write', databases: ['app'] });
    expect(narrowestPolicy([a, b, c])).toEqual(
      p(60, { type: 'database', resource: 'db', access: 'read-only', databases: ['app'] }),
    );
  });

  it('the lesser Kubernetes role in the common namespaces; ssh login users intersect', () => {
    const a = p(
      60,
      { type: 'kubernetes', resource: 'k', role: 'admin', namespaces: ['a', 'b'] },
      { type: 'ssh', resource: 's', loginUsers: ['ubuntu', 'deploy'] },
    );
    const b = p(
      60,
      { type: 'kubernetes', resource: 'k', role: 'edit', namespaces: ['b', 'c'] },
      { type: 'ssh', resource: 's', loginUsers: ['deploy'] },
    );
    expect(narrowestPolicy([a, b])).toEqual(
      p(
        60,
        { type: 'kubernetes', resource: 'k', role: 'edit', namespaces: ['b'] },
        { type: 'ssh', resource: 's', loginUsers: ['deploy'] },
      ),
    );
  });

  it('is null when the approvals have nothing in common', () => {
    const a = p(60, { type: 'ssh', resource: 's', loginUsers: ['ubuntu'] });
    const b = p(60, { type: 'ssh', resource: 's', loginUsers: ['deploy'] });
    expect(narrowestPolicy([a, b])).toBeNull();
    expect(narrowestPolicy([])).toBeNull();
  });

  it('one approval is its own policy', () => {
    const a = p(30, { type: 'generic', resource: 'x' });
    expect(narrowestPolicy([a])).toEqual(a);
  });
});
