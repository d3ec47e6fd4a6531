import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../doubles/slack/driver.js';
import { viewSubmissionPayload } from '../../doubles/slack/payloads.js';
import { stateValuesOf } from '../../doubles/slack/surface.js';
import { startHarness, type Harness } from '../support/harness.js';
import { allText, approverMessage, replyTo, requestAccess, statusOf } from '../support/journey-steps.js';
import { ACCESS_FILE, PEOPLE } from '../support/workspace.js';

/**
 * Well-signed submissions carrying what the modal never offered: the server checks everything again
 * and writes nothing. And text people type (or admins name things) never pings, mentions or links.
 */
const INJECTION = '<!channel> <!here> <!everyone> <@U0BULK001> <#C0GENERAL> <https://evil.example|click here> ';
// A resource description is admin-controlled text shown to every requester.
const accessFile = ACCESS_FILE.replace(
  'description: Production PostgreSQL',
  `description: "${INJECTION.replace(/"/g, '\\"')}"`,
);

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ accessFile });
});
afterAll(async () => {
  await h?.stop();
});

const form = 'application/x-www-form-urlencoded';

/** The strings in a Slack payload that Slack renders as mrkdwn. */
function mrkdwnTexts(value: unknown, top = false): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => mrkdwnTexts(v));
  if (!value || typeof value !== 'object') return [];
  const o = value as Record<string, unknown>;
  const own = (o.type === 'mrkdwn' || top) && typeof o.text === 'string' ? [o.text] : [];
  return [
    ...own,
    ...Object.entries(o)
      .filter(([k]) => k !== 'text' || typeof o.text !== 'string')
      .flatMap(([, v]) => mrkdwnTexts(v)),
  ];
}
async function rows() {
  const [r] =
    await h.sql`select (select count(*)::int from access_requests) as requests, (select count(*)::int from grants) as grants, (select count(*)::int from audit_events) as audit, (select count(*)::int from outbox) as outbox, (select count(*)::int from approvals) as approvals`;
  return r;
}
const pick = (value: string) => ({ text: { type: 'plain_text', text: value.slice(0, 75) || 'x' }, value });

/** The request form submitted with raw state values, past every client-side check. */
async function submitRequestForm(resources: string[], duration: string, justification = 'HST-1: hostile') {
  h.slack.clearViews(PEOPLE.requester);
  await h.driver.command(PEOPLE.requester, '/access', 'request');
  const modal = await until(() => h.slack.topView(PEOPLE.requester), 'the request modal');
  const res = await h.driver.submitView(
    PEOPLE.requester,
    modal.id,
    {},
    {
      raw: {
        'request.resources': {
          'request.resources.select': { type: 'multi_static_select', selected_options: resources.map(pick) },
        },
        'request.duration': { 'request.duration.select': { type: 'static_select', selected_option: pick(duration) } },
        'request.justification': { 'request.justification.input': { type: 'plain_text_input', value: justification } },
      },
    },
  );
  h.slack.clearViews(PEOPLE.requester);
  return res;
}

/** Opens `approver`'s tuning (or deny) modal for `openFor`, then submits it naming `metadataFor` instead. */
async function submitWithMetadata(
  approver: string,
  openFor: string,
  metadataFor: string,
  button = 'review.approve',
  keep?: string[],
) {
  await h.driver.clickButton(approver, approverMessage(h, approver, openFor), button);
  const modal = await until(() => h.slack.topView(approver), 'the modal');
  const values = stateValuesOf(modal.blocks, {});
  // The state made to fit the other request, so only the authority check can stop it.
  if (keep) {
    values['tune.include'] = { 'tune.include.check': { type: 'checkboxes', selected_options: keep.map(pick) } };
    values['tune.duration'] = { 'tune.duration.select': { type: 'static_select', selected_option: pick('30') } };
  }
  const payload = viewSubmissionPayload(h.slack, {
    userId: approver,
    apiAppId: h.slack.appId,
    view: modal,
    values,
    triggerId: h.slack.issueTriggerId(approver),
  }) as { view: Record<string, unknown> };
  payload.view.private_metadata = JSON.stringify({ requestId: metadataFor });
  const res = await h.driver.raw(`payload=${encodeURIComponent(JSON.stringify(payload))}`, form);
  h.slack.clearViews(approver);
  return res;
}

describe('request forms with values the modal never offered', () => {
  it.each([
    [
      'a resource outside every flow of this person',
      ['grafana'],
      '60',
      { 'request.resources': 'You cannot request “grafana”.' },
    ],
    [
      'a resource that does not exist',
      ['no-such-thing'],
      '60',
      { 'request.resources': 'You cannot request “no-such-thing”.' },
    ],
    [
      'eleven resources',
      Array.from({ length: 11 }, (_, i) => `r${i}`),
      '60',
      { 'request.resources': 'Pick at most 10 resources in one request.' },
    ],
    [
      'a duration over the flow maximum',
      ['prod-db'],
      '600',
      { 'request.duration': 'prod-db can be requested for at most 8h.' },
    ],
    [
      'a duration the flow does not offer',
      ['prod-db'],
      '61',
      { 'request.duration': expect.stringContaining('prod-db can be requested for') },
    ],
    ['a negative duration', ['prod-db'], '-5', { 'request.duration': 'Pick how long you need access.' }],
    ['a huge duration', ['prod-db'], '99999999999', { 'request.duration': 'Pick how long you need access.' }],
  ])('%s is refused under its field and nothing is written', async (_what, resources, duration, errors) => {
    const before = await rows();
    const res = await submitRequestForm(resources, duration);
    expect(res.json).toEqual({ response_action: 'errors', errors });
    expect(await rows()).toEqual(before);
  });

  it('a justification longer than the limit is refused', async () => {
    const res = await submitRequestForm(['prod-db'], '60', 'x'.repeat(2001));
    expect(res.json?.errors).toEqual({ 'request.justification': 'Keep it under 2000 characters.' });
  });
});

describe('decision modals with values the modal never offered', () => {
  it('a longer duration, or a resource the request does not name, is refused and nothing is written', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'HST-2: tuning',
    });
    await h.driver.clickButton(PEOPLE.approver, approverMessage(h, PEOPLE.approver, id!), 'review.approve');
    const modal = await until(() => h.slack.topView(PEOPLE.approver), 'the tuning modal');
    const before = await rows();
    const longer = await h.driver.submitView(
      PEOPLE.approver,
      modal.id,
      {},
      { raw: { 'tune.duration': { 'tune.duration.select': { type: 'static_select', selected_option: pick('480') } } } },
    );
    expect(longer.json).toEqual({
      response_action: 'errors',
      errors: { 'tune.duration': 'You can shorten the access, not lengthen it.' },
    });
    const wider = await h.driver.submitView(
      PEOPLE.approver,
      modal.id,
      {},
      {
        raw: {
          'tune.include': {
            'tune.include.check': { type: 'checkboxes', selected_options: [pick('prod-db'), pick('grafana')] },
          },
        },
      },
    );
    expect(wider.status).toBe(200);
    expect(
      await h.sql`select policy from grants where request_id = ${id!}`.then((g) => JSON.stringify(g)),
    ).not.toContain('grafana');
    h.slack.clearViews(PEOPLE.approver);
    // Only what the request named can be granted: the unknown resource was dropped, never added.
    expect((await rows())!.audit).toBeGreaterThanOrEqual(before!.audit);
  });

  it("another person's request id in private_metadata is decided under that request's rules: refused", async () => {
    const [prod] = await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'HST-3: prod',
    });
    const [staging] = await requestAccess(h, PEOPLE.requester, {
      resources: ['staging-db'],
      duration: '30',
      justification: 'HST-3: staging',
    });
    // Alex asks for staging-db himself (self-approval is allowed there, not on prod).
    const [own] = await requestAccess(h, PEOPLE.approver, {
      resources: ['staging-db'],
      duration: '30',
      justification: 'HST-3: own',
    });
    const before = await rows();
    const dba = await submitWithMetadata(PEOPLE.dba, prod!, staging!, 'review.approve', ['staging-db']);
    expect(allText(dba.json), allText(dba.json)).toContain('Only an approver of this request can do that.');
    const denied = await submitWithMetadata(PEOPLE.dba, prod!, staging!, 'review.deny');
    expect(allText(denied.json)).toContain('Only an approver of this request can do that.');
    const junk = await submitWithMetadata(PEOPLE.approver, prod!, `${own!}"}`);
    expect(allText(junk.json)).toContain("That button or form doesn't point at anything I know.");
    expect(await rows()).toEqual(before);
    expect([await statusOf(h, prod!), await statusOf(h, staging!), await statusOf(h, own!)]).toEqual([
      'pending',
      'pending',
      'pending',
    ]);
  });
});

describe('two approvers, ten decisions at once', () => {
  // Ten concurrent approvals by one approver are in test/review.test.ts; here approvals race denials.
  it('five approvals and five denials sent together decide the request once', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'HST-4: race',
    });
    const bodies: string[] = [];
    for (const [approver, button] of [
      [PEOPLE.approver, 'review.approve'],
      [PEOPLE.dba, 'review.deny'],
    ] as const) {
      for (let i = 0; i < 5; i++) {
        await h.driver.clickButton(approver, approverMessage(h, approver, id!), button);
        const modal = await until(() => h.slack.topView(approver), 'the modal');
        const values = stateValuesOf(modal.blocks, {});
        bodies.push(
          `payload=${encodeURIComponent(JSON.stringify(viewSubmissionPayload(h.slack, { userId: approver, apiAppId: h.slack.appId, view: modal, values, triggerId: h.slack.issueTriggerId(approver) })))}`,
        );
        h.slack.clearViews(approver);
      }
    }
    const results = await Promise.all(bodies.map((b) => h.driver.raw(b, form)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const decisions =
      await h.sql`select action from audit_events where request_id = ${id!} and action in ('request.approved', 'request.denied')`;
    expect(decisions).toHaveLength(1);
    expect((await h.sql`select id from grants where request_id = ${id!}`).length).toBe(
      decisions[0]!.action === 'request.approved' ? 1 : 0,
    );
    await h.settle();
    const notices = h.slack
      .dmsTo(PEOPLE.requester)
      .filter((m) => /(approved|denied) your request/.test(allText(m.blocks)) && allText(m.blocks).includes(id!));
    expect(notices).toHaveLength(1);
  });
});

describe('mrkdwn and mention injection', () => {
  it('justifications, deny reasons, descriptions and key names never ping, mention or link', async () => {
    h.slack.clearCalls();
    const flood = `${INJECTION}${'*bold* _it_ ~x~ `c` '.repeat(120)}`.slice(0, 2000);
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: flood,
    });
    await h.driver.clickButton(PEOPLE.dba, approverMessage(h, PEOPLE.dba, id!), 'review.deny');
    const modal = await until(() => h.slack.topView(PEOPLE.dba), 'the deny modal');
    await h.driver.submitView(PEOPLE.dba, modal.id, { 'deny.reason': INJECTION });
    await h.settle();
    await replyTo(h, () => h.driver.command(PEOPLE.requester, '/access', 'list'));
    await replyTo(h, () => h.driver.command(PEOPLE.admin, '/access', `apikey create ${INJECTION}`));
    await replyTo(h, () => h.driver.command(PEOPLE.admin, '/access', 'apikey list'));
    await h.driver.appHomeOpened(PEOPLE.requester);
    await until(() => h.slack.calls('views.publish').length > 0, 'the App Home');
    // Every text Slack reads as mrkdwn that the bot sent (Web API calls and response_url replies):
    // mrkdwn text objects, and messages' top-level `text` (the notification). plain_text is never parsed.
    const sent = [...h.slack.calls().map((c) => c.args), ...h.slack.responses().map((r) => r.body)];
    const mrkdwn = sent.flatMap((x) => mrkdwnTexts(x, true));
    expect(mrkdwn.join('\n')).toContain('&lt;!channel&gt;');
    for (const raw of ['<!channel>', '<!here>', '<!everyone>', '<@U0BULK001>', '<#C0GENERAL>', '<https://evil']) {
      expect(
        mrkdwn.filter((t) => t.includes(raw)),
        raw,
      ).toEqual([]);
    }
    expect(h.slack.failures()).toEqual([]);
  });
});
