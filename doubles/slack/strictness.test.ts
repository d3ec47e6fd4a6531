import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { METHODS } from './api-dispatch.js';
import { FakeSlack } from './fake-slack.js';
import { METHOD_ARGS } from './method-args.js';
import { METHOD_TIERS } from './rate-limits.js';
import { manifestAppHome, METHOD_SCOPES } from './scopes.js';

/**
 * The double refuses what Slack refuses, method by method (README "Method by method"). Calls go over
 * HTTP as JSON (`fetch`), so a test sees the status, the Retry-After header and the whole body.
 */
const TOKEN = 'xoxb-strict';
let slack: FakeSlack;

async function call(
  method: string,
  args: Record<string, unknown> = {},
  on: FakeSlack = slack,
): Promise<{ status: number; retryAfter: string | null; body: any }> {
  const res = await fetch(`${on.apiUrl}${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(args),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
}
const errorOf = async (method: string, args: Record<string, unknown> = {}, on?: FakeSlack) =>
  (await call(method, args, on)).body.error as string | undefined;
const messagesOf = async (method: string, args: Record<string, unknown> = {}) => {
  const { body } = await call(method, args);
  return [body.error, body.response_metadata?.messages];
};
const modal = (extra: Record<string, unknown> = {}) => ({
  type: 'modal',
  title: { type: 'plain_text', text: 'Request' },
  blocks: [],
  ...extra,
});

beforeEach(async () => {
  slack = await FakeSlack.start({
    botToken: TOKEN,
    users: [
      { id: 'U0ALICE', name: 'alice' },
      { id: 'U0BOB', name: 'bob' },
      { id: 'U0CAROL', name: 'carol' },
    ],
    usergroups: [{ id: 'S0OPS', handle: 'ops', name: 'Ops', users: ['U0ALICE'] }],
    channels: [
      { id: 'C0SHY', name: 'shy', botIsMember: false },
      { id: 'C0SECRET', name: 'secret', botIsMember: false, isPrivate: true },
      { id: 'C0OLD', name: 'old', isArchived: true },
    ],
  });
});
afterEach(async () => {
  vi.useRealTimers();
  await slack.stop();
});

describe('arguments, as each method page lists them', () => {
  it('every method the double serves has its arguments, scope and rate-limit tier written down', () => {
    const served = Object.keys(METHODS).sort();
    expect(Object.keys(METHOD_ARGS).sort()).toEqual(served);
    expect(served.filter((m) => !(m in METHOD_SCOPES))).toEqual([]);
    expect(served.filter((m) => !(m in METHOD_TIERS))).toEqual([]);
  });

  it('a missing required argument answers invalid_arguments naming the field', async () => {
    expect(await messagesOf('chat.postMessage', { text: 'hi' })).toEqual([
      'invalid_arguments',
      ['[ERROR] missing required field: channel'],
    ]);
    expect(await messagesOf('chat.update', { channel: 'C0GENERAL', text: 'hi' })).toEqual([
      'invalid_arguments',
      ['[ERROR] missing required field: ts'],
    ]);
    expect(await messagesOf('chat.getPermalink', { channel: 'C0GENERAL' })).toEqual([
      'invalid_arguments',
      ['[ERROR] missing required field: message_ts'],
    ]);
    expect(await messagesOf('users.info', {})).toEqual(['invalid_arguments', ['[ERROR] missing required field: user']]);
    expect(await messagesOf('usergroups.users.list', { usergroup: '' })).toEqual([
      'invalid_arguments',
      ['[ERROR] missing required field: usergroup'],
    ]);
    expect(await messagesOf('views.publish', { user_id: 'U0ALICE' })).toEqual([
      'invalid_arguments',
      ['[ERROR] missing required field: view'],
    ]);
    expect(slack.messagesIn('C0GENERAL')).toEqual([]);
  });

  it('a wrongly typed argument answers invalid_arguments with its json-pointer; an array for a string, invalid_array_arg', async () => {
    expect(await messagesOf('users.list', { limit: 'ten' })).toEqual([
      'invalid_arguments',
      ['[ERROR] expected integer [json-pointer:/limit]'],
    ]);
    expect(await messagesOf('usergroups.list', { include_users: 'maybe' })).toEqual([
      'invalid_arguments',
      ['[ERROR] expected boolean [json-pointer:/include_users]'],
    ]);
    expect(await messagesOf('chat.postMessage', { channel: { id: 'C0GENERAL' }, text: 'hi' })).toEqual([
      'invalid_arguments',
      ['[ERROR] expected string [json-pointer:/channel]'],
    ]);
    expect(await errorOf('chat.postMessage', { channel: ['C0GENERAL', 'C0SHY'], text: 'hi' })).toBe(
      'invalid_array_arg',
    );
    // Form-encoded booleans and numbers are strings, and are read as Slack reads them.
    expect((await call('users.list', { limit: '2', include_locale: 'true' })).body.ok).toBe(true);
  });

  it('an argument the method does not know is refused (Slack would drop it silently: a misspelt thread_ts)', async () => {
    const { ts } = (await call('chat.postMessage', { channel: 'C0GENERAL', text: 'parent' })).body;
    expect(await messagesOf('chat.postMessage', { channel: 'C0GENERAL', text: 'reply', thread_tss: ts })).toEqual([
      'invalid_arguments',
      ['[ERROR] unknown field: thread_tss'],
    ]);
    // usergroups.list has no pagination in Slack: a cursor is not one of its arguments.
    expect(await messagesOf('usergroups.list', { cursor: 'abc' })).toEqual([
      'invalid_arguments',
      ['[ERROR] unknown field: cursor'],
    ]);
    expect(slack.messagesIn('C0GENERAL').map((m) => m.text)).toEqual(['parent']);
  });

  it('reads arguments from the query string too, as Slack does', async () => {
    const res = await fetch(`${slack.apiUrl}users.info?user=U0BOB`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect((await res.json()).user).toMatchObject({ id: 'U0BOB', name: 'bob' });
  });
});

describe('chat.update, chat.getPermalink: a conversation id and a message the bot posted', () => {
  it('a user id as channel is channel_not_found, the DM id it resolves to works', async () => {
    const posted = (await call('chat.postMessage', { channel: 'U0ALICE', text: 'v1' })).body;
    expect(posted.channel).toMatch(/^D/);
    expect(await errorOf('chat.update', { channel: 'U0ALICE', ts: posted.ts, text: 'v2' })).toBe('channel_not_found');
    expect(await errorOf('chat.getPermalink', { channel: 'U0ALICE', message_ts: posted.ts })).toBe('channel_not_found');
    expect(slack.dmsTo('U0ALICE').map((m) => m.text)).toEqual(['v1']);
    expect((await call('chat.update', { channel: posted.channel, ts: posted.ts, text: 'v2' })).body).toMatchObject({
      ok: true,
      channel: posted.channel,
      text: 'v2',
    });
    expect(slack.dmsTo('U0ALICE').map((m) => m.text)).toEqual(['v2']);
  });

  it("an unknown channel, an unknown ts, a person's message, an archived channel", async () => {
    const { ts } = (await call('chat.postMessage', { channel: 'C0GENERAL', text: 'mine' })).body;
    expect(await errorOf('chat.update', { channel: 'C0NOPE', ts, text: 'x' })).toBe('channel_not_found');
    expect(await errorOf('chat.update', { channel: 'C0GENERAL', ts: '1700000000.000001', text: 'x' })).toBe(
      'message_not_found',
    );
    const human = slack.postAsUser('C0GENERAL', 'U0BOB', 'hers');
    expect(await errorOf('chat.update', { channel: 'C0GENERAL', ts: human.ts, text: 'x' })).toBe('cant_update_message');
    slack.updateChannel('C0GENERAL', { isArchived: true });
    expect(await errorOf('chat.update', { channel: 'C0GENERAL', ts, text: 'x' })).toBe('is_inactive');
    expect(slack.messagesIn('C0GENERAL').map((m) => m.text)).toEqual(['mine', 'hers']);
  });
});

describe('chat.postMessage: where the bot may post', () => {
  it('not invited: a public channel is not_in_channel, a private one is channel_not_found; archived is is_archived', async () => {
    expect(await errorOf('chat.postMessage', { channel: 'C0SHY', text: 'x' })).toBe('not_in_channel');
    expect(await errorOf('chat.postMessage', { channel: 'C0SECRET', text: 'x' })).toBe('channel_not_found');
    expect(await errorOf('chat.postMessage', { channel: 'C0OLD', text: 'x' })).toBe('is_archived');
    expect(await errorOf('chat.postEphemeral', { channel: 'C0SHY', user: 'U0ALICE', text: 'x' })).toBe(
      'not_in_channel',
    );
    expect([...slack.messagesIn('C0SHY'), ...slack.messagesIn('C0SECRET'), ...slack.messagesIn('C0OLD')]).toEqual([]);
  });

  it('more than 100 attachments is too_many_attachments', async () => {
    const attachments = Array.from({ length: 101 }, (_, i) => ({ text: `${i}` }));
    expect(await errorOf('chat.postMessage', { channel: 'C0GENERAL', text: 'x', attachments })).toBe(
      'too_many_attachments',
    );
    expect(slack.messagesIn('C0GENERAL')).toEqual([]);
  });

  it('chat:write.public lets the bot post in a public channel it is not in, never in a private one', async () => {
    const scoped = await FakeSlack.start({
      botToken: TOKEN,
      scopes: ['chat:write', 'chat:write.public'],
      users: [{ id: 'U0ALICE', name: 'alice' }],
      channels: [
        { id: 'C0SHY', name: 'shy', botIsMember: false },
        { id: 'C0SECRET', name: 'secret', botIsMember: false, isPrivate: true },
      ],
    });
    try {
      expect((await call('chat.postMessage', { channel: 'C0SHY', text: 'hello' }, scoped)).body.ok).toBe(true);
      expect(await errorOf('chat.postMessage', { channel: 'C0SECRET', text: 'x' }, scoped)).toBe('channel_not_found');
      expect(scoped.messagesIn('C0SHY').map((m) => m.text)).toEqual(['hello']);
    } finally {
      await scoped.stop();
    }
  });
});

describe('users and user groups', () => {
  it('users.list pages with cursor and limit; a made-up cursor is invalid_cursor; users.info of nobody is user_not_found', async () => {
    const seen: string[] = [];
    let cursor = '';
    let pages = 0;
    do {
      const { body } = await call('users.list', { limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...body.members.map((m: any) => m.id));
      cursor = body.response_metadata.next_cursor;
      pages++;
    } while (cursor);
    expect([pages, seen]).toEqual([2, ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0BOT']]);
    expect(await errorOf('users.list', { cursor: 'bm9wZQ==' })).toBe('invalid_cursor');
    expect(await errorOf('users.info', { user: 'U0NOBODY' })).toBe('user_not_found');
  });

  it('usergroups.list answers every group at once; users and user_count only when asked for', async () => {
    const plain = (await call('usergroups.list')).body.usergroups;
    expect(plain).toHaveLength(1);
    expect(plain[0]).not.toHaveProperty('users');
    expect(plain[0]).not.toHaveProperty('user_count');
    expect(
      (await call('usergroups.list', { include_users: true, include_count: true })).body.usergroups[0],
    ).toMatchObject({ users: ['U0ALICE'], user_count: '1' });
  });

  it('a deactivated member is still listed, with deleted: true', async () => {
    slack.deactivateUser('U0BOB');
    const { body } = await call('users.list');
    expect(body.members.find((m: any) => m.id === 'U0BOB')).toMatchObject({ deleted: true });
    expect((await call('users.info', { user: 'U0BOB' })).body.user).toMatchObject({ deleted: true });
  });
});

describe('views: private_metadata, hash, trigger_id', () => {
  it('private_metadata over 3,000 characters is invalid_arguments at its json-pointer', async () => {
    const trigger = slack.issueTriggerId('U0ALICE');
    expect(
      await messagesOf('views.open', { trigger_id: trigger, view: modal({ private_metadata: 'x'.repeat(3001) }) }),
    ).toEqual([
      'invalid_arguments',
      ['[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]'],
    ]);
    // The trigger is exchanged only for a valid view: it still opens one.
    expect(
      (await call('views.open', { trigger_id: trigger, view: modal({ private_metadata: 'x'.repeat(3000) }) })).body.ok,
    ).toBe(true);
  });

  it('views.update with the hash of an older version is hash_conflict and changes nothing', async () => {
    const opened = (await call('views.open', { trigger_id: slack.issueTriggerId('U0ALICE'), view: modal() })).body.view;
    const updated = (
      await call('views.update', {
        view_id: opened.id,
        hash: opened.hash,
        view: modal({ title: { type: 'plain_text', text: 'Second' } }),
      })
    ).body.view;
    expect(
      await errorOf('views.update', {
        view_id: opened.id,
        hash: opened.hash,
        view: modal({ title: { type: 'plain_text', text: 'Third' } }),
      }),
    ).toBe('hash_conflict');
    expect(slack.view(opened.id)?.view.title.text).toBe('Second');
    expect(updated.hash).not.toBe(opened.hash);
  });

  it('a trigger_id is good for 3 seconds and once, and views.push spends one too', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const fresh = await FakeSlack.start({ botToken: TOKEN, users: [{ id: 'U0ALICE', name: 'alice' }] });
    try {
      const late = fresh.issueTriggerId('U0ALICE');
      const soon = fresh.issueTriggerId('U0ALICE');
      vi.setSystemTime(Date.now() + 2_900);
      expect((await call('views.open', { trigger_id: soon, view: modal() }, fresh)).body.ok).toBe(true);
      expect(await errorOf('views.push', { trigger_id: soon, view: modal() }, fresh)).toBe('exchanged_trigger_id');
      vi.setSystemTime(Date.now() + 200);
      expect(await errorOf('views.open', { trigger_id: late, view: modal() }, fresh)).toBe('expired_trigger_id');
      expect(await errorOf('views.open', { trigger_id: 'not-a-trigger', view: modal() }, fresh)).toBe(
        'invalid_trigger_id',
      );
      expect(fresh.viewStack('U0ALICE')).toHaveLength(1);
    } finally {
      await fresh.stop();
    }
  });
});

describe('App Home tabs, as the manifest turns them on', () => {
  it('without the Home tab views.publish is not_enabled; without the Messages tab a DM is messages_tab_disabled', async () => {
    const bare = await FakeSlack.start({
      botToken: TOKEN,
      appHome: { homeTab: false, messagesTab: false },
      users: [{ id: 'U0ALICE', name: 'alice' }],
    });
    try {
      expect(await errorOf('views.publish', { user_id: 'U0ALICE', view: { type: 'home', blocks: [] } }, bare)).toBe(
        'not_enabled',
      );
      expect(await errorOf('chat.postMessage', { channel: 'U0ALICE', text: 'hi' }, bare)).toBe('messages_tab_disabled');
      expect(
        (await call('chat.postMessage', { channel: 'C0GENERAL', text: 'channels still work' }, bare)).body.ok,
      ).toBe(true);
      expect([bare.home('U0ALICE'), bare.dmsTo('U0ALICE')]).toEqual([undefined, []]);
    } finally {
      await bare.stop();
    }
  });

  it("the app's manifest.yml turns on both tabs the bot uses (App Home and its DMs)", () => {
    const manifest = readFileSync(new URL('../../manifest.yml', import.meta.url), 'utf8');
    expect(manifestAppHome(manifest)).toEqual({ homeTab: true, messagesTab: true });
    expect(manifestAppHome('features: { app_home: { home_tab_enabled: true } }')).toEqual({
      homeTab: true,
      messagesTab: false,
    });
  });
});
