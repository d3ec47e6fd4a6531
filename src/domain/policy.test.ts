import { describe, expect, it } from 'vitest';
import { autoApprovalPolicy } from './auto-approve.js';
import { breakGlassPolicy } from './break-glass.js';
import { describeGrant, narrowestPolicy, repositoryDefaultProblem, type Policy } from './policy.js';
import { NO_DEFAULTS } from './resource.js';

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

describe('a GitHub repository grant', () => {
  const repo = (permission: 'read' | 'triage' | 'write' | 'maintain' | 'admin') => ({
    resources: [{ type: 'repository' as const, resource: 'gh-payments', permission }],
    durationMinutes: 60,
  });

  it('two approvers: the lower permission is granted, whatever their order', () => {
    expect(narrowestPolicy([repo('write'), repo('triage')])).toEqual(repo('triage'));
    expect(narrowestPolicy([repo('read'), repo('admin')])).toEqual(repo('read'));
  });

  it('auto-approval and break-glass grant the resource’s default permission, and nothing without one', () => {
    const resource = {
      name: 'gh-payments',
      type: 'repository' as const,
      defaults: { ...NO_DEFAULTS, roles: ['triage'] },
    };
    expect(autoApprovalPolicy([resource], 60)).toEqual(repo('triage'));
    expect(breakGlassPolicy(resource, 60)).toEqual(repo('triage'));
    expect(autoApprovalPolicy([{ ...resource, defaults: NO_DEFAULTS }], 60)).toBeNull();
    expect(breakGlassPolicy({ ...resource, defaults: NO_DEFAULTS }, 60)).toMatchObject({
      problem: expect.stringContaining('no default permission'),
    });
  });

  it('a default is one permission GitHub knows', () => {
    expect(repositoryDefaultProblem(['write'])).toBeNull();
    expect(repositoryDefaultProblem(['write', 'admin'])).toContain('one permission');
    expect(repositoryDefaultProblem(['owner'])).toContain('one permission');
    expect(describeGrant(repo('maintain').resources[0]!)).toBe('gh-payments: maintain');
  });
});
