import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPagerDutyDouble, type PagerDutyDouble } from '../doubles/pagerduty/pagerduty-double.js';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approverMessage, requestAccess } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/**
 * Auto-approval and requests on someone's behalf: a rule never approves a request made for someone else
 * unless it says `on_behalf: true`, and then its on-call condition must hold for the beneficiary (the
 * person who gets the access), never for the person who asked.
 */
const PD_TOKEN = 'u+pd-readonly-on-behalf-token';
const accessFile = `
resources:
  - { name: staging-db, type: database, tags: [staging] }
  - { name: ops-db, type: database, tags: [ops] }
flows:
  - name: staging
    resources: { tags: [staging] }
    requesters: { users: [U0REQ, U0OTHER] }
    approvers: { users: [U0APPR] }
    on_behalf: { requesters: { users: [U0DBA1] }, for: anyone_in_flow }
    auto_approve:
      - { name: short-reads, max_duration: 2h }
  - name: ops
    resources: { tags: [ops] }
    requesters: { users: [U0REQ, U0OTHER] }
    approvers: { users: [U0APPR] }
    on_behalf: { requesters: { users: [U0DBA1] }, for: anyone_in_flow }
    auto_approve:
      - name: responders
        max_duration: 2h
        on_behalf: true
        on_call: { pagerduty: { schedules: [PRITA01, PDANA01] } }
`;

const lead = PEOPLE.dba;
const rita = PEOPLE.requester;
const oscar = PEOPLE.other;
const alex = PEOPLE.approver;

let h: Harness;
let pd: PagerDutyDouble;
beforeAll(async () => {
  pd = await startPagerDutyDouble({ token: PD_TOKEN });
  for (const [id, name, email] of [
    ['PUREQ01', 'Rita', 'rita@example.com'],
    ['PUOSC01', 'Oscar', 'oscar@example.com'],
    ['PUDAN01', 'Dana', 'dana@example.com'],
  ] as const)
    pd.addUser({ id, name, email });
  // Rita and Dana (the lead who asks) are on call all the time; Oscar never is.
  for (const [schedule, member] of [
    ['PRITA01', 'PUREQ01'],
    ['PDANA01', 'PUDAN01'],
  ] as const) {
    pd.addSchedule({
      id: schedule,
      name: `${member} primary`,
      timeZone: 'UTC',
      layers: [{ members: [member], start: '2026-01-01T00:00', timeZone: 'UTC', turnHours: 24 }],
    });
    // PagerDuty lists who is on call through escalation policies: each schedule is in one.
    pd.addPolicy({ id: `${schedule}P`, name: schedule, rules: [{ targets: [{ type: 'schedule', id: schedule }] }] });
  }
  h = await startHarness({ accessFile, env: { PAGERDUTY_API_TOKEN: PD_TOKEN, PAGERDUTY_API_URL: pd.url } });
  h.slack.updateUser(oscar, { email: 'oscar@example.com' });
  h.slack.updateUser(lead, { email: 'dana@example.com' });
});
afterAll(async () => {
  await h?.stop();
  await pd?.stop();
});

const justification = 'INC-21: look at the replication lag';
const row = async (id: string) =>
  (await h.sql`select status, requester_id, requested_by, auto_approved_by from access_requests where id = ${id}`)[0]!;

/** What the lead's last "Request sent" view said. */
let lastSent = '';

/** The lead asks for `forUser` through the form's "For" picker; returns the new request's id. */
async function askFor(forUser: string, resource: string): Promise<string> {
  h.slack.clearViews(lead);
  const before = new Set((await h.sql`select id from access_requests`).map((r) => r.id as string));
  await h.driver.command(lead, '/access', 'request');
  const modal = await until(() => h.slack.topView(lead), 'the request modal');
  await h.driver.selectAction(lead, { viewId: modal.id }, 'request.for.pick', forUser);
  const redrawn = await until(() => {
    const v = h.slack.topView(lead);
    return v && allText(v.view.blocks).includes(`"initial_user":"${forUser}"`) ? v : undefined;
  }, 'the form redrawn for the beneficiary');
  const res = await h.driver.submitView(lead, redrawn.id, {
    'request.for': forUser,
    'request.resources': [resource],
    'request.duration': '60',
    'request.justification': justification,
  });
  expect(res.json?.response_action).not.toBe('errors');
  lastSent = allText(res.json?.view?.blocks);
  h.slack.clearViews(lead);
  await h.settle();
  const [id] = (await h.sql`select id from access_requests order by created_at desc, id desc limit 1`).map(
    (r) => r.id as string,
  );
  expect(before.has(id!)).toBe(false);
  return id!;
}

describe('auto-approval of a request made on behalf of someone', () => {
  it('a rule without on_behalf approves Rita asking for herself, but not the lead asking for her: people decide', async () => {
    const [own] = (await requestAccess(h, rita, { resources: ['staging-db'], duration: '60', justification })) as [
      string,
    ];
    expect(await row(own)).toMatchObject({ status: 'active', auto_approved_by: 'short-reads' });
    const id = await askFor(rita, 'staging-db');
    expect(await row(id)).toMatchObject({
      status: 'pending',
      requester_id: rita,
      requested_by: lead,
      auto_approved_by: null,
    });
    expect(allText(approverMessage(h, alex, id).message.blocks)).toContain('review.approve');
  });

  it('a rule with on_behalf: true approves it when the beneficiary is on call', async () => {
    const id = await askFor(rita, 'ops-db');
    expect(await row(id)).toMatchObject({ status: 'active', requested_by: lead, auto_approved_by: 'responders' });
    // The lead reads that Rita, not the lead, is on call and gets the access.
    expect(lastSent).toContain(`for <@${rita}>:`);
    expect(lastSent).toContain(`(<@${rita}> is on call on`);
    expect(lastSent).not.toContain('you are on call');
    const [approved] =
      await h.sql`select details from audit_events where request_id = ${id} and action = 'request.auto_approved'`;
    expect(approved!.details).toMatchObject({ rule: { name: 'responders', onBehalf: true } });
  });

  it('the lead being on call does not count: for Oscar, who is not, people decide', async () => {
    const id = await askFor(oscar, 'ops-db');
    expect(await row(id)).toMatchObject({ status: 'pending', requester_id: oscar, auto_approved_by: null });
  });
});
