import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { createMemoryProvisioner } from '../src/provisioners/memory/memory-provisioner.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approve, approverMessage, requestAccess, statusOf } from './support/journey-steps.js';

/**
 * Cloud resources (an AWS account, a Google Cloud project) and identity-provider groups as the tuning
 * modal and the grant see them, with a stand-in provisioner whose `roles` setting lists what it allows.
 */
const memory = createMemoryProvisioner();
let h: Harness;

const accessFile = `
resources:
  - name: aws-prod
    type: cloud
    tags: [cloud]
    defaults: { roles: [ReadOnly] }
    provisioner: { type: memory, roles: [ReadOnly, PowerUser, Admin] }
  - name: okta-oncall
    type: group
    tags: [cloud]
    provisioner: { type: memory }
flows:
  - name: cloud
    resources: { tags: [cloud] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
`;

beforeAll(async () => {
  h = await startHarness({ accessFile, app: { extraProvisioners: [memory.provisioner] } });
});
afterAll(async () => {
  await h?.stop();
});

const policyOf = async (id: string) =>
  (await h.sql`select policy from grants where request_id = ${id}`)[0]?.policy as { resources: unknown[] } | undefined;

describe('cloud roles in the tuning modal', () => {
  it('offers exactly the roles the provisioner allows, the default pre-selected, and grants what the approver kept', async () => {
    const [id] = await requestAccess(h, 'U0REQ', {
      resources: ['aws-prod', 'okta-oncall'],
      duration: '60',
      justification: 'INC-42 billing',
    });
    const where = approverMessage(h, 'U0APPR', id!);
    await h.driver.clickButton('U0APPR', where, 'review.approve');
    const modal = await until(() => h.slack.topView('U0APPR'), 'the tuning modal');
    const roles = modal.blocks.find((b) => b.block_id === 'tune.roles.aws-prod') as {
      element: { type: string; options: { value: string }[]; initial_options: { value: string }[] };
    };
    expect(roles.element.type).toBe('checkboxes');
    expect(roles.element.options.map((o) => o.value)).toEqual(['ReadOnly', 'PowerUser', 'Admin']);
    expect(roles.element.initial_options.map((o) => o.value)).toEqual(['ReadOnly']);
    // Nothing to tune for a group but the time.
    expect(modal.blocks.some((b) => String(b.block_id ?? '').endsWith('.okta-oncall'))).toBe(false);

    const res = await h.driver.submitView('U0APPR', modal.id, { 'tune.roles.aws-prod': ['PowerUser'] });
    expect(res.status).toBe(200);
    h.slack.clearViews('U0APPR');
    await h.settle();
    expect(await statusOf(h, id!)).toBe('active');
    expect((await policyOf(id!))?.resources).toEqual([
      { type: 'cloud', resource: 'aws-prod', roles: ['PowerUser'] },
      { type: 'group', resource: 'okta-oncall' },
    ]);
    expect(allText(h.slack.message(where.channel, where.ts)?.blocks)).toContain('aws-prod: PowerUser');
  });

  it('refuses an approval with no role, under the field, and writes nothing', async () => {
    const [id] = await requestAccess(h, 'U0REQ', { resources: ['aws-prod'], duration: '60', justification: 'INC-43' });
    const res = await approve(h, 'U0APPR', id!, { 'tune.roles.aws-prod': [] });
    expect(res.json?.response_action).toBe('errors');
    expect(res.json?.errors).toEqual({ 'tune.roles.aws-prod': 'Pick at least one role.' });
    expect(await statusOf(h, id!)).toBe('pending');
  });

  it('refuses a forged submission naming a role the resource does not allow', async () => {
    const [id] = await requestAccess(h, 'U0REQ', { resources: ['aws-prod'], duration: '60', justification: 'INC-44' });
    const where = approverMessage(h, 'U0APPR', id!);
    await h.driver.clickButton('U0APPR', where, 'review.approve');
    const modal = await until(() => h.slack.topView('U0APPR'), 'the tuning modal');
    const forged = {
      'tune.roles.aws-prod': {
        'tune.roles.value': {
          type: 'checkboxes',
          selected_options: [{ text: { type: 'plain_text', text: 'x' }, value: 'OrganizationAdmin' }],
        },
      },
    };
    const res = await h.driver.submitView('U0APPR', modal.id, {}, { raw: forged });
    h.slack.clearViews('U0APPR');
    expect(res.json?.response_action).toBe('errors');
    expect(allText(res.json?.errors)).toContain('“OrganizationAdmin” is not a role aws-prod allows.');
    expect(await statusOf(h, id!)).toBe('pending');
    expect(await policyOf(id!)).toBeUndefined();
  });
});
