import { describe, expect, it } from 'vitest';
import { breakGlassOptions, breakGlassPolicy, mayBreakGlass } from './break-glass.js';
import { DEFAULT_LIFECYCLE } from './flow.js';
import { aFlow, aResource } from './fixtures.test-support.js';

const me = (userId: string, groups: string[] = []) => ({ userId, groupIds: new Set(groups) });
const glass = (users: string[], groups: string[], maxDurationMinutes: number) => ({
  ...DEFAULT_LIFECYCLE,
  breakGlass: { users, groups, maxDurationMinutes, channel: null },
});

describe('who may break the glass, and on what', () => {
  const short = aFlow({ name: 'short', resourceTags: ['production'], lifecycle: glass(['U0ONCALL'], ['S0SRE'], 30) });
  const long = aFlow({ name: 'long', resourceNames: ['prod-db'], lifecycle: glass([], ['S0SRE'], 120) });
  const none = aFlow({ name: 'none', resourceTags: ['staging'] });
  const resources = [
    aResource('prod-db', { tags: ['production'] }),
    aResource('web-1', { type: 'ssh', tags: ['production'] }),
    aResource('staging-db', { tags: ['staging'] }),
  ];

  it('designates named users and members of named groups, in enabled flows only', () => {
    expect(mayBreakGlass(short, me('U0ONCALL'))).toBe(true);
    expect(mayBreakGlass(short, me('U0X', ['S0SRE']))).toBe(true);
    expect(mayBreakGlass(short, me('U0X'))).toBe(false);
    expect(mayBreakGlass(none, me('U0ONCALL'))).toBe(false);
    expect(mayBreakGlass({ ...short, enabled: false }, me('U0ONCALL'))).toBe(false);
  });

  it('lists the covered resources, each under the flow allowing the longest access', () => {
    const options = breakGlassOptions([short, long, none], resources, me('U0X', ['S0SRE']));
    expect(options.map((o) => [o.resource.name, o.flow.name, o.maxDurationMinutes])).toEqual([
      ['prod-db', 'long', 120],
      ['web-1', 'short', 30],
    ]);
    expect(breakGlassOptions([short, long], resources, me('U0ONCALL')).map((o) => o.maxDurationMinutes)).toEqual([
      30, 30,
    ]);
  });
});

describe('what break-glass grants', () => {
  it('write access where the type has it', () => {
    expect(breakGlassPolicy(aResource('prod-db'), 30)).toEqual({
      durationMinutes: 30,
      resources: [{ type: 'database', resource: 'prod-db', access: 'read-write', databases: [] }],
    });
    expect(breakGlassPolicy(aResource('api', { type: 'http' }), 30)).toMatchObject({ resources: [{ access: 'full' }] });
    const defaults = { loginUsers: ['root'], databases: [], namespaces: ['shop'] };
    expect(breakGlassPolicy(aResource('k8s', { type: 'kubernetes', defaults }), 30)).toMatchObject({
      resources: [{ role: 'edit', namespaces: ['shop'] }],
    });
  });

  it('refuses Kubernetes and SSH resources without defaults, with a sentence', () => {
    expect(breakGlassPolicy(aResource('web-1', { type: 'ssh' }), 30)).toEqual({
      problem: expect.stringContaining('web-1 has no default login users'),
    });
    expect(breakGlassPolicy(aResource('k8s', { type: 'kubernetes' }), 30)).toEqual({
      problem: expect.stringContaining('k8s has no default namespaces'),
    });
  });
});
