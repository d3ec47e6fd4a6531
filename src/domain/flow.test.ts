import { describe, expect, it } from 'vitest';
import {
  durationsFor,
  isApproverOf,
  justificationProblem,
  offeredDurations,
  planRequests,
  requestableResources,
} from './flow.js';
import { aFlow, aResource } from './fixtures.test-support.js';

const prodDb = aResource('prod-db', { tags: ['production', 'postgres'] });
const stagingDb = aResource('staging-db', { tags: ['staging', 'postgres'] });
const web1 = aResource('web-1', { type: 'ssh', tags: ['production'] });
const resources = [prodDb, stagingDb, web1];

const me = (userId: string, groups: string[] = []) => ({ userId, groupIds: new Set(groups) });

describe('which resources a person may request', () => {
  const byName = aFlow({ name: 'by-name', resourceNames: ['staging-db'], requesterUsers: ['U1'] });
  const byTag = aFlow({ name: 'by-tag', resourceTags: ['production'], requesterGroups: ['S0SUPPORT'] });

  it('lists resources picked by name for a named requester', () => {
    expect(requestableResources([byName, byTag], resources, me('U1')).map((r) => r.resource.name)).toEqual([
      'staging-db',
    ]);
  });

  it('lists resources picked by tag for a member of a requester group', () => {
    expect(
      requestableResources([byName, byTag], resources, me('U2', ['S0SUPPORT'])).map((r) => r.resource.name),
    ).toEqual(['prod-db', 'web-1']);
  });

  it('lists nothing for someone no flow names', () => {
    expect(requestableResources([byName, byTag], resources, me('U9'))).toEqual([]);
  });

  it('ignores disabled flows', () => {
    expect(requestableResources([{ ...byName, enabled: false }], resources, me('U1'))).toEqual([]);
  });
});

describe('approvers', () => {
  const flow = aFlow({ name: 'f', approverUsers: ['U0APPR'], approverGroups: ['S0DB'] });
  it('counts named approvers and members of approver groups', () => {
    expect(isApproverOf(flow, me('U0APPR'))).toBe(true);
    expect(isApproverOf(flow, me('U5', ['S0DB']))).toBe(true);
    expect(isApproverOf(flow, me('U5', ['S0OTHER']))).toBe(false);
  });
});

describe('one request per flow', () => {
  const wide = aFlow({ name: 'b-wide', resourceTags: ['postgres'], requesterUsers: ['U1'], maxDurationMinutes: 120 });
  const narrow = aFlow({
    name: 'a-narrow',
    resourceNames: ['prod-db'],
    requesterUsers: ['U1'],
    maxDurationMinutes: 60,
  });
  const ssh = aFlow({ name: 'c-ssh', resourceNames: ['web-1'], requesterUsers: ['U1'] });
  const requestable = requestableResources([wide, narrow, ssh], resources, me('U1'));
  const pick = (...names: string[]) => requestable.filter((r) => names.includes(r.resource.name));

  it('puts resources one flow covers into one request', () => {
    const plans = planRequests(pick('prod-db', 'staging-db'));
    expect(plans.map((p) => [p.flow.name, p.resources.map((r) => r.name)])).toEqual([
      ['b-wide', ['prod-db', 'staging-db']],
    ]);
  });

  it('splits resources of different flows into separate requests', () => {
    const plans = planRequests(pick('prod-db', 'web-1'));
    expect(plans.map((p) => p.flow.name).sort()).toEqual(['a-narrow', 'c-ssh']);
  });

  it('breaks a tie between flows covering the same resources by flow name', () => {
    expect(planRequests(pick('prod-db')).map((p) => p.flow.name)).toEqual(['a-narrow']);
  });

  it('offers every duration some covering flow offers', () => {
    expect(durationsFor(pick('prod-db'))).toEqual([15, 30, 60, 120]);
  });
});

describe('flow rules', () => {
  it('lets everyone in the workspace request when the flow says so', () => {
    const open = aFlow({ name: 'open', resourceNames: ['prod-db'], requesterEveryone: true });
    expect(requestableResources([open], resources, me('U42')).map((r) => r.resource.name)).toEqual(['prod-db']);
  });

  it("offers the flow's own duration choices, capped at its maximum", () => {
    expect(offeredDurations({ durationChoices: [30, 240, 60, 900], maxDurationMinutes: 480 })).toEqual([30, 60, 240]);
    expect(offeredDurations({ durationChoices: [], maxDurationMinutes: 60 })).toEqual([15, 30, 60]);
  });

  it.each([
    [{ required: true, minLength: 0, pattern: null, hint: null }, '', 'Say why you need this access.'],
    [{ required: false, minLength: 0, pattern: null, hint: null }, '', null],
    [{ required: true, minLength: 10, pattern: null, hint: null }, 'short', 'Write at least 10 characters.'],
    [
      { required: true, minLength: 0, pattern: '^[A-Z]+-\\d+', hint: 'Start with the ticket, like OPS-1' },
      'fix it',
      'Start with the ticket, like OPS-1',
    ],
    [{ required: true, minLength: 0, pattern: '^[A-Z]+-\\d+', hint: null }, 'OPS-12 fix it', null],
  ])('checks the justification rule %#', (rule, text, expected) => {
    expect(justificationProblem(rule, text)).toBe(expected);
  });
});
