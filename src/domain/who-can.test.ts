import { describe, expect, it } from 'vitest';
import { DEFAULT_LIFECYCLE, type Flow } from './flow.js';
import { aFlow, aResource } from './fixtures.test-support.js';
import { explain, groupsToResolve, whoCan, type Catalogue } from './who-can.js';

const prodDb = aResource('prod-db', { tags: ['production'] });
const k8s = aResource('k8s-prod', { type: 'kubernetes', tags: ['production'] });
const groups: Record<string, string[]> = {
  S0ENG: ['U0RITA', 'U0ADA'],
  S0OPS: ['U0ALEX', 'U0DANA'],
  S0BG: ['U0SRE'],
  S0ESC: ['U0BOSS'],
};
const members = (g: string) => groups[g] ?? [];

const production = aFlow({
  name: 'production',
  resourceTags: ['production'],
  requesterGroups: ['S0ENG'],
  approverUsers: ['U0ALEX'],
  approverGroups: ['S0OPS'],
  maxDurationMinutes: 480,
  durationChoices: [60, 240, 480],
  approvalsRequired: 2,
  justification: { required: true, minLength: 10, pattern: '^[A-Z]+-\\d+', hint: null, jira: { projects: ['OPS'] } },
  lifecycle: {
    ...DEFAULT_LIFECYCLE,
    escalationGroups: ['S0ESC'],
    escalateAfterMinutes: 120,
    autoApprove: [
      {
        name: 'office',
        resourceNames: ['prod-db'],
        resourceTags: [],
        maxDurationMinutes: 600,
        weekdays: [1, 2, 3, 4, 5],
        from: '09:00',
        to: '17:00',
        timeZone: 'Europe/Berlin',
      },
    ],
    breakGlass: { users: [], groups: ['S0BG'], maxDurationMinutes: 120, channel: null },
    onCallApprovers: [{ service: 'pagerduty', schedule: 'PSCHED' }],
  },
});
const selfService = aFlow({
  name: 'a-self-service',
  resourceNames: ['prod-db'],
  requesterUsers: ['U0ALEX', 'U0SOLO'],
  approverUsers: ['U0ALEX'],
  maxDurationMinutes: 1440,
  allowSelfApproval: true,
});
const lonely = aFlow({
  name: 'lonely',
  resourceNames: ['k8s-prod'],
  requesterUsers: ['U0SOLO'],
  approverUsers: ['U0SOLO'],
});
const off = aFlow({ name: 'off', resourceNames: ['prod-db'], requesterUsers: ['U0OFF'], enabled: false });
const catalogue: Catalogue = { flows: [production, selfService, lonely, off], resources: [prodDb, k8s] };

describe('who can request a resource', () => {
  const answer = whoCan(catalogue, 'prod-db', members, { now: new Date('2026-03-02T10:00:00Z') })!;

  it('lists every flow covering it, enabled first, then by name', () => {
    expect(answer.flows.map((f) => [f.flow, f.enabled])).toEqual([
      ['a-self-service', true],
      ['production', true],
      ['off', false],
    ]);
  });

  it('resolves requester, approver, escalation and break-glass groups to their members', () => {
    const f = answer.flows.find((x) => x.flow === 'production')!;
    expect(f.requesters.groups).toEqual([{ id: 'S0ENG', members: ['U0RITA', 'U0ADA'] }]);
    expect(f.approvers.users).toEqual(['U0ALEX']);
    expect(f.approvers.groups).toEqual([{ id: 'S0OPS', members: ['U0ALEX', 'U0DANA'] }]);
    expect(f.approvers.escalation).toEqual({
      users: [],
      groups: [{ id: 'S0ESC', members: ['U0BOSS'] }],
      afterMinutes: 120,
    });
    expect(f.approvers.approvalsRequired).toBe(2);
    expect(f.approvers.selfApproval).toBe(false);
    expect(f.breakGlass).toMatchObject({
      people: { groups: [{ id: 'S0BG', members: ['U0SRE'] }] },
      maxDurationMinutes: 120,
      problem: null,
    });
  });

  it('names on-call schedules, "not asked" when nobody was asked', () => {
    const f = answer.flows.find((x) => x.flow === 'production')!;
    expect(f.approvers.onCall).toEqual([
      {
        ref: { service: 'pagerduty', schedule: 'PSCHED' },
        label: 'PagerDuty schedule PSCHED',
        now: { state: 'not_asked', reason: 'no on-call service was asked' },
      },
    ]);
    const asked = whoCan(catalogue, 'prod-db', members, { onCall: () => ({ state: 'on_call', people: ['U0DANA'] }) })!;
    expect(asked.flows.find((x) => x.flow === 'production')!.approvers.onCall[0]!.now).toEqual({
      state: 'on_call',
      people: ['U0DANA'],
    });
  });

  it('gives the limits: durations, justification, ticket rule', () => {
    expect(answer.flows.find((x) => x.flow === 'production')!.limits).toEqual({
      maxDurationMinutes: 480,
      durations: [60, 240, 480],
      justification: { required: true, minLength: 10, pattern: '^[A-Z]+-\\d+', hint: null },
      ticketProjects: ['OPS'],
      requireLink: false,
      stepUpMinutes: null,
    });
  });

  it('caps an auto-approval rule at the flow maximum and says whether its window is open', () => {
    expect(answer.flows.find((x) => x.flow === 'production')!.autoApproval).toEqual([
      expect.objectContaining({ rule: 'office', maxDurationMinutes: 480, grantsUntuned: true, openNow: true }),
    ]);
    const night = whoCan(catalogue, 'prod-db', members, { now: new Date('2026-03-02T20:00:00Z') })!;
    expect(night.flows.find((x) => x.flow === 'production')!.autoApproval[0]!.openNow).toBe(false);
  });

  it('leaves out rules that do not cover the resource, and marks break-glass that cannot grant it', () => {
    const f = whoCan(catalogue, 'k8s-prod', members)!.flows.find((x) => x.flow === 'production')!;
    expect(f.autoApproval).toEqual([]);
    expect(f.breakGlass!.problem).toContain('no default namespaces');
  });

  it('answers null for an unknown resource', () => {
    expect(whoCan(catalogue, 'nope', members)).toBeNull();
  });

  it('lists the groups to resolve for a resource', () => {
    expect(groupsToResolve(catalogue, 'prod-db')).toEqual(['S0BG', 'S0ENG', 'S0ESC', 'S0OPS']);
  });
});

describe('explain one person and one resource', () => {
  const ask = (userId: string, resource = 'prod-db', extra: Partial<Parameters<typeof explain>[4]> = {}) =>
    explain(catalogue, userId, resource, members, extra)!;

  it('a member of a requester group may request, through the flow a submission plans', () => {
    const a = ask('U0RITA');
    expect(a).toMatchObject({ mayRequest: true, decision: 'approvers', otherFlows: [], maxDurationMinutes: 480 });
    expect(a.flow!.flow).toBe('production');
    expect(a.approvers).toEqual(['U0ALEX', 'U0DANA']);
  });

  it('with two flows, the one planRequests picks first (by name), the other listed with its longer maximum', () => {
    const alex = explain(
      { ...catalogue, flows: [...catalogue.flows, { ...production, requesterUsers: ['U0ALEX'] } as Flow].slice(1) },
      'U0ALEX',
      'prod-db',
      members,
    )!;
    expect(alex.flow!.flow).toBe('a-self-service');
    expect(alex.otherFlows).toEqual(['production']);
    expect(alex.maxDurationMinutes).toBe(1440);
  });

  it('an approver of a self-approval flow is among their own approvers', () => {
    const a = ask('U0ALEX');
    expect(a.approvers).toEqual(['U0ALEX']);
    expect(a.isApprover).toBe(true);
    expect(a.mayRequest).toBe(true);
  });

  it('someone whose only approver is themselves, without self-approval, cannot request', () => {
    const a = ask('U0SOLO', 'k8s-prod');
    expect(a).toMatchObject({ mayRequest: false, decision: 'no_approver', approvers: [] });
    expect(a.flow!.flow).toBe('lonely');
  });

  it('nobody may request through a disabled flow', () => {
    expect(ask('U0OFF')).toMatchObject({
      mayRequest: false,
      decision: 'no_flow',
      flow: null,
      maxDurationMinutes: null,
    });
  });

  it('a guest never may, whatever the flows say', () => {
    expect(ask('U0RITA', 'prod-db', { standing: 'guest' })).toMatchObject({
      mayRequest: false,
      decision: 'not_member',
    });
  });

  it('break-glass is reported on its own, for those its rule names', () => {
    expect(ask('U0SRE')).toMatchObject({
      mayRequest: false,
      decision: 'no_flow',
      breakGlass: { flow: 'production', maxDurationMinutes: 120, problem: null },
    });
    expect(ask('U0RITA').breakGlass).toBeNull();
  });

  it('lists the auto-approval rules of the planned flow', () => {
    expect(ask('U0RITA').autoApproval.map((a) => a.rule)).toEqual(['office']);
    expect(ask('U0RITA', 'k8s-prod').autoApproval).toEqual([]);
  });
});

describe("the requester's manager and requests on someone's behalf", () => {
  const managed = aFlow({
    name: 'managed',
    resourceTags: ['production'],
    requesterGroups: ['S0ENG'],
    approverUsers: [],
    lifecycle: { ...DEFAULT_LIFECYCLE, managerApprover: { fallbackUsers: [], fallbackGroups: ['S0OPS'] } },
    onBehalf: {
      requesterUsers: ['U0LEAD'],
      requesterGroups: [],
      forUsers: ['U0RITA'],
      forGroups: [],
      forAnyoneInFlow: false,
    },
  });
  const catalogue: Catalogue = { flows: [managed], resources: [prodDb] };
  const options = { managerSources: ['Okta', 'Entra ID'] };

  it('names the manager approver with its sources and its fallback resolved, and the on-behalf rule', () => {
    const [view] = whoCan(catalogue, 'prod-db', members, options)!.flows;
    expect(view!.approvers.manager).toEqual({
      sources: ['Okta', 'Entra ID'],
      fallback: { users: [], groups: [{ id: 'S0OPS', members: ['U0ALEX', 'U0DANA'] }] },
    });
    expect(view!.onBehalf).toMatchObject({
      requesters: { users: ['U0LEAD'] },
      anyoneInFlow: false,
      for: { users: ['U0RITA'] },
    });
    expect(groupsToResolve(catalogue, 'prod-db')).toContain('S0OPS');
  });

  it('a flow of only the manager leaves the decision to the look-up: may request, nobody named yet', () => {
    const answer = explain(catalogue, 'U0RITA', 'prod-db', members, options)!;
    expect(answer).toMatchObject({ mayRequest: true, decision: 'approvers', approvers: [], manager: null });
  });
});
