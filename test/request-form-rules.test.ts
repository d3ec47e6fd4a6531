import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import type { StoredView } from '../doubles/slack/state.js';
import { startHarness, type Harness } from './support/harness.js';
import { PEOPLE } from './support/workspace.js';

/**
 * The request form offers and asks for what the flows of the picked resources allow (issue 25, item 2):
 * a pick in the resource field redraws the form (block_actions, then views.update with the view's hash).
 */
const accessFile = `
resources:
  - { name: prod-db, type: database, tags: [production] }
  - { name: aws-prod, type: cloud, tags: [cloud] }
  - { name: grafana, type: http, tags: [observability] }
flows:
  - name: production
    resources: { tags: [production] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
    justification: { required: true, min_length: 10, hint: "Say what for, e.g. INC-42: check failed payments" }
  - name: cloud
    resources: { tags: [cloud] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 4h
    justification: { required: true, min_length: 10, hint: "Say what for, e.g. INC-42: check the billing alarms" }
  - name: dashboards
    resources: { tags: [observability] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 1d
    justification: { required: false }
`;
const PAYMENTS_HINT = 'Say what for, e.g. INC-42: check failed payments';
const BILLING_HINT = 'Say what for, e.g. INC-42: check the billing alarms';
const AUDIT_LINE = 'Approvers see this, and it stays in the audit trail.';
const user = PEOPLE.requester;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ accessFile });
});
afterAll(async () => {
  await h?.stop();
});
beforeEach(() => h.slack.clearViews(user));

async function openForm(): Promise<StoredView> {
  await h.driver.command(user, '/access', 'request');
  return until(() => h.slack.topView(user), 'the request form');
}

const durationBlock = (v: StoredView) => v.blocks.find((b: any) => String(b.block_id).startsWith('request.duration'));
const offered = (v: StoredView) => durationBlock(v).element.options.map((o: any) => o.text.text as string);
const justificationBlock = (v: StoredView) => v.blocks.find((b: any) => b.block_id === 'request.justification');

/** Picks resources as the person does in Slack, and waits for the form the bot draws for them. */
async function pick(form: StoredView, names: string[]): Promise<StoredView> {
  const before = h.slack.view(form.id)!.hash;
  const res = await h.driver.selectAction(user, { viewId: form.id }, 'request.resources.select', names);
  expect(res.dispatched).toBe(true);
  return until(
    () => {
      const v = h.slack.view(form.id);
      return v && v.hash !== before ? v : undefined;
    },
    `the form redrawn for ${names.join(', ')}`,
  );
}

describe('the request form follows the flows of the picked resources', () => {
  it('before a pick: every duration some flow allows, and no flow hint glued to another', async () => {
    const form = await openForm();
    expect(offered(form)).toContain('1d');
    expect(justificationBlock(form).hint.text).toBe(AUDIT_LINE);
  });

  it('a resource of an 8h flow: 1d is no longer offered, and only its own flow hint is shown', async () => {
    const form = await openForm();
    const after = await pick(form, ['prod-db']);
    expect(offered(after)).not.toContain('1d');
    expect(offered(after).at(-1)).toBe('8h');
    expect(justificationBlock(after).optional).toBe(false);
    expect(justificationBlock(after).hint.text).toBe(`${PAYMENTS_HINT}\n${AUDIT_LINE}`);
    // views.update named the view's hash, as Slack expects of a redraw.
    const update = h.slack.calls('views.update').at(-1)!;
    expect(update.args.view_id).toBe(form.id);
    expect(typeof update.args.hash).toBe('string');
  });

  it('a flow with `required: false` makes the justification optional: sent without one', async () => {
    const form = await openForm();
    const after = await pick(form, ['grafana']);
    expect(justificationBlock(after).optional).toBe(true);
    expect(offered(after)).toContain('1d');
    const res = await h.driver.submitView(user, form.id, {});
    expect(res.json?.response_action).toBe('update');
    const [row] =
      await h.sql`select justification, duration_minutes from access_requests where flow_name = 'dashboards'`;
    expect(row).toMatchObject({ justification: '', duration_minutes: 60 });
  });

  it('a second resource of a stricter flow narrows the offer; each hint once, never glued; typed text kept', async () => {
    const form = await openForm();
    await h.driver.selectAction(user, { viewId: form.id }, 'request.justification.input', 'INC-77: rotate keys');
    const one = await pick(form, ['prod-db']);
    expect(offered(one).at(-1)).toBe('8h');
    const two = await pick(one, ['prod-db', 'aws-prod']);
    expect(offered(two).at(-1)).toBe('4h');
    expect(offered(two)).not.toContain('8h');
    expect(justificationBlock(two).hint.text).toBe(
      `For aws-prod: ${BILLING_HINT}\nFor prod-db: ${PAYMENTS_HINT}\n${AUDIT_LINE}`,
    );
    expect(JSON.stringify(two.blocks)).not.toContain(' · Say what for');

    const res = await h.driver.submitView(user, form.id, { 'request.duration': '240' });
    expect(res.json?.response_action).toBe('update');
    const rows =
      await h.sql`select flow_name, justification, duration_minutes from access_requests where justification like 'INC-77%' order by flow_name`;
    expect(rows.map((r) => [r.flow_name, r.justification, r.duration_minutes])).toEqual([
      ['cloud', 'INC-77: rotate keys', 240],
      ['production', 'INC-77: rotate keys', 240],
    ]);
  });

  it('a duration the new pick does not allow is not kept: the field starts again from what is offered', async () => {
    const form = await openForm();
    await h.driver.selectAction(user, { viewId: form.id }, 'request.duration.select', '1440');
    const after = await pick(form, ['aws-prod']);
    expect(offered(after)).not.toContain('1d');
    const res = await h.driver.submitView(user, form.id, { 'request.justification': 'INC-78: read the bills' });
    expect(res.json?.response_action).toBe('update');
    const [row] =
      await h.sql`select duration_minutes from access_requests where justification = 'INC-78: read the bills'`;
    expect(row!.duration_minutes).toBe(60);
  });
});
