import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEntraProvisioner } from '../src/provisioners/entra/entra-provisioner.js';
import {
  DOUBLE_CLIENT_ID,
  DOUBLE_CLIENT_SECRET,
  startEntraDouble,
  type EntraDouble,
} from '../doubles/entra/entra-double.js';
import { startHarness, type Harness } from './support/harness.js';
import { until } from '../doubles/slack/driver.js';
import {
  allText,
  approve,
  approverMessage,
  requestAccess,
  retryNow,
  revoke,
  statusOf,
  targetOf,
} from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/**
 * Entra ID group membership end to end: Slack request and approval, the provisioning service and its
 * outbox, the real Microsoft SDKs, and the Entra double (token endpoint and Graph over TLS).
 */
const GROUP = '5b1f0c3e-7a2d-4e6b-9c8a-2f4d6e8a0b1c';
const RITA = '7e6d5c4b-3a29-4817-9605-f4e3d2c1b0a9';
let d: EntraDouble;
let h: Harness;

const entraResource = (name: string, secretEnv: string, url: string, tenant: string) => `
  - name: ${name}
    type: group
    tags: [entra]
    provisioner:
      type: entra
      tenant_id: ${tenant}
      client_id: ${DOUBLE_CLIENT_ID}
      client_secret: "env:${secretEnv}"
      group_id: ${GROUP}
      authority_host: "${url}"
      graph_url: "${url}"`;

beforeAll(async () => {
  d = await startEntraDouble({
    users: [{ id: RITA, mail: 'rita@example.com', userPrincipalName: 'rita.requester@contoso.onmicrosoft.com' }],
    groups: [{ id: GROUP, displayName: 'Prod admins' }],
  });
  const accessFile = `
resources:${entraResource('entra-prod-admins', 'ACCESS_SECRET_ENTRA_CLIENT_SECRET', d.url, d.tenantId)}${entraResource('entra-misconfigured', 'ACCESS_SECRET_ENTRA_OLD_SECRET', d.url, d.tenantId)}
flows:
  - name: entra
    resources: { tags: [entra] }
    requesters: { users: [U0REQ, U0OTHER] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
`;
  h = await startHarness({
    accessFile,
    app: {
      secretEnv: {
        ACCESS_SECRET_ENTRA_CLIENT_SECRET: DOUBLE_CLIENT_SECRET,
        ACCESS_SECRET_ENTRA_OLD_SECRET: 'an-expired-secret-value',
      },
      // The registered entra provisioner, given the double's certificate to trust (and no retry pauses).
      extraProvisioners: [
        createEntraProvisioner({ ca: d.ca, retry: { maxRetries: 2, delaySeconds: 0, maxRetryAfterSeconds: 5 } }),
      ],
    },
  });
});
afterAll(async () => {
  await h?.stop();
  await d?.stop();
});

const audit = async (id: string) =>
  (await h.sql`select action, details from audit_events where request_id = ${id} order by id`).map((r) => ({
    action: r.action as string,
    details: r.details as Record<string, unknown>,
  }));
const grantRita = async (justification: string) => {
  const [id] = (await requestAccess(h, PEOPLE.requester, {
    resources: ['entra-prod-admins'],
    duration: '60',
    justification,
  })) as [string];
  await approve(h, PEOPLE.approver, id);
  await h.settle();
  return id;
};

describe('Entra ID group membership through Slack', () => {
  it('approval makes the requester a member of the group and tells them how to use it', async () => {
    const id = await grantRita('ENTRA-1 on call');
    expect(await statusOf(h, id)).toBe('active');
    expect(d.members(GROUP)).toEqual([RITA]);
    const ready = h.slack.dmsTo(PEOPLE.requester).find((m) => m.text.includes('is ready') && m.text.includes(id))!;
    expect(allText(ready.blocks)).toContain('You are a member of the Entra ID group');
    expect(allText(ready.blocks)).toContain('rita.requester@contoso.onmicrosoft.com');
    expect(await targetOf(h, id)).toMatchObject({ status: 'active', state: { groupId: GROUP, userId: RITA } });
    const secretsSeen = JSON.stringify([
      await h.sql`select * from audit_events`,
      await h.sql`select * from grant_targets`,
      await h.sql`select * from outbox`,
      h.logs,
    ]);
    expect(secretsSeen).not.toContain(DOUBLE_CLIENT_SECRET);

    await revoke(h, PEOPLE.approver, id);
    expect(d.members(GROUP)).toEqual([]);
    expect((await audit(id)).map((a) => a.action)).toContain('grant.deprovisioned');
  });

  it('at expiry the membership is removed', async () => {
    const id = await grantRita('ENTRA-2');
    expect(d.members(GROUP)).toEqual([RITA]);
    h.clock.advance(61);
    await h.app.jobs.expireNow();
    await h.settle();
    expect(await statusOf(h, id)).toBe('expired');
    expect(d.members(GROUP)).toEqual([]);
  });

  it('reconcile puts back a membership removed by hand, and removes one added by hand after the grant ended', async () => {
    const id = await grantRita('ENTRA-3');
    d.removeMember(GROUP, RITA);
    expect(await h.app.services.provisioning.reconcile()).toMatchObject({ reprovisioned: 1 });
    await h.settle();
    expect(d.members(GROUP)).toEqual([RITA]);

    await revoke(h, PEOPLE.approver, id);
    expect(d.members(GROUP)).toEqual([]);
    d.addMember(GROUP, RITA);
    // One membership per person: every ended grant of Rita to this group (earlier tests too) finds it left over.
    expect((await h.app.services.provisioning.reconcile()).removed).toBeGreaterThanOrEqual(1);
    await h.settle();
    expect(d.members(GROUP)).toEqual([]);
    expect((await audit(id)).map((a) => a.action)).toContain('reconcile.missing_access');
    expect(await h.sql`select 1 from audit_events where action = 'reconcile.leftover_access'`).not.toHaveLength(0);
    expect(await h.app.services.provisioning.reconcile()).toEqual({ reprovisioned: 0, removed: 0 });
  });

  it('a membership that already exists, or is already gone, counts as done', async () => {
    d.addMember(GROUP, RITA);
    const id = await grantRita('ENTRA-4');
    expect(await targetOf(h, id)).toMatchObject({ status: 'active' });
    expect(d.members(GROUP)).toEqual([RITA]);
    d.removeMember(GROUP, RITA);
    await revoke(h, PEOPLE.approver, id);
    expect(await targetOf(h, id)).toMatchObject({ status: 'removed' });
  });

  it('while Graph is down the outbox retries until the membership exists', async () => {
    d.failGraph(2, { status: 500 });
    const id = await grantRita('ENTRA-5');
    expect(d.members(GROUP)).toEqual([]);
    expect(await targetOf(h, id)).toMatchObject({ status: 'pending' });
    await retryNow(h);
    expect(d.members(GROUP)).toEqual([]);
    await retryNow(h);
    expect(d.members(GROUP)).toEqual([RITA]);
    const actions = (await audit(id)).map((a) => a.action);
    expect(actions.filter((a) => a === 'grant.provision_attempt_failed')).toHaveLength(2);
    expect(actions.at(-1)).toBe('grant.provisioned');
    await revoke(h, PEOPLE.approver, id);
    expect(d.members(GROUP)).toEqual([]);
  });

  it('an approved extension keeps the membership without touching Entra, and it still ends at the new end', async () => {
    const id = await grantRita('ENTRA-EXT');
    const [before] = await h.sql`select id, expires_at from grants where request_id = ${id}`;
    const mine = h.slack
      .dmsTo(PEOPLE.requester)
      .find((m) => allText(m.blocks).includes(id) && allText(m.blocks).includes('You '))!;
    await h.driver.clickButton(PEOPLE.requester, { channel: mine.channel, ts: mine.ts }, 'request.extend');
    const modal = await until(() => h.slack.topView(PEOPLE.requester), 'extend modal');
    await h.driver.submitView(PEOPLE.requester, modal.id, {
      'extend.duration': '120',
      'extend.reason': 'ENTRA-EXT needs two more hours',
    });
    h.slack.clearViews(PEOPLE.requester);
    await h.settle();
    const [ext] = await h.sql`select id from access_requests where extends_request_id = ${id}`;
    const graphBefore = d.graphRequests().length;
    await h.driver.clickButton(
      PEOPLE.approver,
      approverMessage(h, PEOPLE.approver, ext!.id as string),
      'review.approve',
    );
    const tuning = await until(() => h.slack.topView(PEOPLE.approver), 'tuning');
    await h.driver.submitView(PEOPLE.approver, tuning.id, {});
    h.slack.clearViews(PEOPLE.approver);
    await h.settle();
    const [after] = await h.sql`select id, expires_at from grants where request_id = ${id}`;
    expect(after!.id).toBe(before!.id);
    expect((after!.expires_at as Date).getTime() - (before!.expires_at as Date).getTime()).toBe(120 * 60_000);
    expect(d.members(GROUP)).toEqual([RITA]);
    expect(
      d
        .graphRequests()
        .filter((r) => r.method !== 'GET')
        .slice(graphBefore),
    ).toEqual([]);
    expect((await audit(id)).map((a) => a.action)).toContain('grant.extended_in_target');

    h.clock.advance(61); // past the first end: still a member
    await h.app.jobs.expireNow();
    await h.settle();
    expect(await statusOf(h, id)).toBe('active');
    expect(d.members(GROUP)).toEqual([RITA]);
    h.clock.advance(120);
    await h.app.jobs.expireNow();
    await h.settle();
    expect(await statusOf(h, id)).toBe('expired');
    expect(d.members(GROUP)).toEqual([]);
  });

  it('a requester without an Entra ID user is told in one sentence, and nothing is granted', async () => {
    const rita = d.users().find((u) => u.id === RITA)!;
    rita.mail = 'rita.r@example.com';
    rita.userPrincipalName = 'rr@contoso.onmicrosoft.com';
    try {
      const id = await grantRita('ENTRA-6');
      expect(await targetOf(h, id)).toMatchObject({
        status: 'failed',
        last_error: 'No Entra ID user has the e-mail rita@example.com.',
      });
      for (const person of [PEOPLE.requester, PEOPLE.approver]) {
        expect(allText(h.slack.dmsTo(person).at(-1)!.blocks)).toContain(
          'No Entra ID user has the e-mail rita@example.com.',
        );
      }
      expect(d.members(GROUP)).toEqual([]);
      expect(d.graphRequests().some((r) => r.method === 'POST' && r.path.includes('rita'))).toBe(false);
    } finally {
      rita.mail = 'rita@example.com';
      rita.userPrincipalName = 'rita.requester@contoso.onmicrosoft.com';
    }
  });

  it('a requester with no e-mail in Slack is told so', async () => {
    const [id] = (await requestAccess(h, PEOPLE.other, {
      resources: ['entra-prod-admins'],
      duration: '60',
      justification: 'ENTRA-7',
    })) as [string];
    await approve(h, PEOPLE.approver, id);
    await h.settle();
    expect(await targetOf(h, id)).toMatchObject({
      status: 'failed',
      last_error: 'The requester has no e-mail address in Slack, so no Entra ID user can be found for them.',
    });
    expect(d.members(GROUP)).toEqual([]);
  });

  it('a wrong client secret is refused by Entra: the approver reads why, and the secret appears nowhere', async () => {
    const [id] = (await requestAccess(h, PEOPLE.requester, {
      resources: ['entra-misconfigured'],
      duration: '60',
      justification: 'ENTRA-8',
    })) as [string];
    await approve(h, PEOPLE.approver, id);
    await h.settle();
    const target = await targetOf(h, id);
    expect(target).toMatchObject({ status: 'failed', last_error: expect.stringContaining('AADSTS7000215') });
    expect(allText(h.slack.dmsTo(PEOPLE.approver).at(-1)!.blocks)).toContain('refused the app');
    expect(d.members(GROUP)).toEqual([]);
    const everywhere = JSON.stringify([
      await h.sql`select * from audit_events`,
      await h.sql`select * from grant_targets`,
      h.logs,
      h.slack.dmsTo(PEOPLE.approver),
    ]);
    expect(everywhere).not.toContain('an-expired-secret-value');
  });
});
