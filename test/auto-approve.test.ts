import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryProvisioner } from '../src/provisioners/memory/memory-provisioner.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approverMessage, requestAccess, statusOf } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

const memory = createMemoryProvisioner();

/** "HH:MM" in UTC, `minutes` from now: the rule's window is chosen around the moment the test runs. */
const utc = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString().slice(11, 16);
/** Open from an hour ago to two hours from now, every day (a window past midnight works the same). */
const window = `"${utc(-60)}-${utc(120)}"`;

const accessFile = `
resources:
  - { name: staging-db, type: database, tags: [staging], provisioner: { type: memory } }
  - { name: staging-k8s, type: kubernetes, tags: [staging] }
  - { name: shop-k8s, type: kubernetes, tags: [staging], defaults: { namespaces: [shop] } }
  - { name: staging-grafana, type: http, tags: [observability] }
flows:
  - name: staging
    resources: { tags: [staging] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR], groups: [S0DBTEAM] }
    max_duration: 8h
    auto_approve:
      - name: office-hours
        resources: { tags: [staging] }
        max_duration: 1h
        hours: ${window}
        time_zone: UTC
  - name: observability
    resources: { tags: [observability] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
    notify_channel: C0GENERAL
    auto_approve: [{ name: dashboards, max_duration: 4h }]
`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ accessFile, app: { extraProvisioners: [memory.provisioner] } });
});
afterAll(async () => {
  await h?.stop();
});

const justification = 'Checking the staging migration';
const requestRow = async (id: string) =>
  (await h.sql`select status, decided_by, auto_approved_by from access_requests where id = ${id}`)[0]!;
const audit = async (id: string) =>
  h.sql`select action, actor, details from audit_events where request_id = ${id} order by id`;

describe('auto-approval inside the rule’s window', () => {
  let id: string;

  it('grants at once, with no human, read-only and untuned', async () => {
    [id] = (await requestAccess(h, PEOPLE.requester, { resources: ['staging-db'], duration: '60', justification })) as [
      string,
    ];
    expect(await requestRow(id)).toEqual({ status: 'active', decided_by: null, auto_approved_by: 'office-hours' });
    const [grant] = await h.sql`select approved_by, policy, status from grants where request_id = ${id}`;
    expect(grant).toMatchObject({
      approved_by: 'rule:office-hours',
      status: 'active',
      policy: {
        durationMinutes: 60,
        resources: [{ type: 'database', resource: 'staging-db', access: 'read-only', databases: [] }],
      },
    });
  });

  it('audits the rule that approved it, instead of an approver', async () => {
    const events = await audit(id);
    expect(events.map((e) => e.action)).toEqual(['request.created', 'request.auto_approved', 'grant.provisioned']);
    const approved = events[1]!;
    expect(approved.actor).toBe('system');
    expect(approved.details).toMatchObject({
      flow: 'staging',
      rule: { name: 'office-hours', maxDurationMinutes: 60, timeZone: 'UTC' },
    });
  });

  it('provisions the grant like a human approval would', async () => {
    const [target] =
      await h.sql`select t.status from grant_targets t join grants g on g.id = t.grant_id where g.request_id = ${id}`;
    expect(target?.status).toBe('active');
    const [grant] = await h.sql`select id from grants where request_id = ${id}`;
    expect(memory.has(grant!.id as string, 'staging-db')).toBe(true);
  });

  it('tells every approver after the fact, with no buttons to decide', async () => {
    for (const approver of [PEOPLE.approver, PEOPLE.dba]) {
      const text = allText(approverMessage(h, approver, id).message.blocks);
      expect(text).toContain('Auto-approved by rule “office-hours”');
      expect(text).not.toContain('review.approve');
      expect(text).toContain('review.revoke');
    }
  });

  it('sends the requester the usual approval notice, naming the rule', async () => {
    const notice = h.slack
      .dmsTo(PEOPLE.requester)
      .find((m) => allText(m.blocks).includes('approved your request') && allText(m.blocks).includes(id))!;
    expect(allText(notice.blocks)).toContain('Auto-approval rule “office-hours” approved your request');
  });
});

describe('requests a rule does not cover wait for a human', () => {
  it('longer than the rule’s maximum', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['staging-db'],
      duration: '240',
      justification,
    });
    expect(await requestRow(id!)).toEqual({ status: 'pending', decided_by: null, auto_approved_by: null });
    expect(allText(approverMessage(h, PEOPLE.approver, id!).message.blocks)).toContain('review.approve');
    expect((await audit(id!)).map((e) => e.action)).toEqual(['request.created']);
  });

  it('a Kubernetes resource without default namespaces (nothing safe to grant untuned)', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['staging-k8s'],
      duration: '60',
      justification,
    });
    expect(await statusOf(h, id!)).toBe('pending');
  });

  it('but a Kubernetes resource with default namespaces gets view there', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, { resources: ['shop-k8s'], duration: '30', justification });
    expect(await statusOf(h, id!)).toBe('active');
    const [grant] = await h.sql`select policy from grants where request_id = ${id!}`;
    expect(grant?.policy).toMatchObject({ resources: [{ type: 'kubernetes', role: 'view', namespaces: ['shop'] }] });
  });
});

describe('a flow that notifies a channel', () => {
  it('posts the auto-approved request in the channel after the fact, not in DMs', async () => {
    const before = h.slack.dmsTo(PEOPLE.approver).length;
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['staging-grafana'],
      duration: '120',
      justification,
    });
    expect(await requestRow(id!)).toMatchObject({ status: 'active', auto_approved_by: 'dashboards' });
    const post = h.slack.messagesIn('C0GENERAL').find((m) => allText(m.blocks).includes(id!));
    expect(allText(post?.blocks)).toContain('Auto-approved by rule “dashboards”');
    expect(h.slack.dmsTo(PEOPLE.approver).length).toBe(before);
    const [grant] = await h.sql`select policy from grants where request_id = ${id!}`;
    expect(grant?.policy).toMatchObject({ resources: [{ type: 'http', access: 'read-only' }] });
  });
});

describe('outside the rule’s window', () => {
  it('the same request waits for a human once the clock has left the window', async () => {
    h.clock.advance(4 * 60);
    const [id] = await requestAccess(h, PEOPLE.requester, { resources: ['staging-db'], duration: '60', justification });
    expect(await requestRow(id!)).toEqual({ status: 'pending', decided_by: null, auto_approved_by: null });
    expect(allText(approverMessage(h, PEOPLE.dba, id!).message.blocks)).toContain('review.approve');
  });
});
