import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessApp } from '../src/app.js';
import { createMemoryProvisioner } from '../src/provisioners/memory/memory-provisioner.js';
import type { Provisioner } from '../src/provisioners/port.js';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import { approverMessage, requestAccess } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/**
 * Two replicas provisioning the same grant at once: the first replica's call to the target is slow,
 * its outbox lease (OUTBOX_LEASE_SECONDS) runs out, and another replica takes the item and finishes
 * first. The slow one must then leave the access in place, not take it away as if the grant had ended.
 */
const memory = createMemoryProvisioner('slow-target');
let holdNext = false;
let arrived: () => void = () => {};
let release: () => void = () => {};
const slow: Provisioner = {
  ...memory.provisioner,
  async provision(ctx) {
    if (holdNext) {
      holdNext = false;
      arrived();
      await new Promise<void>((r) => (release = r));
    }
    return memory.provisioner.provision(ctx);
  },
};

const accessFile = `
resources:
  - name: app-slow
    type: generic
    tags: [apps]
    provisioner: { type: slow-target }
flows:
  - name: apps
    resources: { tags: [apps] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
`;

let h: Harness;
let second: AccessApp;
beforeAll(async () => {
  h = await startHarness({ accessFile, app: { extraProvisioners: [slow] } });
  second = await h.replica();
});
afterAll(async () => {
  await h?.stop();
});

describe('two replicas provisioning one grant at once', () => {
  it('the one that finishes second leaves the access in place', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['app-slow'],
      duration: '60',
      justification: 'INC-RACE',
    });
    const held = new Promise<void>((r) => (arrived = r));
    holdNext = true;
    // Approve without waiting for the outbox: the first replica's provisioning call is held in the target.
    const where = approverMessage(h, PEOPLE.approver, id!);
    await h.driver.clickButton(PEOPLE.approver, where, 'review.approve');
    const modal = await until(() => h.slack.topView(PEOPLE.approver), 'the tuning modal');
    await h.driver.submitView(PEOPLE.approver, modal.id, {});
    await held;
    const [grant] = await h.sql`select id from grants where request_id = ${id!}`;
    const grantId = grant!.id as string;

    // The other replica, once the lease ran out: provisions the grant and records it.
    await second.services.provisioning.provisionGrant(grantId);
    expect(memory.has(grantId, 'app-slow')).toBe(true);
    release();
    await h.settle();

    expect(memory.has(grantId, 'app-slow')).toBe(true);
    expect(memory.calls.filter((c) => c.grantId === grantId && c.op === 'deprovision')).toHaveLength(0);
    const [target] = await h.sql`select status from grant_targets where grant_id = ${grantId}`;
    expect(target!.status).toBe('active');
    const provisioned =
      await h.sql`select 1 from audit_events where request_id = ${id!} and action = 'grant.provisioned'`;
    expect(provisioned).toHaveLength(1);
  });
});
