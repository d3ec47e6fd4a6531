import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, LogLevel } from '@slack/bolt';
import { FakeSlack } from './fake-slack.js';
import { SlackDriver, until } from './driver.js';

const SIGNING_SECRET = 'test-signing-secret';
let slack: FakeSlack;
let app: App;
let server: Server;
let driver: SlackDriver;
const userChanges: Array<{ body: any; retryNum: unknown }> = [];
const submissions: any[] = [];
const closed: any[] = [];

const requestModal = {
  type: 'modal',
  callback_id: 'access_request',
  notify_on_close: true,
  title: { type: 'plain_text', text: 'Request access' },
  submit: { type: 'plain_text', text: 'Request' },
  blocks: [
    {
      type: 'input',
      block_id: 'role',
      label: { type: 'plain_text', text: 'Role' },
      element: {
        type: 'static_select',
        action_id: 'v',
        options: ['reader', 'admin'].map((v) => ({ text: { type: 'plain_text', text: v }, value: v })),
      },
    },
    {
      type: 'input',
      block_id: 'reason',
      label: { type: 'plain_text', text: 'Why?' },
      element: { type: 'plain_text_input', action_id: 'v', min_length: 3 },
    },
    {
      type: 'input',
      block_id: 'approver',
      optional: true,
      label: { type: 'plain_text', text: 'Approver' },
      element: { type: 'users_select', action_id: 'v' },
    },
  ],
};

beforeAll(async () => {
  slack = await FakeSlack.start({
    botToken: 'xoxb-test',
    users: [
      { id: 'U0ALICE', name: 'alice' },
      { id: 'U0BOB', name: 'bob' },
    ],
  });
  app = new App({
    signingSecret: SIGNING_SECRET,
    token: 'xoxb-test',
    botId: slack.botId,
    botUserId: slack.botUserId,
    clientOptions: { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } },
    logLevel: LogLevel.ERROR,
  });
  app.event('user_change', async ({ body, context }) => {
    userChanges.push({ body, retryNum: context.retryNum });
  });
  app.command('/access', async ({ ack, body, client }) => {
    await ack();
    await client.views.open({ trigger_id: body.trigger_id, view: requestModal as any });
  });
  app.view('access_request', async ({ ack, view, body, client }) => {
    const v = view.state.values;
    submissions.push(v);
    if (v.reason?.v?.value === 'bad') {
      await ack({ response_action: 'errors', errors: { reason: 'Give a real reason' } });
      return;
    }
    if (v.reason?.v?.value === 'elsewhere') {
      // An error under a field this modal does not have: Slack refuses the whole answer.
      await ack({ response_action: 'errors', errors: { ssh_key: 'Paste your key', reason: 'Fine' } });
      return;
    }
    if (v.reason?.v?.value === 'more') {
      await ack({
        response_action: 'update',
        view: { ...requestModal, title: { type: 'plain_text', text: 'Tell us more' } } as any,
      });
      return;
    }
    await ack();
    const approver = v.approver?.v?.selected_user ?? 'U0BOB';
    await client.chat.postMessage({
      channel: approver,
      text: `${body.user.name} wants ${v.role?.v?.selected_option?.value}`,
      blocks: [
        {
          type: 'section',
          text: { type: 'mrkdwn', text: `<@${body.user.id}> wants *${v.role?.v?.selected_option?.value}*` },
        },
        {
          type: 'actions',
          block_id: 'decide',
          elements: [
            {
              type: 'button',
              action_id: 'approve',
              style: 'primary',
              value: 'req-1',
              text: { type: 'plain_text', text: 'Approve' },
            },
          ],
        },
      ],
    });
  });
  app.view({ callback_id: 'access_request', type: 'view_closed' }, async ({ ack, body }) => {
    closed.push(body);
    await ack();
  });
  app.action('approve', async ({ ack, action, respond }) => {
    await ack();
    await respond({ replace_original: true, text: `Approved ${(action as any).value}` });
  });
  app.event('app_home_opened', async ({ event, client }) => {
    await client.views.publish({
      user_id: event.user,
      view: { type: 'home', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Your requests' } }] },
    });
  });
  app.command('/whoami', async ({ ack, respond, command }) => {
    await ack(`You are ${command.user_name}`);
    await respond({ response_type: 'in_channel', text: 'announced' });
  });
  app.action('pick_role', async ({ ack, action, respond }) => {
    await ack();
    await respond({ replace_original: true, text: `picked ${(action as any).selected_option.value}` });
  });
  server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
  const { port } = server.address() as AddressInfo;
  driver = new SlackDriver({
    eventsUrl: `http://127.0.0.1:${port}/slack/events`,
    signingSecret: SIGNING_SECRET,
    slack,
  });
});

afterAll(async () => {
  await app.stop();
  await slack.stop();
});

beforeEach(() => {
  submissions.length = 0;
  slack.clearViews('U0ALICE');
});

async function openRequestModal(): Promise<string> {
  const res = await driver.command('U0ALICE', '/access', 'please');
  expect(res.status).toBe(200);
  return (await until(() => slack.topView('U0ALICE'), 'the modal')).id;
}

describe('SlackDriver against a real Bolt app', () => {
  it('opens a modal from a command and receives its submission; the approver clicks in the DM', async () => {
    const viewId = await openRequestModal();
    expect(slack.calls('views.open')[0]).toMatchObject({ ok: true });
    const res = await driver.submitView('U0ALICE', viewId, { role: 'admin', reason: 'on-call', approver: 'U0BOB' });
    expect([res.status, res.text]).toEqual([200, '']);
    expect(slack.topView('U0ALICE')).toBeUndefined();
    expect(submissions[0]).toEqual({
      role: {
        v: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'admin' }, value: 'admin' } },
      },
      reason: { v: { type: 'plain_text_input', value: 'on-call' } },
      approver: { v: { type: 'users_select', selected_user: 'U0BOB' } },
    });
    const dm = await until(() => slack.dmsTo('U0BOB')[0], 'the approval DM');
    expect(dm.text).toBe('alice wants admin');
    expect(() => driver.clickButton('U0BOB', { channel: dm.channel, ts: dm.ts }, 'deny')).toThrow(
      /No button with action_id "deny".*approve/,
    );
    expect((await driver.clickButton('U0BOB', { channel: dm.channel, ts: dm.ts }, 'approve')).status).toBe(200);
    await until(() => slack.message(dm.channel, dm.ts)?.text === 'Approved req-1', 'replace_original');
    expect(slack.message(dm.channel, dm.ts)?.blocks).toEqual([]);
  });

  it('keeps the view open on response_action errors and replaces it on update', async () => {
    const viewId = await openRequestModal();
    const res = await driver.submitView('U0ALICE', viewId, { role: 'reader', reason: 'bad' });
    expect(res.json).toEqual({ response_action: 'errors', errors: { reason: 'Give a real reason' } });
    expect(slack.topView('U0ALICE')?.id).toBe(viewId);
    await driver.submitView('U0ALICE', viewId, { reason: 'more' });
    expect(slack.topView('U0ALICE')).toMatchObject({ id: viewId, view: { title: { text: 'Tell us more' } } });
    // What the user typed survives the update because the block ids stayed the same.
    expect(submissions[1].role.v.selected_option.value).toBe('reader');
  });

  it('refuses errors keyed to a block that is not an input of the submitted view, leaving it as it was', async () => {
    const viewId = await openRequestModal();
    const before = slack.renderedView(viewId)!.hash;
    const res = await driver.submitView('U0ALICE', viewId, { role: 'reader', reason: 'elsewhere' });
    expect(res.slackError).toBe('invalid_arguments');
    expect(res.slackMessages).toEqual([
      '[ERROR] errors key "ssh_key" is not an input block_id [json-pointer:/errors/ssh_key]',
    ]);
    expect(slack.topView('U0ALICE')).toMatchObject({ id: viewId, hash: before });
  });

  it('refuses what a person cannot do, unless raw is used', async () => {
    const viewId = await openRequestModal();
    await expect(driver.submitView('U0ALICE', viewId, { role: 'root', reason: 'abc' })).rejects.toThrow(
      /not one of the offered options/,
    );
    await expect(driver.submitView('U0ALICE', viewId, { role: 'admin', reason: 'ab' })).rejects.toThrow(
      /at least 3 characters/,
    );
    // Entries stay in the form after a refused submit, like in Slack's client; null clears the select.
    await expect(driver.submitView('U0ALICE', viewId, { role: null, reason: 'abcd' })).rejects.toThrow(
      /"role" is required/,
    );
    const raw = {
      role: {
        v: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'x' }, value: 'root' } },
      },
    };
    const res = await driver.submitView('U0ALICE', viewId, { reason: 'hostile' }, { raw });
    expect(res.status).toBe(200);
    expect(submissions.at(-1).role.v.selected_option.value).toBe('root');
  });

  it('sends view_closed when notify_on_close is set', async () => {
    const viewId = await openRequestModal();
    const res = await driver.closeView('U0ALICE', viewId);
    expect(res.status).toBe(200);
    expect(closed.at(-1)).toMatchObject({
      type: 'view_closed',
      is_cleared: false,
      view: { id: viewId, callback_id: 'access_request' },
    });
    expect(slack.viewStack('U0ALICE')).toEqual([]);
  });

  it('sends user_change with the full user object, and redelivers the very same envelope with the retry headers', async () => {
    const seen = userChanges;
    slack.deactivateUser('U0BOB');
    expect((await driver.userChange('U0BOB')).status).toBe(200);
    expect((await driver.redeliverLastEvent(1)).status).toBe(200);
    await until(() => seen.length === 2, 'both deliveries');
    expect(seen[0]!.body).toMatchObject({
      type: 'event_callback',
      event: { type: 'user_change', user: { id: 'U0BOB', deleted: true, profile: { display_name: 'bob' } } },
    });
    expect(seen[0]!.body.event.cache_ts).toEqual(expect.any(Number));
    expect(seen[1]!.body.event_id).toBe(seen[0]!.body.event_id);
    expect([seen[0]!.retryNum, seen[1]!.retryNum]).toEqual([undefined, 1]);
  });

  it('delivers app_home_opened as an Events API envelope', async () => {
    expect((await driver.appHomeOpened('U0ALICE')).status).toBe(200);
    const home = await until(() => slack.home('U0ALICE'), 'the Home view');
    expect(home.view.blocks[0].text.text).toBe('Your requests');
  });

  it('shows a command ack as an ephemeral and respond(in_channel) as a channel message', async () => {
    const res = await driver.command('U0ALICE', '/whoami');
    expect([res.status, res.text]).toEqual([200, 'You are alice']);
    expect(slack.ephemeralsTo('U0ALICE').at(-1)?.text).toBe('You are alice');
    await until(() => slack.messagesIn('C0GENERAL').find((m) => m.text === 'announced'), 'respond()');
    expect(slack.responses().at(-1)?.body).toEqual({ response_type: 'in_channel', text: 'announced' });
  });

  it('selects in a message select and the app replaces the message through response_url', async () => {
    const { ts, channel } = await app.client.chat.postMessage({
      channel: 'C0GENERAL',
      text: 'pick',
      blocks: [
        {
          type: 'actions',
          elements: [
            {
              type: 'static_select',
              action_id: 'pick_role',
              placeholder: { type: 'plain_text', text: 'Role' },
              options: [{ text: { type: 'plain_text', text: 'Reader' }, value: 'reader' }],
            },
          ],
        },
      ],
    });
    await expect(driver.selectAction('U0BOB', { channel: channel!, ts: ts! }, 'pick_role', 'owner')).rejects.toThrow(
      /not one of the offered/,
    );
    expect((await driver.selectAction('U0BOB', { channel: channel!, ts: ts! }, 'pick_role', 'reader')).status).toBe(
      200,
    );
    await until(() => slack.message(channel!, ts!)?.text === 'picked reader', 'the replaced message');
  });

  it('clicks the button of the block named when several share an action_id', async () => {
    const button = (value: string) => ({
      type: 'button',
      action_id: 'approve',
      value,
      text: { type: 'plain_text', text: 'Approve' },
    });
    const m = slack.state.addMessage({
      channel: slack.dmChannelOf('U0BOB'),
      text: 'two requests',
      user: slack.botUserId,
      blocks: [
        { type: 'actions', block_id: 'first', elements: [button('req-1')] },
        { type: 'actions', block_id: 'second', elements: [button('req-2')] },
      ],
    });
    expect(() =>
      driver.clickButton('U0BOB', { channel: m.channel, ts: m.ts }, 'approve', { blockId: 'third' }),
    ).toThrow(/No button/);
    await driver.clickButton('U0BOB', { channel: m.channel, ts: m.ts }, 'approve', { blockId: 'second' });
    await until(() => slack.message(m.channel, m.ts)?.text === 'Approved req-2', 'the second button acted on');
  });

  it('gets 401 for a badly signed or stale request', async () => {
    const body = 'token=x&command=%2Faccess&user_id=U0ALICE';
    expect((await driver.raw(body, 'application/x-www-form-urlencoded', { signature: 'v0=deadbeef' })).status).toBe(
      401,
    );
    expect((await driver.raw(body, 'application/x-www-form-urlencoded', { signature: null })).status).toBe(401);
    const stale = String(Math.floor(Date.now() / 1000) - 600);
    expect((await driver.raw(body, 'application/x-www-form-urlencoded', { timestamp: stale })).status).toBe(401);
  });
});
