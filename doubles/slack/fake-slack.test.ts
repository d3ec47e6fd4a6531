import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogLevel, WebClient, type Logger } from '@slack/web-api';
import { FakeSlack } from './fake-slack.js';

const TOKEN = 'xoxb-test';
/** WebClient logs Slack's error messages; these tests provoke them on purpose. */
const silent: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => LogLevel.ERROR,
  setName() {},
};
const clientFor = (token: string) =>
  new WebClient(token, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, logger: silent });
let slack: FakeSlack;
let client: WebClient;

/** The platform error code of a failed WebClient call (doc §3.1: ok:false → error with `data`). */
async function errorOf(p: Promise<unknown>): Promise<{ error: string; data: any }> {
  try {
    await p;
  } catch (e: any) {
    return { error: e.data?.error ?? e.code, data: e.data };
  }
  throw new Error('expected the call to fail');
}

const modal = (title = 'Request') => ({ type: 'modal', title: { type: 'plain_text', text: title }, blocks: [] });

beforeEach(async () => {
  slack = await FakeSlack.start({
    botToken: TOKEN,
    triggerTtlMs: 200,
    users: [
      { id: 'U0ALICE', name: 'alice', realName: 'Alice A', email: 'alice@example.com', tz: 'Europe/Berlin' },
      { id: 'U0BOB', name: 'bob' },
      { id: 'U0CAROL', name: 'carol' },
      { id: 'W0DAVE', name: 'dave', isAdmin: true },
    ],
    usergroups: [{ id: 'S0OPS', handle: 'ops', name: 'Ops', users: ['U0ALICE', 'U0BOB'] }],
  });
  client = clientFor(TOKEN);
});
afterEach(async () => {
  await slack.stop();
});

describe('FakeSlack Web API', () => {
  it('answers auth.test and checks the token', async () => {
    const r = await client.auth.test();
    expect(r).toMatchObject({ ok: true, team_id: 'T0TEAM', user_id: 'U0BOT', bot_id: 'B0BOT' });
    expect((await errorOf(clientFor('xoxb-wrong').auth.test())).error).toBe('invalid_auth');
    const res = await fetch(`${slack.apiUrl}auth.test`, { method: 'POST' });
    expect([res.status, await res.json()]).toEqual([200, { ok: false, error: 'not_authed' }]);
    expect((await errorOf(client.apiCall('nope.nothing'))).error).toBe('unknown_method');
    expect(slack.failures().map((c) => c.error)).toEqual(['invalid_auth', 'not_authed', 'unknown_method']);
  });

  it('posts to a user id into the bot DM and records decoded args', async () => {
    const r = await client.chat.postMessage({
      channel: 'U0ALICE',
      text: 'hi',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }],
    });
    expect(r.channel).toBe(slack.dmChannelOf('U0ALICE'));
    expect(r.channel).toMatch(/^D/);
    expect(slack.dmsTo('U0ALICE').map((m) => m.text)).toEqual(['hi']);
    expect(slack.calls('chat.postMessage')[0]!.args.blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: '*hi*' } },
    ]);
    const second = await client.chat.postMessage({ channel: r.channel!, text: 'again' });
    expect(Number(second.ts)).toBeGreaterThan(Number(r.ts));
    expect((await client.conversations.open({ users: 'U0ALICE' })).already_open).toBe(true);
    expect((await errorOf(client.chat.postMessage({ channel: 'C0NOPE', text: 'x' }))).error).toBe('channel_not_found');
    expect((await errorOf(client.chat.postMessage({ channel: 'U0ALICE', text: '' }))).error).toBe('no_text');
  });

  it("refuses posts where Slack would: not invited, archived, a bot user; a deactivated user's DM takes them", async () => {
    slack.addChannel({ id: 'C0SHY', name: 'shy', botIsMember: false });
    slack.addChannel({ id: 'C0OLD', name: 'old', isArchived: true });
    slack.addUser({ id: 'U0ROBOT', name: 'robot', isBot: true });
    slack.addUser({ id: 'U0GONE', name: 'gone', deleted: true });
    expect((await errorOf(client.chat.postMessage({ channel: 'C0SHY', text: 'x' }))).error).toBe('not_in_channel');
    expect((await errorOf(client.chat.postMessage({ channel: 'C0OLD', text: 'x' }))).error).toBe('is_archived');
    expect((await errorOf(client.chat.postMessage({ channel: 'U0ROBOT', text: 'x' }))).error).toBe('cannot_dm_bot');
    // Slack answers ok for a deactivated user (slackapi/python-slack-sdk#1156): nobody will read it.
    expect((await client.chat.postMessage({ channel: 'U0GONE', text: 'x' })).ok).toBe(true);
    slack.updateChannel('C0SHY', { botIsMember: true });
    expect((await client.chat.postMessage({ channel: 'C0SHY', text: 'x' })).ok).toBe(true);
  });

  it('enforces a rate limit per method with 429 and Retry-After', async () => {
    slack.rateLimit('chat.update', 1, 60_000);
    const { ts } = await client.chat.postMessage({ channel: 'C0GENERAL', text: 'x' });
    await client.chat.update({ channel: 'C0GENERAL', ts: ts!, text: 'y' });
    const res = await fetch(`${slack.apiUrl}chat.update`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'C0GENERAL', ts, text: 'z' }),
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect(slack.failures().map((c) => c.error)).toEqual(['ratelimited']);
    expect((await client.chat.postMessage({ channel: 'C0GENERAL', text: 'other methods are not limited' })).ok).toBe(
      true,
    );
  });

  it('rejects invalid blocks with invalid_blocks and Slack-style messages', async () => {
    const blocks = Array.from({ length: 51 }, () => ({ type: 'divider' }));
    const { error, data } = await errorOf(client.chat.postMessage({ channel: 'C0GENERAL', text: 'x', blocks }));
    expect(error).toBe('invalid_blocks');
    expect(data.response_metadata.messages).toEqual(['[ERROR] no more than 50 items allowed [json-pointer:/blocks]']);
  });

  it('chat.update: unknown message, foreign message, too long, and a real update', async () => {
    expect((await errorOf(client.chat.update({ channel: 'C0GENERAL', ts: '1.000001', text: 'x' }))).error).toBe(
      'message_not_found',
    );
    const human = slack.postAsUser('C0GENERAL', 'U0BOB', 'mine');
    expect((await errorOf(client.chat.update({ channel: 'C0GENERAL', ts: human.ts, text: 'x' }))).error).toBe(
      'cant_update_message',
    );
    const { ts } = await client.chat.postMessage({ channel: 'C0GENERAL', text: 'v1' });
    expect((await errorOf(client.chat.update({ channel: 'C0GENERAL', ts: ts!, text: 'x'.repeat(4001) }))).error).toBe(
      'msg_too_long',
    );
    await client.chat.update({ channel: 'C0GENERAL', ts: ts!, text: 'v2' });
    expect(slack.message('C0GENERAL', ts!)).toMatchObject({ text: 'v2', updateCount: 1 });
  });

  it('views.open: trigger must be fresh, unused and issued', async () => {
    const t1 = slack.issueTriggerId('U0ALICE');
    expect(t1).toMatch(/^\d+\.\d+\.[0-9a-f]+$/);
    const r = await client.views.open({ trigger_id: t1, view: modal() as any });
    expect(r.view).toMatchObject({ type: 'modal', state: { values: {} }, root_view_id: r.view!.id });
    expect(slack.topView('U0ALICE')?.id).toBe(r.view!.id);
    expect((await errorOf(client.views.open({ trigger_id: t1, view: modal() as any }))).error).toBe(
      'exchanged_trigger_id',
    );
    expect((await errorOf(client.views.open({ trigger_id: '1.2.abc', view: modal() as any }))).error).toBe(
      'invalid_trigger_id',
    );
    const t2 = slack.issueTriggerId('U0ALICE');
    await new Promise((res) => setTimeout(res, 250));
    expect((await errorOf(client.views.open({ trigger_id: t2, view: modal() as any }))).error).toBe(
      'expired_trigger_id',
    );
  });

  it('views.push stack limit, views.update hash/not_found, invalid views', async () => {
    const root = await client.views.open({ trigger_id: slack.issueTriggerId('U0BOB'), view: modal('one') as any });
    await client.views.push({ trigger_id: slack.issueTriggerId('U0BOB'), view: modal('two') as any });
    await client.views.push({ trigger_id: slack.issueTriggerId('U0BOB'), view: modal('three') as any });
    expect(
      (await errorOf(client.views.push({ trigger_id: slack.issueTriggerId('U0BOB'), view: modal('four') as any })))
        .error,
    ).toBe('push_limit_reached');
    expect(slack.viewStack('U0BOB').map((v) => v.view.title.text)).toEqual(['one', 'two', 'three']);
    expect(
      (await errorOf(client.views.update({ view_id: root.view!.id!, hash: 'stale', view: modal() as any }))).error,
    ).toBe('hash_conflict');
    const { error, data } = await errorOf(
      client.views.update({ view_id: root.view!.id!, view: modal('x'.repeat(30)) as any }),
    );
    expect([error, data.response_metadata.messages]).toEqual([
      'invalid_arguments',
      ['[ERROR] must be less than 25 characters [json-pointer:/view/title/text]'],
    ]);
    slack.clearViews('U0BOB');
    expect((await errorOf(client.views.update({ view_id: root.view!.id!, view: modal() as any }))).error).toBe(
      'not_found',
    );
  });

  it('views.publish needs a known user and a home view', async () => {
    const { error, data } = await errorOf(
      client.views.publish({ user_id: 'U0NOBODY', view: { type: 'home', blocks: [] } }),
    );
    expect([error, data.response_metadata.messages]).toEqual(['invalid_arguments', ['invalid `user_id`']]);
    expect((await errorOf(client.views.publish({ user_id: 'U0ALICE', view: modal() as any }))).error).toBe(
      'invalid_arguments',
    );
    const r = await client.views.publish({ user_id: 'U0ALICE', view: { type: 'home', blocks: [{ type: 'divider' }] } });
    expect(r.view).toMatchObject({ type: 'home', close: null, submit: null });
    expect(slack.home('U0ALICE')?.view.blocks).toEqual([{ type: 'divider' }]);
    // `hash` names the view being replaced: a view published since answers hash_conflict, unchanged.
    const second = await client.views.publish({
      user_id: 'U0ALICE',
      hash: r.view!.hash!,
      view: { type: 'home', blocks: [{ type: 'divider' }, { type: 'divider' }] },
    });
    expect(
      (
        await errorOf(
          client.views.publish({ user_id: 'U0ALICE', hash: r.view!.hash!, view: { type: 'home', blocks: [] } }),
        )
      ).error,
    ).toBe('hash_conflict');
    expect(slack.home('U0ALICE')?.view.blocks).toHaveLength(2);
    expect(second.view!.hash).not.toBe(r.view!.hash);
  });

  it('a Free workspace has no user groups: usergroups.* answer plan_upgrade_required', async () => {
    const free = await FakeSlack.start({
      botToken: TOKEN,
      plan: 'free',
      users: [{ id: 'U0ALICE', name: 'alice' }],
      usergroups: [{ id: 'S0OPS', handle: 'ops', name: 'Ops', users: ['U0ALICE'] }],
    });
    try {
      const c = new WebClient(TOKEN, { slackApiUrl: free.apiUrl, retryConfig: { retries: 0 }, logger: silent });
      expect((await errorOf(c.usergroups.list())).error).toBe('plan_upgrade_required');
      expect((await errorOf(c.usergroups.users.list({ usergroup: 'S0OPS' }))).error).toBe('plan_upgrade_required');
      expect((await c.users.info({ user: 'U0ALICE' })).ok).toBe(true);
    } finally {
      await free.stop();
    }
  });

  it('users, usergroups, permalink', async () => {
    const info = await client.users.info({ user: 'U0ALICE' });
    expect(info.user).toMatchObject({
      id: 'U0ALICE',
      name: 'alice',
      real_name: 'Alice A',
      tz: 'Europe/Berlin',
      is_restricted: false,
      profile: { email: 'alice@example.com' },
    });
    expect((await errorOf(client.users.info({ user: 'U0NOPE' }))).error).toBe('user_not_found');
    const page1 = await client.users.list({ limit: 2 });
    const page2 = await client.users.list({ limit: 2, cursor: page1.response_metadata!.next_cursor! });
    const page3 = await client.users.list({ limit: 2, cursor: page2.response_metadata!.next_cursor! });
    expect([...page1.members!, ...page2.members!, ...page3.members!].map((m) => m.id)).toEqual([
      'U0ALICE',
      'U0BOB',
      'U0CAROL',
      'W0DAVE',
      'U0BOT',
    ]);
    expect(page3.response_metadata!.next_cursor).toBe('');
    const groups = await client.usergroups.list({ include_users: true, include_count: true });
    expect(groups.usergroups).toMatchObject([
      { id: 'S0OPS', handle: 'ops', user_count: '2', users: ['U0ALICE', 'U0BOB'] },
    ]);
    slack.setUsergroupUsers('S0OPS', ['U0CAROL']);
    expect((await client.usergroups.users.list({ usergroup: 'S0OPS' })).users).toEqual(['U0CAROL']);
    expect((await errorOf(client.usergroups.users.list({ usergroup: 'S0NOPE' }))).error).toBe('no_such_subteam');
    const { ts } = await client.chat.postMessage({ channel: 'C0GENERAL', text: 'x' });
    expect((await client.chat.getPermalink({ channel: 'C0GENERAL', message_ts: ts! })).permalink).toMatch(
      /\/archives\/C0GENERAL\/p\d{16}$/,
    );
  });

  it('a deactivated user: users.info says deleted; a disabled group: listed and found only with include_disabled', async () => {
    slack.addUser({ id: 'U0LEAVER', name: 'leaver' });
    slack.addUsergroup({ id: 'S0OLD', handle: 'old', name: 'Old', users: ['U0LEAVER'] });
    slack.deactivateUser('U0LEAVER');
    expect((await client.users.info({ user: 'U0LEAVER' })).user).toMatchObject({ id: 'U0LEAVER', deleted: true });
    expect(slack.renderedUser('U0LEAVER')).toMatchObject({
      id: 'U0LEAVER',
      deleted: true,
      profile: { display_name: 'leaver' },
    });
    slack.disableUsergroup('S0OLD');
    expect((await client.usergroups.list({})).usergroups!.map((g) => g.id)).not.toContain('S0OLD');
    const all = (await client.usergroups.list({ include_disabled: true })).usergroups!;
    expect(all.find((g) => g.id === 'S0OLD')!.date_delete).toBeGreaterThan(0);
    expect(all.find((g) => g.id === 'S0OPS')!.date_delete).toBe(0);
    expect((await errorOf(client.usergroups.users.list({ usergroup: 'S0OLD' }))).error).toBe('no_such_subteam');
    // Slack keeps a disabled group's members (enabling it again restores them).
    expect((await client.usergroups.users.list({ usergroup: 'S0OLD', include_disabled: true })).users).toEqual([
      'U0LEAVER',
    ]);
  });

  it('injects faults: 429 with Retry-After, 500, and error codes', async () => {
    slack.failNext('chat.postMessage', { status: 429, retryAfterSec: 7 });
    slack.failNext('auth.test', { error: 'account_inactive' });
    const post = () =>
      fetch(`${slack.apiUrl}chat.postMessage`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'channel=C0GENERAL&text=hi&team_id=T0TEAM',
      });
    const limited = await post();
    expect([limited.status, limited.headers.get('retry-after'), await limited.json()]).toEqual([
      429,
      '7',
      { ok: false, error: 'ratelimited' },
    ]);
    expect((await post()).status).toBe(200);
    slack.failNext('chat.postMessage', { status: 500 });
    expect((await post()).status).toBe(500);
    expect((await errorOf(client.auth.test())).error).toBe('account_inactive');
    expect(slack.messagesIn('C0GENERAL')).toHaveLength(1);
  });

  it('response_url: replace_original, ephemeral default, in_channel, at most 5 uses', async () => {
    const { ts } = await client.chat.postMessage({ channel: 'C0GENERAL', text: 'request #1' });
    const url = slack.newResponseUrl({ channel: 'C0GENERAL', userId: 'U0BOB', messageTs: ts! });
    const post = (body: unknown) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post({ replace_original: true, text: 'approved' })).status).toBe(200);
    expect(slack.message('C0GENERAL', ts!)?.text).toBe('approved');
    await post({ text: 'only you can see this' });
    expect(slack.ephemeralsTo('U0BOB').map((m) => m.text)).toEqual(['only you can see this']);
    await post({ response_type: 'in_channel', text: 'everyone sees this' });
    expect(slack.messagesIn('C0GENERAL').map((m) => m.text)).toEqual(['approved', 'everyone sees this']);
    await post({ text: '4' });
    await post({ text: '5' });
    expect((await post({ text: '6' })).status).toBe(404);
    expect(slack.responses(url)).toHaveLength(6);
  });
});

describe('scopes, as the bot token holds them', () => {
  const scoped = (scopes: string[]) =>
    FakeSlack.start({
      botToken: TOKEN,
      scopes,
      users: [{ id: 'U0ALICE', name: 'alice', email: 'alice@example.com' }],
      usergroups: [{ id: 'S0OPS', handle: 'ops', name: 'Ops', users: ['U0ALICE'] }],
    });

  it('refuses a method whose scope the token lacks with missing_scope, naming needed and provided', async () => {
    const limited = await scoped(['commands', 'users:read']);
    try {
      const c = new WebClient(TOKEN, { slackApiUrl: limited.apiUrl, retryConfig: { retries: 0 }, logger: silent });
      const failed = await errorOf(c.chat.postMessage({ channel: 'U0ALICE', text: 'hi' }));
      expect(failed.error).toBe('missing_scope');
      expect(failed.data).toMatchObject({ needed: 'chat:write', provided: 'commands,users:read' });
      expect((await errorOf(c.usergroups.users.list({ usergroup: 'S0OPS' }))).data.needed).toBe('usergroups:read');
      // Methods that need no scope still answer.
      expect((await c.auth.test()).ok).toBe(true);
    } finally {
      await limited.stop();
    }
  });

  it('leaves profile.email out of users.info without users:read.email, and includes it with', async () => {
    const without = await scoped(['users:read']);
    const withEmail = await scoped(['users:read', 'users:read.email']);
    try {
      const info = (s: FakeSlack) =>
        new WebClient(TOKEN, { slackApiUrl: s.apiUrl, retryConfig: { retries: 0 }, logger: silent }).users.info({
          user: 'U0ALICE',
        });
      expect((await info(without)).user?.profile?.email).toBeUndefined();
      expect((await info(withEmail)).user?.profile?.email).toBe('alice@example.com');
    } finally {
      await without.stop();
      await withEmail.stop();
    }
  });
});
