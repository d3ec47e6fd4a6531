import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpsgenieClient } from '../../src/integrations/opsgenie.js';
import { startOpsgenieDouble, type OpsgenieDouble } from './opsgenie-double.js';

const KEY = 'og-read-key-0123456789';
let og: OpsgenieDouble;
const warnings: { obj: Record<string, unknown>; msg: string }[] = [];
const logger = { warn: (obj: Record<string, unknown>, msg: string) => void warnings.push({ obj, msg }) };
const client = (apiKey = KEY) => createOpsgenieClient({ url: og.url, apiKey, logger });
let scheduleId = '';

beforeAll(async () => {
  og = await startOpsgenieDouble({ apiKey: KEY });
  scheduleId = og.addSchedule({
    name: 'ops-primary',
    timeZone: 'America/New_York',
    layers: [
      {
        members: ['ana@example.com', 'ben@example.com'],
        start: '2026-01-01T08:00',
        timeZone: 'America/New_York',
        turnHours: 24,
      },
    ],
  }).id;
});
afterAll(async () => og?.stop());

describe('the Opsgenie client against the double', () => {
  it('asks by name: whoever is on call now (level 1) and who takes over next (level 2), by e-mail', async () => {
    // 8 March 2026 is the spring change in New York: the hand-off stays at 08:00 local (12:00 UTC from then on).
    const answer = await client().whoIsOnCall({ schedule: 'ops-primary' }, new Date('2026-03-08T12:30:00Z'));
    expect(answer).toEqual({
      ok: true,
      people: [
        { email: 'ana@example.com', level: 1, scheduleName: 'ops-primary' },
        { email: 'ben@example.com', level: 2, scheduleName: 'ops-primary', next: true },
      ],
    });
    const before = await client().whoIsOnCall({ schedule: 'ops-primary' }, new Date('2026-03-08T11:59:00Z'));
    expect(before.ok && before.people[0]!.email).toBe('ben@example.com');
    expect(og.requests.at(-1)!.query.get('scheduleIdentifierType')).toBe('name');
    expect(og.requests.at(-1)!.query.get('flat')).toBe('true');
  });

  it('asks by id when given the schedule’s id', async () => {
    const answer = await client().whoIsOnCall({ schedule: scheduleId }, new Date('2026-03-08T12:30:00Z'));
    expect(answer.ok).toBe(true);
    expect(og.requests.at(-1)!.query.get('scheduleIdentifierType')).toBe('id');
  });

  it('a wrong GenieKey is refused (401): unavailable with a clear log line, the key never logged', async () => {
    warnings.length = 0;
    expect(await client('og-wrong-key-999999').whoIsOnCall({ schedule: 'ops-primary' }, new Date())).toEqual({
      ok: false,
      reason: expect.stringContaining('refused the API token (401)'),
    });
    expect(warnings[0]!.msg).toContain('refused the API token');
    expect(JSON.stringify(warnings)).not.toContain('og-wrong-key');
  });

  it('an unknown schedule, a 5xx or two 429s in a row: unavailable', async () => {
    expect((await client().whoIsOnCall({ schedule: 'nope' }, new Date())).ok).toBe(false);
    // The client asks on-calls and next-on-calls at once: both answer 503.
    og.failNext(2, 503);
    expect(await client().whoIsOnCall({ schedule: 'ops-primary' }, new Date())).toEqual({
      ok: false,
      reason: 'the service answered 503',
    });
    // Each of the two calls is limited, waits out Retry-After once, and is limited again.
    og.rateLimitNext(4);
    expect(await client().whoIsOnCall({ schedule: 'ops-primary' }, new Date())).toEqual({
      ok: false,
      reason: 'rate-limited (429)',
    });
  });
});
