import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signSlackRequest, until } from '../doubles/slack/driver.js';
import { startHarness, SIGNING_SECRET, type Harness } from './support/harness.js';
import { allText, countRows, replyTo, requestAccess } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

async function openModal(user: string, text = 'request') {
  h.slack.clearViews(user);
  await h.driver.command(user, '/access', text);
  return until(() => h.slack.topView(user), 'request modal');
}

describe('the request form is validated again on the server', () => {
  const raw = (resources: string[], duration: string | null, justification: string | null) => ({
    'request.resources': {
      'request.resources.select': {
        type: 'multi_static_select',
        selected_options: resources.map((value) => ({ text: { type: 'plain_text', text: value }, value })),
      },
    },
    'request.duration': {
      'request.duration.select': {
        type: 'static_select',
        selected_option: duration === null ? null : { text: { type: 'plain_text', text: duration }, value: duration },
      },
    },
    'request.justification': { 'request.justification.input': { type: 'plain_text_input', value: justification } },
  });

  it.each([
    [
      'a resource no flow lets this person request',
      raw(['grafana'], '60', 'why'),
      'request.resources',
      'You cannot request “grafana”.',
    ],
    ['an unknown resource', raw(['nope'], '60', 'why'), 'request.resources', 'You cannot request “nope”.'],
    ['no resource', raw([], '60', 'why'), 'request.resources', 'Pick at least one resource.'],
    [
      'a duration over the flow maximum',
      raw(['prod-db'], '600', 'why'),
      'request.duration',
      'prod-db can be requested for at most 8h.',
    ],
    [
      'a duration that is not a number',
      raw(['prod-db'], 'forever', 'why'),
      'request.duration',
      'Pick how long you need access.',
    ],
    ['an empty justification', raw(['prod-db'], '60', '   '), 'request.justification', 'Say why you need this access.'],
  ])('%s is shown under its field and nothing is stored', async (_name, values, block, message) => {
    const modal = await openModal(PEOPLE.requester);
    const before = await countRows(h, 'access_requests');
    const res = await h.driver.submitView(PEOPLE.requester, modal.id, {}, { raw: values });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ response_action: 'errors', errors: { [block]: message } });
    expect(await countRows(h, 'access_requests')).toBe(before);
    expect(h.slack.topView(PEOPLE.requester)?.id).toBe(modal.id);
  });

  it('resources of two flows become two requests, each to its own approvers', async () => {
    const ids = await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db', 'staging-db'],
      duration: '60',
      justification: 'migration dry run',
    });
    expect(ids).toHaveLength(2);
    const rows =
      await h.sql`select r.flow_name, r.notified_approvers, array_agg(rr.name order by rr.name) as resources from access_requests r join request_resources rr on rr.request_id = r.id where r.id in ${h.sql(ids)} group by r.id order by r.flow_name`;
    expect(rows.map((r) => [r.flow_name, r.resources, r.notified_approvers])).toEqual([
      ['staging-self-service', ['staging-db'], [PEOPLE.approver]],
      ['support-prod', ['prod-db'], [PEOPLE.approver, PEOPLE.dba]],
    ]);
  });

  it('names a resource the person cannot request when preselecting it', async () => {
    const modal = await openModal(PEOPLE.requester, 'request grafana');
    expect(allText(modal.view.blocks)).toContain('`grafana` is not something you can request');
    expect(
      modal.view.blocks.find((b: any) => b.block_id === 'request.resources').element.initial_options,
    ).toBeUndefined();
  });

  it('tells someone whom no flow names that there is nothing to request', async () => {
    const reply = await replyTo(h, () => h.driver.command(PEOPLE.other, '/access', 'request'));
    expect(reply.text).toContain("There's nothing you can request yet");
    expect(h.slack.topView(PEOPLE.other)).toBeUndefined();
  });

  it('a member of a requester group sees exactly the tagged resources', async () => {
    const modal = await openModal(PEOPLE.supporter);
    const options = modal.view.blocks
      .find((b: any) => b.block_id === 'request.resources')
      .element.options.map((o: any) => o.value);
    expect(options).toEqual(['k8s-prod', 'prod-db', 'web-1']);
  });
});

describe('following requests', () => {
  it('`/access pending` shows an approver what waits for them, with working buttons', async () => {
    const [id] = await requestAccess(h, PEOPLE.supporter, {
      resources: ['web-1'],
      duration: '30',
      justification: 'deploy hotfix',
    });
    const reply = await replyTo(h, () => h.driver.command(PEOPLE.dba, '/access', 'pending'));
    expect(reply.response_type).toBe('ephemeral');
    expect(allText(reply.blocks)).toContain(id);
    expect(allText(reply.blocks)).toContain('review.approve');
    const none = await replyTo(h, () => h.driver.command(PEOPLE.supporter, '/access', 'pending'));
    expect(none.text).toBe('Nothing is waiting for your review.');
  });

  it('`/access help` explains the commands and what each button does', async () => {
    for (const text of ['help', '']) {
      const reply = await replyTo(h, () => h.driver.command(PEOPLE.other, '/access', text));
      expect(reply.response_type).toBe('ephemeral');
      expect(reply.text).toContain('/access request');
      expect(reply.text).toContain('/access pending');
      expect(reply.text).not.toContain('is not a command');
      // Every button a person meets on a request message or in App Home is named with what it does.
      for (const button of [
        '*Approve…* opens a form',
        '*Deny…* asks for a reason',
        '*Revoke now* ends it',
        '*Nudge approvers* reminds them',
        '*Cancel request* withdraws it',
        '*Extend…* asks for more time',
        '*Release access* ends it early',
      ])
        expect(reply.text).toContain(button);
    }
  });

  it('an unknown `/access` command is named as unknown, then the help follows', async () => {
    const reply = await replyTo(h, () => h.driver.command(PEOPLE.other, '/access', 'frobnicate now'));
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text.startsWith('`/access frobnicate` is not a command I know.\n')).toBe(true);
    expect(reply.text).toContain('/access request');
    const hostile = await replyTo(h, () => h.driver.command(PEOPLE.other, '/access', '<!channel>'));
    expect(hostile.text.startsWith('`/access &lt;!channel&gt;` is not a command I know.')).toBe(true);
  });

  it('`/access revoke` without a valid id says how to use it', async () => {
    const reply = await replyTo(h, () => h.driver.command(PEOPLE.approver, '/access', 'revoke 42'));
    expect(reply.text).toContain('/access revoke req_');
  });

  it('App Home shows the person their requests and what waits for their review', async () => {
    await h.driver.appHomeOpened(PEOPLE.dba);
    const home = await until(() => h.slack.home(PEOPLE.dba), 'home');
    const text = allText(home.view.blocks);
    expect(text).toContain('Request access');
    expect(text).toContain('Waiting for your review');
    expect(text).toContain('deploy hotfix');
    await h.driver.appHomeOpened(PEOPLE.supporter);
    const mine = await until(() => h.slack.home(PEOPLE.supporter), 'home');
    expect(allText(mine.view.blocks)).toContain('web-1');
    expect(allText(mine.view.blocks)).not.toContain('Waiting for your review');
  });

  it('the Request access button in App Home opens the form', async () => {
    h.slack.clearViews(PEOPLE.supporter);
    await h.driver.clickButton(PEOPLE.supporter, { viewId: h.slack.home(PEOPLE.supporter)!.id }, 'request.open');
    const modal = await until(() => h.slack.topView(PEOPLE.supporter), 'modal');
    expect(modal.view.callback_id).toBe('request.submit');
  });
});

describe('the same form sent twice', () => {
  const picks = {
    'request.resources': ['prod-db', 'staging-db'],
    'request.duration': '60',
    'request.justification': 'TWICE-1: sent again',
  };
  const made = () =>
    h.sql`select id from access_requests where justification = ${picks['request.justification']} order by id`;

  it('after Slack lost the first answer: the second gets the same requests, nothing new is made or sent', async () => {
    h.slack.clearViews(PEOPLE.requester);
    await h.driver.command(PEOPLE.requester, '/access', 'request');
    const modal = await until(() => h.slack.topView(PEOPLE.requester), 'the request modal');
    const asOpened = structuredClone(h.slack.state.views.get(modal.id)!);
    const first = await h.driver.submitView(PEOPLE.requester, modal.id, picks);
    expect(first.json?.response_action).toBe('update');
    const ids = (await made()).map((r) => r.id as string);
    expect(ids).toHaveLength(2);
    await h.settle();
    const dms = h.slack.dmsTo(PEOPLE.approver).length;
    const audit = await countRows(h, 'audit_events');

    // Slack never showed the answer: the form is still there, and the person presses Submit again.
    h.slack.state.views.set(modal.id, asOpened);
    const again = await h.driver.submitView(PEOPLE.requester, modal.id, picks);
    expect(again.json?.response_action).toBe('update');
    expect(h.slack.view(modal.id)!.view.title.text).toBe('Request sent');
    for (const id of ids) expect(allText(again.json.view)).toContain(id);
    expect((await made()).map((r) => r.id)).toEqual(ids);
    await h.settle();
    expect(h.slack.dmsTo(PEOPLE.approver)).toHaveLength(dms);
    expect(await countRows(h, 'audit_events')).toBe(audit);
    h.slack.clearViews(PEOPLE.requester);
  });

  it('twice at the same moment: one set of requests', async () => {
    await h.sql`update access_requests set status = 'cancelled' where justification = ${picks['request.justification']}`;
    const justification = 'TWICE-2: double click';
    await h.driver.command(PEOPLE.requester, '/access', 'request');
    const modal = await until(() => h.slack.topView(PEOPLE.requester), 'the request modal');
    const results = await Promise.all(
      [1, 2].map(() =>
        h.driver.submitView(PEOPLE.requester, modal.id, { ...picks, 'request.justification': justification }),
      ),
    );
    expect(results.map((r) => r.json?.response_action)).toEqual(['update', 'update']);
    expect(await h.sql`select id from access_requests where justification = ${justification}`).toHaveLength(2);
    h.slack.clearViews(PEOPLE.requester);
  });
});

describe('only signed requests are served', () => {
  const body =
    'token=x&team_id=T0TEAM&user_id=U0REQ&command=%2Faccess&text=list&response_url=http%3A%2F%2F127.0.0.1%2Fx&trigger_id=1.2.3';
  const now = () => Math.floor(Date.now() / 1000);

  it('an unsigned request gets 401', async () => {
    const res = await h.driver.raw(body, 'application/x-www-form-urlencoded', { signature: null });
    expect(res.status).toBe(401);
  });

  it('a badly signed request gets 401', async () => {
    const res = await h.driver.raw(body, 'application/x-www-form-urlencoded', {
      signature: signSlackRequest('wrong-secret', now(), body),
      timestamp: String(now()),
    });
    expect(res.status).toBe(401);
  });

  it('a stale (replayed) request gets 401 even with a valid signature', async () => {
    const old = now() - 600;
    const res = await h.driver.raw(body, 'application/x-www-form-urlencoded', {
      signature: signSlackRequest(SIGNING_SECRET, old, body),
      timestamp: String(old),
    });
    expect(res.status).toBe(401);
  });

  it('GET /healthz answers 200 while the database answers', async () => {
    const res = await fetch(`http://127.0.0.1:${h.port}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });
});
