import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpsgenieDouble, type OpsgenieDouble } from '../doubles/opsgenie/opsgenie-double.js';
import { startPagerDutyDouble, type PagerDutyDouble } from '../doubles/pagerduty/pagerduty-double.js';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import {
  allText,
  approve,
  approverMessage,
  forgeClick,
  replyTo,
  requestAccess,
  statusOf,
} from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

const PD_TOKEN = 'u+pd-readonly-journey-token';
const OG_KEY = 'og-read-journey-key-0001';
const accessFile = `
resources:
  - { name: staging-db, type: database, tags: [staging] }
  - { name: payments-db, type: database, tags: [payments] }
  - { name: ops-db, type: database, tags: [ops] }
flows:
  - name: staging-on-call
    resources: { tags: [staging] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
    auto_approve:
      - name: on-call-responders
        max_duration: 2h
        on_call: { pagerduty: { schedules: [PSTAGE1] } }
  - name: payments
    resources: { tags: [payments] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR], on_call: { pagerduty: { escalation_policies: [PPAYPOL] } } }
    max_duration: 8h
    reminders: { escalate_after: 30m, escalate_to: { users: [U0ADMIN] } }
  - name: ops
    resources: { tags: [ops] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    auto_approve:
      - name: ops-on-call
        max_duration: 1h
        on_call: { opsgenie: { schedules: [ops-primary] } }
`;

let h: Harness;
let pd: PagerDutyDouble;
let og: OpsgenieDouble;
const oscar = PEOPLE.other;
const sam = PEOPLE.supporter;
const dana = PEOPLE.dba;

beforeAll(async () => {
  pd = await startPagerDutyDouble({ token: PD_TOKEN });
  og = await startOpsgenieDouble({ apiKey: OG_KEY });
  for (const [id, name, email] of [
    ['PUREQ01', 'Rita', 'rita@example.com'],
    ['PUOSC01', 'Oscar', 'oscar@example.com'],
    ['PUSAM01', 'Sam', 'sam@example.com'],
    ['PUDAN01', 'Dana', 'dana@example.com'],
  ] as const) {
    pd.addUser({ id, name, email });
  }
  // Dana covers staging every day (hand-off 09:00 Berlin); Rita is on call only through an override.
  pd.addSchedule({
    id: 'PSTAGE1',
    name: 'Staging primary',
    timeZone: 'Europe/Berlin',
    layers: [{ members: ['PUDAN01'], start: '2026-01-01T09:00', timeZone: 'Europe/Berlin', turnHours: 24 }],
  });
  pd.addPolicy({ id: 'PSTGPOL', name: 'Staging', rules: [{ targets: [{ type: 'schedule', id: 'PSTAGE1' }] }] });
  // Payments: Oscar is on call (level 1), Dana is the next level.
  pd.addSchedule({
    id: 'PPAYSCH',
    name: 'Payments primary',
    timeZone: 'America/New_York',
    layers: [{ members: ['PUOSC01'], start: '2026-01-01T08:00', timeZone: 'America/New_York', turnHours: 168 }],
  });
  pd.addPolicy({
    id: 'PPAYPOL',
    name: 'Payments',
    rules: [{ targets: [{ type: 'schedule', id: 'PPAYSCH' }] }, { targets: [{ type: 'user', id: 'PUDAN01' }] }],
  });
  og.addSchedule({
    name: 'ops-primary',
    timeZone: 'Europe/Berlin',
    layers: [{ members: ['rita@example.com'], start: '2026-01-01T09:00', timeZone: 'Europe/Berlin', turnHours: 24 }],
  });
  h = await startHarness({
    accessFile,
    env: {
      PAGERDUTY_API_TOKEN: PD_TOKEN,
      PAGERDUTY_API_URL: pd.url,
      OPSGENIE_API_KEY: OG_KEY,
      OPSGENIE_API_URL: og.url,
    },
  });
  h.slack.updateUser(oscar, { email: 'oscar@example.com' });
  h.slack.updateUser(sam, { email: 'sam@example.com' });
  h.slack.updateUser(dana, { email: 'dana@example.com' });
});
afterAll(async () => {
  await h?.stop();
  await pd?.stop();
  await og?.stop();
});

const justification = 'INC-7: staging deploy is stuck';
const minutes = (n: number) => new Date(h.clock.now().getTime() + n * 60_000);
/** On-call answers are cached per minute: each step moves the bot's clock past the last one. */
const nextMinute = () => h.clock.advance(2);
const row = async (id: string) =>
  (
    await h.sql`select status, decided_by, auto_approved_by, auto_approved_on_call, on_call_approvers, on_call_notes, notified_approvers from access_requests where id = ${id}`
  )[0]!;
const audit = async (id: string) =>
  h.sql`select action, details from audit_events where request_id = ${id} order by id`;

describe('auto-approval for whoever is on call', () => {
  it('the requester on call on the named PagerDuty schedule is approved at once, and the message names the schedule', async () => {
    pd.override('PSTAGE1', { member: 'PUREQ01', start: minutes(-5), end: minutes(60) });
    const [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['staging-db'],
      duration: '60',
      justification,
    })) as [string];
    expect(await row(id)).toMatchObject({
      status: 'active',
      decided_by: null,
      auto_approved_by: 'on-call-responders',
      auto_approved_on_call: 'PagerDuty schedule “Staging primary” (PSTAGE1)',
    });
    expect(allText(approverMessage(h, PEOPLE.approver, id).message.blocks)).toContain(
      'Auto-approved by rule “on-call-responders” (the requester is on call on PagerDuty schedule “Staging primary” (PSTAGE1))',
    );
    const approved = (await audit(id)).find((e) => e.action === 'request.auto_approved')!;
    expect(approved.details).toMatchObject({
      rule: { name: 'on-call-responders' },
      onCall: 'PagerDuty schedule “Staging primary” (PSTAGE1)',
    });
    // The bot asked with its token and the requester's time.
    expect(pd.requests.at(-1)).toMatchObject({ authorized: true, status: 200 });
  });

  it('longer than the rule allows: the humans decide even though the requester is on call', async () => {
    nextMinute();
    const [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['staging-db'],
      duration: '240',
      justification,
    })) as [string];
    expect(await statusOf(h, id)).toBe('pending');
  });

  it('an off-call requester goes to the approvers, with no warning in the message', async () => {
    pd.clearOverrides('PSTAGE1');
    nextMinute();
    const [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['staging-db'],
      duration: '60',
      justification,
    })) as [string];
    expect(await row(id)).toMatchObject({ status: 'pending', auto_approved_by: null, on_call_notes: [] });
    const text = allText(approverMessage(h, PEOPLE.approver, id).message.blocks);
    expect(text).toContain('review.approve');
    expect(text).not.toContain('could not be reached');
  });

  it('PagerDuty answering 5xx: no auto-approval, the approvers decide and their message says why, also after the decision', async () => {
    pd.override('PSTAGE1', { member: 'PUREQ01', start: minutes(-5), end: minutes(600) });
    nextMinute();
    pd.failNext(1, 503);
    const [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['staging-db'],
      duration: '60',
      justification,
    })) as [string];
    const note = 'PagerDuty could not be reached, so on-call auto-approval was not checked.';
    expect(await row(id)).toMatchObject({ status: 'pending', on_call_notes: [note] });
    expect(allText(approverMessage(h, PEOPLE.approver, id).message.blocks)).toContain(note);
    const asked = pd.requests.length;
    await approve(h, PEOPLE.approver, id);
    expect(await statusOf(h, id)).toBe('active');
    expect(allText(approverMessage(h, PEOPLE.approver, id).message.blocks)).toContain(note);
    // The decision re-rendered every message without asking PagerDuty again.
    expect(pd.requests.length).toBe(asked);
  });

  it('PagerDuty rate-limiting twice in a row (429): the humans decide, with the same note', async () => {
    nextMinute();
    pd.rateLimitNext(2, 0);
    const [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['staging-db'],
      duration: '60',
      justification,
    })) as [string];
    expect(await row(id)).toMatchObject({
      status: 'pending',
      on_call_notes: ['PagerDuty could not be reached, so on-call auto-approval was not checked.'],
    });
  });

  it('a single 429 is waited out: the on-call requester is still approved', async () => {
    nextMinute();
    pd.rateLimitNext(1, 0);
    const [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['staging-db'],
      duration: '60',
      justification,
    })) as [string];
    expect(await statusOf(h, id)).toBe('active');
  });

  it('Opsgenie: the requester on call on ops-primary is approved, and the message names it', async () => {
    const [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['ops-db'],
      duration: '60',
      justification,
    })) as [string];
    expect(await row(id)).toMatchObject({
      status: 'active',
      auto_approved_by: 'ops-on-call',
      auto_approved_on_call: 'Opsgenie schedule ops-primary',
    });
    expect(allText(approverMessage(h, PEOPLE.approver, id).message.blocks)).toContain(
      'on call on Opsgenie schedule ops-primary',
    );
    expect(og.requests.some((r) => r.authorized && r.path === '/v2/schedules/ops-primary/on-calls')).toBe(true);
  });

  it('Opsgenie off call: the approvers decide', async () => {
    og.override('ops-primary', { member: 'sam@example.com', start: minutes(-1), end: minutes(600) });
    nextMinute();
    const [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['ops-db'],
      duration: '60',
      justification,
    })) as [string];
    expect(await statusOf(h, id)).toBe('pending');
  });
});

describe('on-call approvers', () => {
  let id: string;

  it('whoever is on call when the request arrives gets the approval message too, and is recorded on the request', async () => {
    nextMinute();
    [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['payments-db'],
      duration: '60',
      justification,
    })) as [string];
    const r = await row(id);
    expect(r).toMatchObject({ status: 'pending', on_call_approvers: [oscar] });
    expect(r.notified_approvers).toEqual(expect.arrayContaining([PEOPLE.approver, oscar]));
    expect(allText(approverMessage(h, oscar, id).message.blocks)).toContain('review.approve');
    expect(allText(approverMessage(h, PEOPLE.approver, id).message.blocks)).toContain(
      `On call, asked too: <@${oscar}>`,
    );
    // Dana is the next level: not asked yet.
    expect(h.slack.dmsTo(dana).some((m) => allText(m.blocks).includes(id))).toBe(false);
  });

  it('someone who is not on call (nor an approver) cannot decide, even with a signed click', async () => {
    const reply = await replyTo(h, () => forgeClick(h, sam, approverMessage(h, oscar, id), 'review.approve', id));
    expect(reply.text).toBe('Only an approver of this request can do that.');
    expect(await statusOf(h, id)).toBe('pending');
  });

  it('the on-call approver finds it among the requests to review in App Home; someone not on call does not', async () => {
    for (const who of [oscar, sam]) {
      const before = h.slack.calls('views.publish').length;
      await h.driver.appHomeOpened(who);
      await until(() => h.slack.calls('views.publish').length > before, 'home published');
    }
    expect(allText(h.slack.home(oscar)?.view.blocks)).toContain(id);
    expect(allText(h.slack.home(sam)?.view.blocks)).not.toContain(id);
  });

  it('the on-call approver approves', async () => {
    await approve(h, oscar, id);
    expect(await row(id)).toMatchObject({ status: 'active', decided_by: oscar });
  });
});

describe('a hand-off while a request is pending', () => {
  let id: string;

  it('the person asked first keeps the request; escalation asks whoever is on call then, and the next level', async () => {
    nextMinute();
    [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['payments-db'],
      duration: '60',
      justification,
    })) as [string];
    expect((await row(id)).on_call_approvers).toEqual([oscar]);
    // Sam takes over from Oscar ten minutes later.
    pd.override('PPAYSCH', { member: 'PUSAM01', start: minutes(10), end: minutes(24 * 60) });
    h.clock.advance(15);
    const early = await replyTo(h, () => forgeClick(h, sam, approverMessage(h, oscar, id), 'review.approve', id));
    expect(early.text).toBe('Only an approver of this request can do that.');

    h.clock.advance(16);
    await h.app.jobs.lifecycleNow();
    await h.settle();
    const r = await row(id);
    expect(r.on_call_approvers).toEqual([oscar, sam, dana]);
    for (const who of [sam, dana, PEOPLE.admin])
      expect(allText(approverMessage(h, who, id).message.blocks)).toContain('review.approve');
    const escalated = (await audit(id)).find((e) => e.action === 'request.escalated')!;
    expect(escalated.details).toMatchObject({ onCall: [sam, dana] });
  });

  it('Oscar, asked first and now off call, may still decide: his Approve… opens the form', async () => {
    h.slack.clearViews(oscar);
    await h.driver.clickButton(oscar, approverMessage(h, oscar, id), 'review.approve');
    const modal = await until(() => h.slack.topView(oscar), 'the tuning modal');
    expect(allText(modal.view.blocks)).toContain('payments-db');
    h.slack.clearViews(oscar);
  });

  it('the next level (Dana) may now approve', async () => {
    await approve(h, dana, id);
    expect(await row(id)).toMatchObject({ status: 'active', decided_by: dana });
  });
});

describe('secrets', () => {
  it('neither the PagerDuty token nor the Opsgenie key reaches the logs or the audit trail', async () => {
    expect(h.logs.length).toBeGreaterThan(0);
    expect(h.logs.join('')).not.toContain(PD_TOKEN);
    expect(h.logs.join('')).not.toContain(OG_KEY);
    const [{ n }] =
      (await h.sql`select count(*)::int as n from audit_events where details::text like ${`%${PD_TOKEN}%`} or details::text like ${`%${OG_KEY}%`}`) as unknown as [
        { n: number },
      ];
    expect(n).toBe(0);
  });
});
