import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOnCallDirectory } from '../../src/integrations/on-call-directory.js';
import { createPagerDutyClient } from '../../src/integrations/pagerduty.js';
import { startPagerDutyDouble, type PagerDutyDouble } from './pagerduty-double.js';

const TOKEN = 'u+pd-readonly-token-1234';
let pd: PagerDutyDouble;
const warnings: { obj: Record<string, unknown>; msg: string }[] = [];
const logger = { warn: (obj: Record<string, unknown>, msg: string) => void warnings.push({ obj, msg }) };
const client = (token = TOKEN) => createPagerDutyClient({ url: pd.url, token, logger, timeoutMs: 2000 });

beforeAll(async () => {
  pd = await startPagerDutyDouble({ token: TOKEN, pageSize: 1 });
  pd.addUser({ id: 'PUANA01', name: 'Ana', email: 'ana@example.com' });
  pd.addUser({ id: 'PUBEN01', name: 'Ben', email: 'ben@example.com' });
  pd.addUser({ id: 'PUMGR01', name: 'Mia Manager', email: 'mia@example.com' });
  pd.addSchedule({
    id: 'PSCHED1',
    name: 'Primary on-call',
    timeZone: 'Europe/Berlin',
    layers: [{ members: ['PUANA01', 'PUBEN01'], start: '2026-01-01T09:00', timeZone: 'Europe/Berlin', turnHours: 24 }],
  });
  pd.addPolicy({
    id: 'PPOLICY',
    name: 'Payments',
    rules: [{ targets: [{ type: 'schedule', id: 'PSCHED1' }] }, { targets: [{ type: 'user', id: 'PUMGR01' }] }],
  });
});
afterAll(async () => pd?.stop());

describe('the PagerDuty client against the double', () => {
  it('asks who is on call on a schedule at an instant: the hand-off at 09:00 Berlin time changes the answer', async () => {
    const before = await client().whoIsOnCall({ schedule: 'PSCHED1' }, new Date('2026-01-01T07:59:00Z'));
    const after = await client().whoIsOnCall({ schedule: 'PSCHED1' }, new Date('2026-01-02T08:00:00Z'));
    expect(before).toEqual({ ok: true, people: [] }); // before the rotation's first hand-off: nobody
    expect(after).toEqual({
      ok: true,
      people: [{ email: 'ben@example.com', level: 1, scheduleName: 'Primary on-call' }],
    });
    const first = await client().whoIsOnCall({ schedule: 'PSCHED1' }, new Date('2026-01-01T08:00:00Z'));
    expect(first).toEqual({
      ok: true,
      people: [{ email: 'ana@example.com', level: 1, scheduleName: 'Primary on-call' }],
    });
  });

  it('sends the token and the v2 Accept header, and pages with offset while more', async () => {
    pd.requests.length = 0;
    const answer = await client().whoIsOnCall({ escalationPolicy: 'PPOLICY' }, new Date('2026-01-01T08:00:00Z'));
    expect(answer).toEqual({
      ok: true,
      people: [
        { email: 'ana@example.com', level: 1, scheduleName: 'Primary on-call' },
        { email: 'mia@example.com', level: 2, scheduleName: 'Payments' },
      ],
    });
    expect(pd.requests.map((r) => r.query.get('offset'))).toEqual(['0', '1']);
    expect(
      pd.requests.every(
        (r) =>
          r.authorized &&
          r.accept === 'application/vnd.pagerduty+json;version=2' &&
          r.query.getAll('include[]').includes('users'),
      ),
    ).toBe(true);
  });

  it('asked by schedule, the person on it is the first level even where a policy uses the schedule at level 2', async () => {
    pd.addPolicy({
      id: 'PBACKUP',
      name: 'Backup',
      rules: [{ targets: [{ type: 'user', id: 'PUMGR01' }] }, { targets: [{ type: 'schedule', id: 'PSCHED1' }] }],
    });
    try {
      const answer = await client().whoIsOnCall({ schedule: 'PSCHED1' }, new Date('2026-01-01T08:00:00Z'));
      expect(answer).toEqual({
        ok: true,
        people: [{ email: 'ana@example.com', level: 1, scheduleName: 'Primary on-call' }],
      });
    } finally {
      pd.policies.delete('PBACKUP');
    }
  });

  it('a wrong token is refused (401): unavailable, with a log line that says so and never holds the token', async () => {
    warnings.length = 0;
    const answer = await client('wrong-token-000000').whoIsOnCall(
      { schedule: 'PSCHED1' },
      new Date('2026-01-02T08:00:00Z'),
    );
    expect(answer).toEqual({ ok: false, reason: expect.stringContaining('refused the API token (401)') });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain('refused the API token');
    expect(JSON.stringify(warnings)).not.toContain('wrong-token');
    expect(pd.requests.at(-1)).toMatchObject({ authorized: false, status: 401 });
  });

  it('honours one 429 (ratelimit-reset) and answers; a second 429 in a row means unavailable', async () => {
    pd.rateLimitNext(1, 0);
    expect((await client().whoIsOnCall({ schedule: 'PSCHED1' }, new Date('2026-01-03T08:00:00Z'))).ok).toBe(true);
    pd.rateLimitNext(2, 0);
    expect(await client().whoIsOnCall({ schedule: 'PSCHED1' }, new Date('2026-01-03T08:00:00Z'))).toEqual({
      ok: false,
      reason: 'rate-limited (429)',
    });
  });

  it('a 5xx or an unreachable server means unavailable, never a throw', async () => {
    pd.failNext(1, 502);
    expect(await client().whoIsOnCall({ schedule: 'PSCHED1' }, new Date())).toEqual({
      ok: false,
      reason: 'the service answered 502',
    });
    const gone = createPagerDutyClient({ url: 'http://127.0.0.1:9', token: TOKEN, logger });
    expect((await gone.whoIsOnCall({ schedule: 'PSCHED1' }, new Date())).ok).toBe(false);
  });

  it('a server that never answers: unavailable once the lookup’s budget is spent', async () => {
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const answer = await createPagerDutyClient({ url, token: TOKEN, logger, timeoutMs: 300 }).whoIsOnCall(
        { schedule: 'PSCHED1' },
        new Date(),
      );
      expect(answer).toEqual({ ok: false, reason: 'no answer within 300 ms' });
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('the directory asks once per reference and minute, and asks again after a failure', async () => {
    const directory = createOnCallDirectory({ pagerduty: client() });
    pd.requests.length = 0;
    const at = new Date('2026-01-04T08:00:10Z');
    await Promise.all([
      directory.whoIsOnCall({ service: 'pagerduty', schedule: 'PSCHED1' }, at),
      directory.whoIsOnCall({ service: 'pagerduty', schedule: 'PSCHED1' }, new Date('2026-01-04T08:00:50Z')),
    ]);
    expect(pd.requests).toHaveLength(1);
    pd.failNext(1, 500);
    expect(
      (await directory.whoIsOnCall({ service: 'pagerduty', schedule: 'PSCHED1' }, new Date('2026-01-04T09:00:00Z'))).ok,
    ).toBe(false);
    expect(
      (await directory.whoIsOnCall({ service: 'pagerduty', schedule: 'PSCHED1' }, new Date('2026-01-04T09:00:00Z'))).ok,
    ).toBe(true);
  });
});
