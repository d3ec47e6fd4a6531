import { describe, expect, it } from 'vitest';
import { autoApprovalPolicy, isValidTimeZone, matchAutoApproval, parseHours, ruleWindowOpen } from './auto-approve.js';
import { aResource } from './fixtures.test-support.js';
import type { AutoApproveRule } from './flow.js';

const rule = (patch: Partial<AutoApproveRule> = {}): AutoApproveRule => ({
  name: 'office-hours',
  resourceNames: [],
  resourceTags: [],
  maxDurationMinutes: 60,
  weekdays: [1, 2, 3, 4, 5],
  from: '09:00',
  to: '17:00',
  timeZone: 'Europe/Berlin',
  ...patch,
});

describe('the weekly window, read on the wall clock of the rule’s time zone', () => {
  // 2026-03-27 is a Friday (CET, UTC+1); Europe moves to CEST (UTC+2) on Sunday 2026-03-29.
  it.each([
    ['Friday 09:30 in Berlin (08:30 UTC, winter time)', '2026-03-27T08:30:00Z', true],
    ['Friday 08:30 in Berlin: before the window', '2026-03-27T07:30:00Z', false],
    ['Friday 16:59 in Berlin: the last minute', '2026-03-27T15:59:00Z', true],
    ['Friday 17:00 in Berlin: the end is exclusive', '2026-03-27T16:00:00Z', false],
    ['Saturday midday: not a listed weekday', '2026-03-28T11:00:00Z', false],
    ['Monday 09:30 in Berlin after the DST change (07:30 UTC)', '2026-03-30T07:30:00Z', true],
    ['Monday 17:30 in Berlin after the DST change, which would be 16:30 in winter', '2026-03-30T15:30:00Z', false],
    ['Monday 08:30 in Berlin after the DST change (06:30 UTC)', '2026-03-30T06:30:00Z', false],
  ])('%s', (_what, at, open) => {
    expect(ruleWindowOpen(rule(), new Date(at))).toBe(open);
  });

  it('takes the weekday in the rule’s zone, not UTC’s: Friday 23:30 UTC is Saturday in Berlin', () => {
    const fridays = rule({ weekdays: [5], from: '00:00', to: '24:00' });
    expect(ruleWindowOpen(fridays, new Date('2026-03-27T23:30:00Z'))).toBe(false);
    expect(ruleWindowOpen({ ...fridays, timeZone: 'UTC' }, new Date('2026-03-27T23:30:00Z'))).toBe(true);
  });

  it('follows US daylight saving time on its own dates (New York changes on 2026-03-08)', () => {
    const ny = rule({ timeZone: 'America/New_York' });
    expect(ruleWindowOpen(ny, new Date('2026-03-06T13:30:00Z'))).toBe(false); // Friday 08:30 EST
    expect(ruleWindowOpen(ny, new Date('2026-03-09T13:30:00Z'))).toBe(true); // Monday 09:30 EDT
  });

  it('counts both 02:30s of the night Berlin falls back (2026-10-25)', () => {
    const night = rule({ weekdays: [7], from: '02:00', to: '03:00' });
    expect(ruleWindowOpen(night, new Date('2026-10-25T00:30:00Z'))).toBe(true); // 02:30 CEST
    expect(ruleWindowOpen(night, new Date('2026-10-25T01:30:00Z'))).toBe(true); // 02:30 CET
    expect(ruleWindowOpen(night, new Date('2026-10-25T02:00:00Z'))).toBe(false); // 03:00 CET
  });

  it.each([
    ['Friday 23:00', '2026-03-27T23:00:00Z', true],
    ['Saturday 05:59, still Friday night’s window', '2026-03-28T05:59:00Z', true],
    ['Saturday 06:00', '2026-03-28T06:00:00Z', false],
    ['Saturday 23:00: Saturday is not listed', '2026-03-28T23:00:00Z', false],
    ['Friday 05:00: the window of Thursday night, not listed', '2026-03-27T05:00:00Z', false],
  ])('a window past midnight belongs to the day it starts: %s', (_what, at, open) => {
    expect(ruleWindowOpen(rule({ weekdays: [5], from: '22:00', to: '06:00', timeZone: 'UTC' }), new Date(at))).toBe(
      open,
    );
  });

  it('treats an unknown time zone as a closed window', () => {
    expect(ruleWindowOpen(rule({ timeZone: 'Mars/Olympus' }), new Date('2026-03-27T08:30:00Z'))).toBe(false);
  });
});

describe('matching a request against a flow’s rules', () => {
  const at = new Date('2026-03-27T08:30:00Z'); // inside office hours
  const staging = { name: 'staging-db', tags: ['staging'] };
  const prod = { name: 'prod-db', tags: ['production'] };

  it.each([
    [
      'every resource covered by tag, duration within the maximum',
      [rule({ resourceTags: ['staging'] })],
      [staging],
      60,
      'office-hours',
    ],
    ['a rule without names or tags covers every resource', [rule()], [staging, prod], 30, 'office-hours'],
    ['one resource not covered', [rule({ resourceTags: ['staging'] })], [staging, prod], 30, null],
    ['longer than the rule’s maximum', [rule({ resourceNames: ['staging-db'] })], [staging], 61, null],
    ['no rules', [], [staging], 30, null],
    [
      'the first rule that matches wins',
      [rule({ name: 'narrow', resourceNames: ['prod-db'] }), rule({ name: 'wide' }), rule({ name: 'later' })],
      [staging],
      30,
      'wide',
    ],
  ])('%s', (_what, rules, resources, minutes, expected) => {
    expect(matchAutoApproval(rules, { resources, durationMinutes: minutes }, at)?.name ?? null).toBe(expected);
  });

  it('a request on behalf of someone matches only a rule that opts in with on_behalf', () => {
    const request = { resources: [staging], durationMinutes: 30, onBehalf: true };
    expect(matchAutoApproval([rule()], request, at)).toBeNull();
    expect(matchAutoApproval([rule(), rule({ name: 'for-others', onBehalf: true })], request, at)?.name).toBe(
      'for-others',
    );
    expect(matchAutoApproval([rule({ onBehalf: true })], { ...request, onBehalf: false }, at)?.name).toBe(
      'office-hours',
    );
  });

  it('does not match outside the window', () => {
    expect(
      matchAutoApproval([rule()], { resources: [staging], durationMinutes: 30 }, new Date('2026-03-28T08:30:00Z')),
    ).toBeNull();
  });
});

describe('what an auto-approval grants without tuning', () => {
  it('gives databases read-only on all databases and HTTP read-only', () => {
    expect(
      autoApprovalPolicy(
        [aResource('staging-db'), aResource('grafana', { type: 'http' }), aResource('misc', { type: 'generic' })],
        60,
      ),
    ).toEqual({
      durationMinutes: 60,
      resources: [
        { type: 'database', resource: 'staging-db', access: 'read-only', databases: [] },
        { type: 'http', resource: 'grafana', access: 'read-only' },
        { type: 'generic', resource: 'misc' },
      ],
    });
  });

  it('gives Kubernetes view in the default namespaces and SSH the default logins', () => {
    const defaults = { loginUsers: ['deploy'], databases: [], namespaces: ['shop'] };
    expect(
      autoApprovalPolicy(
        [aResource('k8s', { type: 'kubernetes', defaults }), aResource('web', { type: 'ssh', defaults })],
        30,
      )?.resources,
    ).toEqual([
      { type: 'kubernetes', resource: 'k8s', role: 'view', namespaces: ['shop'] },
      { type: 'ssh', resource: 'web', loginUsers: ['deploy'] },
    ]);
  });

  it('refuses Kubernetes and SSH resources without defaults: nobody said what to grant', () => {
    expect(autoApprovalPolicy([aResource('staging-db'), aResource('k8s', { type: 'kubernetes' })], 30)).toBeNull();
    expect(autoApprovalPolicy([aResource('web', { type: 'ssh' })], 30)).toBeNull();
  });
});

describe('rule fields', () => {
  it.each([
    ['09:00-17:00', { from: '09:00', to: '17:00' }],
    [' 22:00 - 06:00 ', { from: '22:00', to: '06:00' }],
    ['00:00-24:00', { from: '00:00', to: '24:00' }],
    ['9-17', null],
    ['09:00-09:00', null],
    ['24:00-10:00', null],
    ['09:60-10:00', null],
  ])('hours %j', (text, expected) => {
    expect(parseHours(text)).toEqual(expected);
  });

  it('knows IANA time zones', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Europe/Atlantis')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });
});
