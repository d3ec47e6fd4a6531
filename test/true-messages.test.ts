import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryProvisioner } from '../src/provisioners/memory/memory-provisioner.js';
import { PermanentProvisioningError, type Provisioner } from '../src/provisioners/port.js';
import { until } from '../doubles/slack/driver.js';
import { startHarness, type Harness } from './support/harness.js';
import {
  allText,
  approve,
  approverMessage,
  myMessage,
  requestAccess,
  retryNow,
  statusOf,
} from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/**
 * Issue 25, items 3 and 4: every screen says one true thing. The tuning modal's hints agree with its
 * labels; the requester is never told "you have access" before the targets are set up; an extended
 * grant shows its new length; an auto-approved request's "Request sent" view says it was approved; and
 * the plain-text fallback keeps the colons of what it quotes.
 */
const memory = createMemoryProvisioner();

/** A target where the requester has no account: it refuses for good, naming where it looked. */
const noAccount: Provisioner = {
  type: 'no-account',
  validateSettings: () => null,
  provision: async () => {
    throw new PermanentProvisioningError('no account for this person at http://127.0.0.1:43539');
  },
  deprovision: async () => {},
};

const accessFile = `
resources:
  - { name: app-one, type: generic, tags: [apps], provisioner: { type: memory } }
  - { name: no-account-app, type: generic, tags: [apps], provisioner: { type: no-account } }
  - name: aws-prod
    type: cloud
    tags: [cloud]
    defaults: { roles: [ReadOnly] }
    provisioner: { type: memory, roles: [ReadOnly, PowerUser, Admin] }
  - { name: bastion, type: ssh, tags: [cloud], defaults: { login_users: [ubuntu] } }
  - { name: k8s-apps, type: kubernetes, tags: [cloud] }
  - { name: play-app, type: generic, tags: [play], provisioner: { type: memory } }
flows:
  - name: apps
    resources: { tags: [apps] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
  - name: cloud
    resources: { tags: [cloud] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
  - name: play
    resources: { tags: [play] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
    auto_approve: [{ name: playground, max_duration: 4h }]
`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ accessFile, app: { extraProvisioners: [memory.provisioner, noAccount] } });
});
afterAll(async () => {
  await h?.stop();
});

const notices = (id: string) =>
  h.slack.dmsTo(PEOPLE.requester).filter((m) => allText(m.blocks).includes(`approved your request \`${id}\``));

type InputBlock = { block_id?: string; optional?: boolean; label?: { text: string }; hint?: { text: string } };

describe('the tuning modal', () => {
  it('says what an empty field means and that ticking more roles widens the grant, never "Required" under "(optional)"', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['aws-prod', 'bastion', 'k8s-apps'],
      duration: '60',
      justification: 'INC-31',
    });
    await h.driver.clickButton(PEOPLE.approver, approverMessage(h, PEOPLE.approver, id!), 'review.approve');
    const modal = await until(() => h.slack.topView(PEOPLE.approver), 'the tuning modal');
    const block = (blockId: string) => (modal.view.blocks as InputBlock[]).find((b) => b.block_id === blockId)!;
    for (const b of modal.view.blocks as InputBlock[]) {
      if (b.optional) expect(b.hint?.text ?? '', `hint of ${b.label?.text}`).not.toMatch(/required/i);
    }
    const roles = block('tune.roles.aws-prod');
    expect(roles.hint!.text).toContain('Pre-selected: ReadOnly');
    expect(roles.hint!.text).toContain('Ticking more widens the grant, unticking narrows it.');
    expect(roles.hint!.text).toContain('Leave it empty only if you untick aws-prod above.');
    expect(block('tune.login.bastion').hint!.text).toContain('Leave it empty only if you untick bastion above.');
    expect(block('tune.namespaces.k8s-apps').hint!.text).toContain('Leave it empty only if you untick k8s-apps above.');
    h.slack.clearViews(PEOPLE.approver);
  });
});

describe('the requester hears "being set up" until the targets are done', () => {
  it('the approval notice says the access is being set up, and the requester’s message names it until it is', async () => {
    memory.failNext(1); // the target answers on the second try: the grant waits in "pending" between the two
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['app-one'],
      duration: '60',
      justification: 'INC-32',
    });
    await approve(h, PEOPLE.approver, id!);
    const [notice] = notices(id!);
    expect(allText(notice!.blocks)).toContain(
      'Your access to `app-one` is being set up: I will DM you when you can use it.',
    );
    expect(allText(notice!.blocks)).not.toContain('You have access');
    expect(allText(myMessage(h, PEOPLE.requester, id!).message.blocks)).toContain('Being set up: `app-one`');
    const ready = () =>
      h.slack.dmsTo(PEOPLE.requester).some((m) => m.text.includes(`app-one is ready (request ${id})`));
    expect(ready()).toBe(false);

    await retryNow(h);
    expect(ready()).toBe(true);
    expect(allText(myMessage(h, PEOPLE.requester, id!).message.blocks)).not.toContain('Being set up');
  });

  it('a requester with no account at the target is never told "you have access"; the plain text keeps its colons', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['no-account-app'],
      duration: '60',
      justification: 'INC-33',
    });
    await approve(h, PEOPLE.approver, id!);
    expect(allText(notices(id!)[0]!.blocks)).toContain('`no-account-app` is being set up');
    const about = h.slack.dmsTo(PEOPLE.requester).filter((m) => allText(m.blocks).includes(id!));
    expect(about.some((m) => allText(m.blocks).includes('You have access'))).toBe(false);
    const problem = about.find((m) => m.text.includes('could not be set up'))!;
    expect(problem.text).toBe(
      `Access to no-account-app for request ${id} could not be set up: no account for this person at http://127.0.0.1:43539. An admin needs to fix the resource; the grant is recorded but not usable.`,
    );
    expect(allText(myMessage(h, PEOPLE.requester, id!).message.blocks)).toContain(
      'Could not be set up: `no-account-app`',
    );
  });
});

describe('an extended grant', () => {
  it('shows its new length in the requester’s and the approver’s messages', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['app-one'],
      duration: '15',
      justification: 'INC-34',
    });
    await approve(h, PEOPLE.approver, id!);
    expect(allText(myMessage(h, PEOPLE.requester, id!).message.blocks)).toContain('Granted for 15m*');
    await h.driver.clickButton(PEOPLE.requester, myMessage(h, PEOPLE.requester, id!), 'request.extend');
    const modal = await until(() => h.slack.topView(PEOPLE.requester), 'the extend modal');
    await h.driver.submitView(PEOPLE.requester, modal.id, { 'extend.duration': '30', 'extend.reason': 'INC-34 again' });
    h.slack.clearViews(PEOPLE.requester);
    await h.settle();
    const [ext] = await h.sql`select id from access_requests where extends_request_id = ${id!}`;
    await approve(h, PEOPLE.approver, ext!.id as string);
    expect(await statusOf(h, ext!.id as string)).toBe('approved');
    for (const text of [
      allText(myMessage(h, PEOPLE.requester, id!).message.blocks),
      allText(approverMessage(h, PEOPLE.approver, id!).message.blocks),
    ]) {
      expect(text).toContain('Granted for 45m* (15m, extended by 30m)');
      expect(text).not.toContain('Granted for 15m*');
    }
  });
});

describe('an auto-approved request', () => {
  it('the "Request sent" view says it was approved and is being set up, not that a decision will come', async () => {
    h.slack.clearViews(PEOPLE.requester);
    await h.driver.command(PEOPLE.requester, '/access', 'request play-app');
    const form = await until(() => h.slack.topView(PEOPLE.requester), 'the request modal');
    const res = await h.driver.submitView(PEOPLE.requester, form.id, {
      'request.duration': '60',
      'request.justification': 'INC-35',
    });
    expect(res.json?.response_action).toBe('update');
    const sent = allText(h.slack.view(form.id)!.view.blocks);
    expect(sent).toContain('Approved at once by the auto-approval rule “playground”');
    expect(sent).toContain('`play-app` is being set up: I will DM you when you can use it.');
    expect(sent).not.toContain('when it is decided');
    h.slack.clearViews(PEOPLE.requester);
  });
});
