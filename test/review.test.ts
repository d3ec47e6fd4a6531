import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import {
  allText,
  submitRaw,
  approve,
  approverMessage,
  countRows,
  forgeClick,
  replyTo,
  requestAccess,
  statusOf,
} from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

const justification = 'INC-7: on-call debugging';

describe('deny', () => {
  it('Deny opens a reason modal; submitting tells the requester and updates every message', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, { resources: ['web-1'], duration: '60', justification });
    const where = approverMessage(h, PEOPLE.dba, id!);
    await h.driver.clickButton(PEOPLE.dba, where, 'review.deny');
    const modal = await until(() => h.slack.topView(PEOPLE.dba), 'deny modal');
    expect(modal.view.callback_id).toBe('review.deny.submit');
    const res = await h.driver.submitView(PEOPLE.dba, modal.id, { 'deny.reason': 'Use the staging box <@U0OTHER>' });
    expect(res.status).toBe(200);
    expect(await statusOf(h, id!)).toBe('denied');
    await h.settle();
    for (const approver of [PEOPLE.approver, PEOPLE.dba]) {
      const text = allText(approverMessage(h, approver, id!).message.blocks);
      expect(text).toContain(`Denied by <@${PEOPLE.dba}>`);
      expect(text).toContain('Use the staging box &lt;@U0OTHER&gt;');
      expect(text).not.toContain('review.approve');
    }
    const notice = h.slack.dmsTo(PEOPLE.requester).at(-1)!;
    expect(allText(notice.blocks)).toContain(`<@${PEOPLE.dba}> denied your request`);
    const [audit] =
      await h.sql`select actor, details from audit_events where request_id = ${id!} and action = 'request.denied'`;
    expect(audit).toMatchObject({ actor: PEOPLE.dba, details: { reason: 'Use the staging box <@U0OTHER>' } });
  });
});

describe('a request is decided once', () => {
  it('a second approver submitting after the first changes nothing and is told who decided', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, { resources: ['prod-db'], duration: '60', justification });
    // Both approvers open the tuning modal before either submits.
    await h.driver.clickButton(PEOPLE.approver, approverMessage(h, PEOPLE.approver, id!), 'review.approve');
    await h.driver.clickButton(PEOPLE.dba, approverMessage(h, PEOPLE.dba, id!), 'review.approve');
    const first = await until(() => h.slack.topView(PEOPLE.approver), 'modal 1');
    const second = await until(() => h.slack.topView(PEOPLE.dba), 'modal 2');
    await h.driver.submitView(PEOPLE.approver, first.id, {});
    const res = await h.driver.submitView(PEOPLE.dba, second.id, { 'tune.access.prod-db': 'read-write' });
    expect(res.json?.response_action).toBe('update');
    expect(allText(res.json.view)).toContain(`already approved by <@${PEOPLE.approver}>`);
    const grants = await h.sql`select policy, approved_by from grants where request_id = ${id!}`;
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({ approved_by: PEOPLE.approver, policy: { resources: [{ access: 'read-only' }] } });
    h.slack.clearViews(PEOPLE.approver);
    h.slack.clearViews(PEOPLE.dba);
  });

  it('ten concurrent approvals of one request make exactly one grant and one audit entry', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, { resources: ['prod-db'], duration: '60', justification });
    const where = approverMessage(h, PEOPLE.approver, id!);
    const modals: string[] = [];
    for (let i = 0; i < 10; i++) {
      await h.driver.clickButton(PEOPLE.approver, where, 'review.approve');
      const top = await until(() => {
        const t = h.slack.topView(PEOPLE.approver);
        return t && !modals.includes(t.id) && t;
      }, 'modal');
      modals.push(top.id);
      h.slack.clearViews(PEOPLE.approver);
    }
    // Ten signed submissions at once (Slack would never send these from one person, an attacker might).
    const results = await Promise.all(modals.map((m) => submitRaw(h, PEOPLE.approver, m)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(10);
    expect(await h.sql`select id from grants where request_id = ${id!}`).toHaveLength(1);
    expect(
      await h.sql`select id from audit_events where request_id = ${id!} and action = 'request.approved'`,
    ).toHaveLength(1);
    await h.settle();
    const notices = h.slack
      .dmsTo(PEOPLE.requester)
      .filter((m) => allText(m.blocks).includes(`approved your request \`${id}\``));
    expect(notices).toHaveLength(1);
  });
});

describe('who may decide', () => {
  it('someone who is not an approver is refused, and nothing changes', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, { resources: ['prod-db'], duration: '60', justification });
    // A forged click: the message is not theirs, but a click only carries an id.
    const where = approverMessage(h, PEOPLE.approver, id!);
    const reply = await replyTo(h, () => forgeClick(h, PEOPLE.other, where, 'review.approve', id!));
    expect(reply).toMatchObject({
      response_type: 'ephemeral',
      replace_original: false,
      text: 'Only an approver of this request can do that.',
    });
    expect(h.slack.topView(PEOPLE.other)).toBeUndefined();
    expect(await statusOf(h, id!)).toBe('pending');
  });

  it('a forged tuning submission from a non-approver is refused inside the decision', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['grafana'],
      duration: '60',
      justification,
    }).catch(() => [undefined]);
    // grafana is not requestable by this flow (tag observability): the request must have been refused.
    expect(id).toBeUndefined();
    const [pid] = await requestAccess(h, PEOPLE.requester, { resources: ['prod-db'], duration: '60', justification });
    await h.driver.clickButton(PEOPLE.approver, approverMessage(h, PEOPLE.approver, pid!), 'review.approve');
    const modal = await until(() => h.slack.topView(PEOPLE.approver), 'modal');
    // The same modal submitted as someone else (a replayed payload with another user).
    h.slack.state.views.get(modal.id)!.userId = PEOPLE.other;
    h.slack.state.stacks.set(PEOPLE.other, [modal.id]);
    const res = await h.driver.submitView(PEOPLE.other, modal.id, {});
    expect(allText(res.json)).toContain('Only an approver of this request can do that.');
    h.slack.clearViews(PEOPLE.other);
    h.slack.clearViews(PEOPLE.approver);
    expect(await statusOf(h, pid!)).toBe('pending');
    expect(await h.sql`select id from grants where request_id = ${pid!}`).toHaveLength(0);
  });

  it('nobody approves their own request unless the flow allows it', async () => {
    // U0APPR is an approver of support-prod and asks for prod-db themself: the request goes to the DB team only.
    const flowRow = await h.sql`select id from flows where name = 'support-prod'`;
    await h.sql`update flows set requester_users = requester_users || '["U0APPR"]'::jsonb where id = ${flowRow[0]!.id}`;
    const [id] = await requestAccess(h, PEOPLE.approver, { resources: ['prod-db'], duration: '60', justification });
    const [row] = await h.sql`select notified_approvers from access_requests where id = ${id!}`;
    expect(row!.notified_approvers).toEqual([PEOPLE.dba]);
    // A forged Approve click by the requester on the DB team's message.
    const reply = await replyTo(h, () =>
      forgeClick(h, PEOPLE.approver, approverMessage(h, PEOPLE.dba, id!), 'review.approve', id!),
    );
    expect(reply.text).toBe("You can't approve or deny your own request.");
    expect(await statusOf(h, id!)).toBe('pending');
  });

  it('self-approval works where the flow allows it', async () => {
    const [id] = await requestAccess(h, PEOPLE.approver, { resources: ['staging-db'], duration: '30', justification });
    const res = await approve(h, PEOPLE.approver, id!);
    expect(res.status).toBe(200);
    expect(await statusOf(h, id!)).toBe('active');
  });

  it('guests can neither request nor approve', async () => {
    const reply = await replyTo(h, () => h.driver.command(PEOPLE.guest, '/access', 'request'));
    expect(reply.text).toContain("Guests can't request or approve access");
    expect(h.slack.topView(PEOPLE.guest)).toBeUndefined();
  });
});

describe('revoke', () => {
  it('an approver ends an active grant early with `/access revoke <id>`; others are refused', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, { resources: ['k8s-prod'], duration: '120', justification });
    const res = await approve(h, PEOPLE.approver, id!, {
      'tune.namespaces.k8s-prod': 'payments',
      'tune.role.k8s-prod': 'edit',
    });
    expect(res.status).toBe(200);
    const grantsBefore = await countRows(h, 'grants');

    const refused = await replyTo(h, () => h.driver.command(PEOPLE.other, '/access', `revoke ${id}`));
    expect(refused.text).toContain('Only an approver of this request can do that.');
    expect(await statusOf(h, id!)).toBe('active');

    const done = await replyTo(h, () => h.driver.command(PEOPLE.dba, '/access', `revoke ${id}`));
    expect(done.text).toMatch(/^Revoked/);
    expect(await statusOf(h, id!)).toBe('revoked');
    expect(await countRows(h, 'grants')).toBe(grantsBefore);
    const [grant] = await h.sql`select status, ended_at from grants where request_id = ${id!}`;
    expect(grant!.status).toBe('revoked');
    const [audit] = await h.sql`select actor from audit_events where request_id = ${id!} and action = 'grant.revoked'`;
    expect(audit!.actor).toBe(PEOPLE.dba);
    await h.settle();
    expect(allText(h.slack.dmsTo(PEOPLE.requester).at(-1)!.blocks)).toContain(`was revoked by <@${PEOPLE.dba}>`);
    expect(allText(approverMessage(h, PEOPLE.approver, id!).message.blocks)).toContain(`revoked by <@${PEOPLE.dba}>`);

    const again = await replyTo(h, () => h.driver.command(PEOPLE.dba, '/access', `revoke ${id}`));
    expect(again.text).toContain('not active');
  });

  it('the Revoke button on an approved message ends the grant', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, { resources: ['web-1'], duration: '60', justification });
    await approve(h, PEOPLE.approver, id!, { 'tune.login.web-1': 'ubuntu' });
    const where = approverMessage(h, PEOPLE.approver, id!);
    const reply = await replyTo(h, () => h.driver.clickButton(PEOPLE.approver, where, 'review.revoke'));
    expect(reply.text).toMatch(/^Revoked/);
    expect(await statusOf(h, id!)).toBe('revoked');
  });
});

describe('expiry is driven from the database', () => {
  it('grants that ran out while the bot was down end right after it starts', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, { resources: ['prod-db'], duration: '15', justification });
    await approve(h, PEOPLE.approver, id!);
    expect(await statusOf(h, id!)).toBe('active');
    await h.app.stop();
    h.clock.advance(20);
    await h.restart();
    expect(await statusOf(h, id!)).toBe('expired');
    await h.settle();
    expect(allText(approverMessage(h, PEOPLE.dba, id!).message.blocks)).toContain('the access expired');
  });
});

describe('hostile input stays inside Slack limits', () => {
  it('a maximal justification full of markup still renders every message and modal', async () => {
    const nasty = '<!channel> & <@U0APPR>\n'.repeat(90).slice(0, 2000);
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db', 'web-1', 'k8s-prod'],
      duration: '60',
      justification: nasty,
    });
    await h.driver.clickButton(PEOPLE.approver, approverMessage(h, PEOPLE.approver, id!), 'review.approve');
    const modal = await until(() => h.slack.topView(PEOPLE.approver), 'tuning modal');
    expect(allText(modal.view)).not.toContain('<!channel>');
    h.slack.clearViews(PEOPLE.approver);
    for (const m of [...h.slack.dmsTo(PEOPLE.approver), ...h.slack.dmsTo(PEOPLE.requester)]) {
      expect(allText(m.blocks)).not.toContain('<!channel>');
    }
    expect(h.slack.failures()).toEqual([]);
  });

  it('a guest cannot approve, even with a forged click', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'x',
    });
    const reply = await replyTo(h, () =>
      forgeClick(h, PEOPLE.guest, approverMessage(h, PEOPLE.approver, id!), 'review.approve', id!),
    );
    expect(reply.text).toContain("Guests can't request or approve access");
    expect(await statusOf(h, id!)).toBe('pending');
  });

  it('the tuning modal refuses to leave every resource out, and names typed by the approver are checked', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, { resources: ['web-1'], duration: '60', justification: 'x' });
    await h.driver.clickButton(PEOPLE.approver, approverMessage(h, PEOPLE.approver, id!), 'review.approve');
    const modal = await until(() => h.slack.topView(PEOPLE.approver), 'tuning modal');
    const bad = await h.driver.submitView(PEOPLE.approver, modal.id, { 'tune.login.web-1': 'root; rm -rf /' });
    expect(bad.json).toEqual({
      response_action: 'errors',
      errors: { 'tune.login.web-1': 'Use names made of letters, digits, _ . @ - only.' },
    });
    const none = await h.driver.submitView(PEOPLE.approver, modal.id, {
      'tune.include': [],
      'tune.login.web-1': 'ubuntu',
    });
    expect(none.json).toEqual({
      response_action: 'errors',
      errors: { 'tune.include': 'Keep at least one resource, or deny the request instead.' },
    });
    const missing = await h.driver.submitView(PEOPLE.approver, modal.id, {
      'tune.include': ['web-1'],
      'tune.login.web-1': '',
    });
    expect(missing.json.errors).toEqual({ 'tune.login.web-1': 'Name at least one login user.' });
    expect(await statusOf(h, id!)).toBe('pending');
    h.slack.clearViews(PEOPLE.approver);
  });
});
