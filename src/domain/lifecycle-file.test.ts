import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { AccessFileSchema, describeIssuePath } from './access-file.js';
import { flowFromFile, toAccessFile } from './access-file-mapping.js';
import { DEFAULT_LIFECYCLE } from './flow.js';
import { aFlow } from './fixtures.test-support.js';
import { lifecycleProblems } from './lifecycle-input.js';
import { autoApproveFromFile, autoApproveToFile, AutoApproveListSchema } from './lifecycle-file.js';

const file = (flowExtra: string) => `
resources:
  - { name: staging-db, type: database, tags: [staging] }
flows:
  - name: staging
    resources: { names: [staging-db] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
${flowExtra
  .trim()
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
`;

/** The first problem as the bot reports it ("path: message"), or the parsed file. */
function check(text: string) {
  const result = AccessFileSchema.safeParse(parse(text));
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  return `${describeIssuePath(issue.path)}: ${issue.message}`;
}

const FULL = `
reminders: { remind_after: 30m, escalate_after: 2h, escalate_to: { users: [U0BOSS], groups: [S0LEADS] } }
pending_ttl: 12h
auto_approve:
  - name: office-hours
    resources: { names: [staging-db], tags: [staging] }
    max_duration: 1h
    weekdays: [mon, tue, 3, thu, fri]
    hours: "09:00-17:00"
    time_zone: Europe/Berlin
  - name: anytime
    max_duration: 15m
break_glass: { users: [U0ONCALL], groups: [S0SRE], max_duration: 2h, channel: C0INCIDENT }
`;

describe('flow lifecycle in ACCESS_CONFIG', () => {
  it('maps every field to the flow', () => {
    const parsed = check(file(FULL));
    if (typeof parsed === 'string') throw new Error(parsed);
    expect(flowFromFile(parsed.flows[0]!).lifecycle).toEqual({
      remindAfterMinutes: 30,
      escalateAfterMinutes: 120,
      escalationUsers: ['U0BOSS'],
      escalationGroups: ['S0LEADS'],
      pendingTtlMinutes: 720,
      autoApprove: [
        {
          name: 'office-hours',
          resourceNames: ['staging-db'],
          resourceTags: ['staging'],
          maxDurationMinutes: 60,
          weekdays: [1, 2, 3, 4, 5],
          from: '09:00',
          to: '17:00',
          timeZone: 'Europe/Berlin',
        },
        {
          name: 'anytime',
          resourceNames: [],
          resourceTags: [],
          maxDurationMinutes: 15,
          weekdays: [1, 2, 3, 4, 5, 6, 7],
          from: '00:00',
          to: '24:00',
          timeZone: 'UTC',
        },
      ],
      breakGlass: { users: ['U0ONCALL'], groups: ['S0SRE'], maxDurationMinutes: 120, channel: 'C0INCIDENT' },
    });
  });

  it('defaults to no reminders, a 24h pending TTL, no rules and no break-glass', () => {
    const parsed = check(file('max_duration: 1h'));
    if (typeof parsed === 'string') throw new Error(parsed);
    expect(flowFromFile(parsed.flows[0]!).lifecycle).toEqual(DEFAULT_LIFECYCLE);
  });

  it('exports what it read, leaving defaults out', () => {
    const parsed = check(file(FULL));
    if (typeof parsed === 'string') throw new Error(parsed);
    const exported = toAccessFile([], [flowFromFile(parsed.flows[0]!)]) as { flows: Record<string, unknown>[] };
    expect(exported.flows[0]).toMatchObject({
      reminders: { remind_after: '30m', escalate_after: '2h', escalate_to: { users: ['U0BOSS'], groups: ['S0LEADS'] } },
      pending_ttl: '12h',
      auto_approve: [
        {
          name: 'office-hours',
          resources: { names: ['staging-db'], tags: ['staging'] },
          max_duration: '1h',
          weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'],
          hours: '09:00-17:00',
          time_zone: 'Europe/Berlin',
        },
        { name: 'anytime', max_duration: '15m' },
      ],
      break_glass: { users: ['U0ONCALL'], groups: ['S0SRE'], max_duration: '2h', channel: 'C0INCIDENT' },
    });
    const bare = check(file('max_duration: 1h'));
    if (typeof bare === 'string') throw new Error(bare);
    const plain = toAccessFile([], [flowFromFile(bare.flows[0]!)]) as { flows: Record<string, unknown>[] };
    expect(Object.keys(plain.flows[0]!)).not.toContain('pending_ttl');
  });

  it.each([
    ['mon-fri', [1, 2, 3, 4, 5]],
    ['fri-mon', [1, 5, 6, 7]],
    ['[sun, 1, mon]', [1, 7]],
  ])('reads weekdays %s', (weekdays, expected) => {
    const parsed = check(file(`auto_approve: [{ name: r, max_duration: 1h, weekdays: ${weekdays} }]`));
    if (typeof parsed === 'string') throw new Error(parsed);
    expect(parsed.flows[0]!.auto_approve[0]!.weekdays).toEqual(expected);
  });

  it.each([
    [
      'auto_approve: [{ name: r, max_duration: 1h, time_zone: Europe/Atlantis }]',
      'flows[0].auto_approve[0].time_zone: must be an IANA time zone like Europe/Berlin',
    ],
    ['auto_approve: [{ name: r, max_duration: 1h, weekdays: [funday] }]', 'flows[0].auto_approve[0].weekdays'],
    ['auto_approve: [{ name: r, max_duration: 1h, weekdays: [8] }]', 'flows[0].auto_approve[0].weekdays'],
    [
      'auto_approve: [{ name: r, max_duration: 1h, hours: "9-5" }]',
      'flows[0].auto_approve[0].hours: must be a window like "09:00-17:00" (24-hour clock, different start and end)',
    ],
    ['auto_approve: [{ name: r }]', 'flows[0].auto_approve[0].max_duration'],
    [
      'auto_approve: [{ name: r, max_duration: 1h }, { name: r, max_duration: 2h }]',
      'flows[0].auto_approve[1].name: duplicate rule name "r"',
    ],
    [
      'auto_approve: [{ name: r, max_duration: 1h, resources: { names: [nope] } }]',
      'flows[0].auto_approve[0].resources.names[0]: unknown resource "nope"',
    ],
    [
      'reminders: { escalate_after: 1h }',
      'flows[0].reminders.escalate_to: must name at least one user or group to escalate to',
    ],
    [
      'reminders: { escalate_to: { users: [U0BOSS] } }',
      'flows[0].reminders.escalate_after: is needed with escalate_to (say after how long)',
    ],
    [
      'reminders: { remind_after: 1d }',
      'flows[0].reminders.remind_after: must be shorter than pending_ttl (1d): a request that long has already expired',
    ],
    ['pending_ttl: soon', 'flows[0].pending_ttl: must be a duration like 30m, 8h or 1d'],
    [
      'break_glass: { max_duration: 1h }',
      'flows[0].break_glass: must name at least one user or group who may break the glass',
    ],
    [
      'break_glass: { users: [U0ONCALL], channel: incidents }',
      'flows[0].break_glass.channel: must be a Slack channel id like C012ABCDEF',
    ],
    ['break_glass: { users: [U0ONCALL], surprise: true }', 'flows[0].break_glass'],
  ])('reports %s with its path', (extra, expected) => {
    expect(check(file(extra))).toContain(expected);
  });
});

describe('an auto-approval rule for requests on behalf of someone', () => {
  it('reads on_behalf: true, and writes it back only when set', () => {
    const rules = autoApproveFromFile(
      AutoApproveListSchema.parse([
        { name: 'for-others', max_duration: '1h', on_behalf: true },
        { name: 'own', max_duration: '1h' },
      ]),
    );
    expect(rules.map((r) => r.onBehalf)).toEqual([true, undefined]);
    expect(autoApproveToFile(rules)).toEqual([
      { name: 'for-others', max_duration: '1h', on_behalf: true },
      { name: 'own', max_duration: '1h' },
    ]);
  });
});

describe('lifecycle checks for App Home', () => {
  const known = new Set(['staging-db']);
  const lifecycle = (patch: Partial<typeof DEFAULT_LIFECYCLE>) => ({ ...DEFAULT_LIFECYCLE, ...patch });
  const rule = {
    name: 'r',
    resourceNames: [],
    resourceTags: [],
    maxDurationMinutes: 60,
    weekdays: [1],
    from: '09:00',
    to: '17:00',
    timeZone: 'UTC',
  };

  it('accepts the defaults and a complete lifecycle', () => {
    expect(lifecycleProblems(DEFAULT_LIFECYCLE, known)).toEqual({});
    const full = lifecycle({
      remindAfterMinutes: 30,
      escalateAfterMinutes: 60,
      escalationUsers: ['U0BOSS'],
      autoApprove: [rule],
      breakGlass: { users: ['U0ONCALL'], groups: [], maxDurationMinutes: 60, channel: 'C0X' },
    });
    expect(lifecycleProblems(full, known)).toEqual({});
  });

  it.each([
    [{ remindAfterMinutes: 1440 }, 'remindAfter'],
    [{ escalateAfterMinutes: 60 }, 'escalation'],
    [{ escalationGroups: ['S0LEADS'] }, 'escalateAfter'],
    [{ pendingTtlMinutes: Number.NaN }, 'pendingTtl'],
    [{ autoApprove: [{ ...rule, timeZone: 'Nowhere/Land' }] }, 'autoApprove'],
    [{ autoApprove: [{ ...rule, resourceNames: ['prod-db'] }] }, 'autoApprove'],
    [{ autoApprove: [rule, rule] }, 'autoApprove'],
    [{ breakGlass: { users: [], groups: [], maxDurationMinutes: 60, channel: null } }, 'breakGlass'],
    [
      { breakGlass: { users: ['U0ONCALL'], groups: [], maxDurationMinutes: 0, channel: null } },
      'breakGlassMaxDuration',
    ],
  ])('%j is refused under %s', (patch, field) => {
    expect(Object.keys(lifecycleProblems(lifecycle(patch), known))).toContain(field);
  });

  it('names the rule in the sentence', () => {
    expect(
      lifecycleProblems(lifecycle({ autoApprove: [{ ...rule, timeZone: 'Nowhere/Land' }] }), known).autoApprove,
    ).toBe('Rule “r”: Nowhere/Land is not a time zone; use one like Europe/Berlin.');
    expect(aFlow({ name: 'x' }).lifecycle).toBe(DEFAULT_LIFECYCLE);
  });
});
