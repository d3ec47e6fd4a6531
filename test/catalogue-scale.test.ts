import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import { PEOPLE } from './support/workspace.js';

/** 150 resources: more than a static select's 100 options, so the form must switch to type-ahead. */
const many = Array.from({ length: 150 }, (_, i) => `db-${String(i).padStart(3, '0')}`);
const accessFile = `
resources:
${many.map((name) => `  - { name: ${name}, type: database, tags: [fleet] }`).join('\n')}
flows:
  - name: fleet
    resources: { tags: [fleet] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 2h
`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ accessFile });
});
afterAll(async () => {
  await h?.stop();
});

describe('a catalogue larger than Slack allows in one select', () => {
  it('uses type-ahead, answers block_suggestion with matching resources, and accepts the pick', async () => {
    await h.driver.command(PEOPLE.requester, '/access', 'request db-120');
    const modal = await until(() => h.slack.topView(PEOPLE.requester), 'modal');
    const element = modal.view.blocks.find((b: any) => b.block_id === 'request.resources').element;
    expect(element.type).toBe('multi_external_select');
    expect(element.initial_options.map((o: any) => o.value)).toEqual(['db-120']);

    const res = await h.driver.suggest(PEOPLE.requester, modal.id, 'request.resources.select', 'db-14');
    expect(res.status).toBe(200);
    expect(res.json.options.map((o: any) => o.value)).toEqual([
      'db-140',
      'db-141',
      'db-142',
      'db-143',
      'db-144',
      'db-145',
      'db-146',
      'db-147',
      'db-148',
      'db-149',
    ]);

    const all = await h.driver.suggest(PEOPLE.requester, modal.id, 'request.resources.select', '');
    expect(all.json.options).toHaveLength(100);

    const submitted = await h.driver.submitView(PEOPLE.requester, modal.id, {
      'request.resources': ['db-120', 'db-141'],
      'request.justification': 'capacity test',
    });
    expect(submitted.json?.response_action).toBe('update');
    const rows = await h.sql`select name from request_resources order by name`;
    expect(rows.map((r) => r.name)).toEqual(['db-120', 'db-141']);
  });

  it('type-ahead shows nothing to someone no flow names', async () => {
    // A forged suggestion request: the modal is the requester's, the person asking is not.
    h.slack.clearViews(PEOPLE.requester);
    await h.driver.command(PEOPLE.requester, '/access', 'request');
    const modal = await until(() => h.slack.topView(PEOPLE.requester), 'modal');
    h.slack.state.views.get(modal.id)!.userId = PEOPLE.other;
    h.slack.state.stacks.set(PEOPLE.other, [modal.id]);
    const res = await h.driver.suggest(PEOPLE.other, modal.id, 'request.resources.select', 'db');
    expect(res.json).toEqual({ options: [] });
  });
});
