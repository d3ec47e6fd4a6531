import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signSlackRequest, until } from '../../doubles/slack/driver.js';
import { stateValuesOf } from '../../doubles/slack/surface.js';
import { SIGNING_SECRET, startHarness, type Harness } from '../support/harness.js';
import {
  approve,
  approverMessage,
  forgeClick,
  requestAccess,
  statusOf,
  commandBody as commandBodyOf,
  submissionBody,
} from '../support/journey-steps.js';
import { PEOPLE } from '../support/workspace.js';

/**
 * Requests that did not come from Slack, or came from Slack once and are sent again: refused with
 * 401 before any listener runs, and nothing is written or sent.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

const form = 'application/x-www-form-urlencoded';
const now = () => Math.floor(Date.now() / 1000);

async function rows() {
  const [r] =
    await h.sql`select (select count(*)::int from access_requests) as requests, (select count(*)::int from grants) as grants, (select count(*)::int from audit_events) as audit, (select count(*)::int from outbox) as outbox`;
  return r;
}

const commandBody = (userId: string, text: string) => commandBodyOf(h, userId, text);

/** A request form as the requester filled it in, as the signed body Slack would send. */
async function requestFormBody(justification: string) {
  h.slack.clearViews(PEOPLE.requester);
  await h.driver.command(PEOPLE.requester, '/access', 'request');
  const modal = await until(() => h.slack.topView(PEOPLE.requester), 'the request modal');
  const values = stateValuesOf(modal.blocks, {});
  values['request.resources']!['request.resources.select'] = {
    type: 'multi_static_select',
    selected_options: [{ text: { type: 'plain_text', text: 'prod-db' }, value: 'prod-db' }],
  };
  values['request.duration']!['request.duration.select'] = {
    type: 'static_select',
    selected_option: { text: { type: 'plain_text', text: '1 hour' }, value: '60' },
  };
  values['request.justification']!['request.justification.input'] = { type: 'plain_text_input', value: justification };
  return submissionBody(h, PEOPLE.requester, modal, values);
}

describe('requests not signed by Slack', () => {
  it('unsigned, wrongly signed, stale and future-dated requests are refused with 401 and change nothing', async () => {
    const before = await rows();
    h.slack.clearCalls();
    const body = commandBody(PEOPLE.requester, 'request');
    const ts = String(now());
    const attempts = [
      h.driver.raw(body, form, { signature: null }),
      h.driver.raw(body, form, { timestamp: ts, signature: signSlackRequest('not-the-signing-secret', ts, body) }),
      h.driver.raw(body, form, {
        timestamp: ts,
        signature: signSlackRequest(SIGNING_SECRET, ts, `${body}&text=revoke`),
      }),
      h.driver.raw(body, form, { timestamp: String(now() - 6 * 60) }),
      // Slack: "if the difference between now and the timestamp is more than five minutes, ignore it".
      h.driver.raw(body, form, { timestamp: String(now() + 10 * 60) }),
      h.driver.raw(body, form, { timestamp: 'yesterday' }),
    ];
    const results = await Promise.all(attempts);
    expect(results.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(await rows()).toEqual(before);
    await new Promise((r) => setTimeout(r, 100));
    expect(h.slack.calls('views.open')).toHaveLength(0);
  });
});

describe('replayed requests', () => {
  it('a request form sent again with the same signature creates no second request', async () => {
    const body = await requestFormBody('RPL-1: replay');
    const ts = String(now());
    const first = await h.driver.raw(body, form, { timestamp: ts });
    expect(first.status).toBe(200);
    const replay = await h.driver.raw(body, form, { timestamp: ts });
    expect(replay.status).toBe(401);
    expect(await h.sql`select id from access_requests where justification = 'RPL-1: replay'`).toHaveLength(1);
  });

  it('a replayed Approve click is refused like any other duplicate, and a replayed revoke too', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'RPL-2: replay',
    });
    await approve(h, PEOPLE.approver, id!);
    const body = commandBody(PEOPLE.dba, `revoke ${id}`);
    const ts = String(now());
    expect((await h.driver.raw(body, form, { timestamp: ts })).status).toBe(200);
    await until(() => h.slack.responses().some((r) => String(r.body.text).startsWith('Revoked')), 'the revoke');
    expect((await h.driver.raw(body, form, { timestamp: ts })).status).toBe(401);
    expect(await statusOf(h, id!)).toBe('revoked');
    expect(
      await h.sql`select id from audit_events where request_id = ${id!} and action = 'grant.revoked'`,
    ).toHaveLength(1);
  });
});

describe('forged clicks', () => {
  it("an approver of one flow cannot decide another flow's request by changing the button's value", async () => {
    // The DB team approves support-prod only; staging-db requests go to Alex.
    const [prod] = await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'FRG-1: prod',
    });
    const [staging] = await requestAccess(h, PEOPLE.requester, {
      resources: ['staging-db'],
      duration: '30',
      justification: 'FRG-1: staging',
    });
    const before = await rows();
    const res = await forgeClick(h, PEOPLE.dba, approverMessage(h, PEOPLE.dba, prod!), 'review.approve', staging!);
    expect(res.status).toBe(200);
    await until(
      () => h.slack.responses().at(-1)?.body.text === 'Only an approver of this request can do that.',
      'the refusal',
    );
    expect(h.slack.topView(PEOPLE.dba)).toBeUndefined();
    expect(await statusOf(h, staging!)).toBe('pending');
    expect(await rows()).toEqual(before);
  });

  it('a guest clicking Revoke, and a non-approver clicking Deny, change nothing', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'FRG-2: guest',
    });
    await approve(h, PEOPLE.approver, id!);
    const where = approverMessage(h, PEOPLE.approver, id!);
    await forgeClick(h, PEOPLE.guest, where, 'review.revoke', id!);
    await until(() => String(h.slack.responses().at(-1)?.body.text).includes("Guests can't"), "the guest's refusal");
    const [pending] = await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'FRG-2: other',
    });
    await forgeClick(h, PEOPLE.other, approverMessage(h, PEOPLE.approver, pending!), 'review.deny', pending!);
    await until(
      () => h.slack.responses().at(-1)?.body.text === 'Only an approver of this request can do that.',
      'the refusal',
    );
    expect(await statusOf(h, id!)).toBe('active');
    expect(await statusOf(h, pending!)).toBe('pending');
  });
});
