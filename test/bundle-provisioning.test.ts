import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { createMemoryProvisioner } from '../src/provisioners/memory/memory-provisioner.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approve, retryNow, revoke } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

const rita = PEOPLE.requester;
const dana = PEOPLE.dba;
const alex = PEOPLE.approver;

/** Two parts in two flows, both set up by a target that may answer later (or never). */
const memory = createMemoryProvisioner();
const accessFile = `
resources:
  - { name: app-a, type: generic, provisioner: { type: memory } }
  - { name: app-b, type: generic, provisioner: { type: memory } }
flows:
  - name: first
    resources: { names: [app-a] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0DBA1] }
  - name: second
    resources: { names: [app-b] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
bundles:
  - name: on-call
    resources: [app-a, app-b]
    duration: 1h
`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ accessFile, app: { extraProvisioners: [memory.provisioner] } });
});
afterAll(async () => {
  await h?.stop();
});

/** The line of Rita's one bundle DM about the part `requestId`. */
function partLine(requestId: string): string {
  const dms = h.slack.dmsTo(rita).filter((m) => allText(m.blocks).includes(':package: *on-call*'));
  expect(dms).toHaveLength(1);
  const line = allText(dms[0]!.blocks)
    .split('\\n')
    .find((l) => l.includes(requestId));
  if (!line) throw new Error(`no line for ${requestId}`);
  return line;
}

describe("a bundle's DM follows each part's provisioning", () => {
  let first = '';
  let second = '';

  it('a granted part whose target has not answered yet is "being set up", then "ready" once it has', async () => {
    await h.driver.command(rita, '/access', 'request bundle:on-call');
    const modal = await until(() => {
      const v = h.slack.topView(rita);
      return v && allText(v.view.blocks).includes('request.resources.1') ? v : undefined;
    }, 'the form with the bundle picked');
    await h.driver.submitView(rita, modal.id, { 'request.justification': 'INC-7: paging' });
    h.slack.clearViews(rita);
    await h.settle();
    [first, second] = (await h.sql`select id from access_requests order by flow_name`).map((r) => r.id as string) as [
      string,
      string,
    ];
    expect(partLine(first)).toContain(':hourglass_flowing_sand: pending');

    // The target asks the bot to come back in ten minutes: the part is granted, not yet usable.
    memory.failNext(1, false, 600);
    await approve(h, dana, first);
    expect(partLine(first)).toContain(':gear: being set up (`app-a`)');
    await retryNow(h);
    expect(partLine(first)).toContain(':white_check_mark: ready');
  });

  it('a part its target refuses "could not be set up"; the other part stays ready', async () => {
    memory.failNext(1, true);
    await approve(h, alex, second);
    expect(partLine(second)).toContain(':warning: could not be set up (`app-b`)');
    expect(partLine(first)).toContain(':white_check_mark: ready');
  });

  it('a revoked part says so in the bundle DM, updated in place', async () => {
    await revoke(h, dana, first);
    expect(partLine(first)).toContain(':no_entry: revoked');
  });
});
