import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackDriver } from '../doubles/slack/driver.js';
import { SIGNING_SECRET, startHarness, type Harness } from './support/harness.js';
import { until } from '../doubles/slack/driver.js';
import { allText, commandBody, forgeViewAction, replyTo } from './support/journey-steps.js';
import { waitFor } from '../doubles/support/until.js';
import { PEOPLE } from './support/workspace.js';
import { tokenSecret } from './support/token-secret.js';

/**
 * Personal tokens through Slack's own entry point (signed `/access token …` commands): shown once, a
 * hash at rest, never in a log line or the audit trail, refused once revoked, expired or their owner is
 * deactivated.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

const SECRET = /```(ark_pat_[0-9a-z]{10}_[A-Za-z0-9_-]{43})```/;
const LEAVER = 'U0BULK007';

async function makeToken(user: string, text: string): Promise<{ token: string; reply: string }> {
  const reply = await replyTo(h, () => h.driver.command(user, '/access', `token create ${text}`));
  const token = SECRET.exec(reply.text)?.[1];
  if (!token) throw new Error(`no token in: ${reply.text}`);
  return { token, reply: reply.text };
}
const verify = (token: string) => h.app.services.personalTokens.verify(`Bearer ${token}`);
const idOf = (token: string) => token.split('_').slice(1, 3).join('_');

describe('making a token', () => {
  let token: string;

  it('shows the secret once, stores only its hash, and lists the token without it', async () => {
    const made = await makeToken(PEOPLE.requester, 'my laptop --expires 7d');
    token = made.token;
    expect(made.reply).toContain('Copy it now, it is not shown again');
    expect(made.reply).toContain('my laptop');
    const secret = tokenSecret(token);
    const [row] = await h.sql`select * from personal_tokens where id = ${idOf(token)}`;
    expect(row).toMatchObject({ user_id: PEOPLE.requester, name: 'my laptop', created_via: 'slack', revoked_at: null });
    expect(JSON.stringify(row)).not.toContain(secret);
    expect((row!.expires_at as Date).getTime() - (row!.created_at as Date).getTime()).toBe(7 * 24 * 3600_000);

    const list = await replyTo(h, () => h.driver.command(PEOPLE.requester, '/access', 'token list'));
    expect(list.text).toContain(idOf(token));
    expect(list.text).not.toContain(secret);
  });

  it('writes token.created naming the token, never the secret, and no log line holds the secret', async () => {
    const events = await h.sql`select actor, details from audit_events where action = 'token.created'`;
    expect(events).toEqual([
      expect.objectContaining({
        actor: PEOPLE.requester,
        details: expect.objectContaining({ tokenId: idOf(token), name: 'my laptop', via: 'slack' }),
      }),
    ]);
    const secret = tokenSecret(token);
    expect(JSON.stringify(await h.sql`select * from audit_events`)).not.toContain(secret);
    expect(await verify(token)).toMatchObject({ userId: PEOPLE.requester, tokenId: idOf(token) });
    expect(h.logs.some((l) => l.includes(secret))).toBe(false);
  });

  it('the same signed command replayed on another replica makes no second token, and says why', async () => {
    const replica = await h.replica();
    const other = new SlackDriver({
      eventsUrl: `http://127.0.0.1:${replica.port}/slack/events`,
      signingSecret: SIGNING_SECRET,
      slack: h.slack,
    });
    const body = commandBody(h, PEOPLE.other, 'token create replayed');
    const ts = String(Math.floor(Date.now() / 1000));
    const first = await replyTo(h, () => h.driver.raw(body, 'application/x-www-form-urlencoded', { timestamp: ts }));
    expect(first.text).toMatch(SECRET);
    const again = await replyTo(h, () => other.raw(body, 'application/x-www-form-urlencoded', { timestamp: ts }));
    expect(again.text).toContain('already made the personal token');
    expect(again.text).not.toContain('ark_pat_');
    expect(await h.sql`select id from personal_tokens where name = 'replayed'`).toHaveLength(1);
  });

  it('refuses a lifetime past 90 days or one it cannot read, and makes nothing', async () => {
    const before = (await h.sql`select count(*)::int as n from personal_tokens`)[0]!.n as number;
    const long = await replyTo(h, () => h.driver.command(PEOPLE.requester, '/access', 'token create x --expires 91d'));
    expect(long.text).toContain('between 5 minutes and 90 days');
    const odd = await replyTo(h, () => h.driver.command(PEOPLE.requester, '/access', 'token create x --expires soon'));
    expect(odd.text).toContain('--expires 7d');
    expect((await h.sql`select count(*)::int as n from personal_tokens`)[0]!.n).toBe(before);
  });
});

describe('tokens that stop working', () => {
  it('a revoked token is refused; only its owner or an admin may revoke it; revoking twice changes nothing', async () => {
    const { token } = await makeToken(PEOPLE.requester, 'to revoke');
    const id = idOf(token);
    const stranger = await replyTo(h, () => h.driver.command(PEOPLE.other, '/access', `token revoke ${id}`));
    expect(stranger.text).toContain('can’t find that token');
    expect(await verify(token)).not.toBeNull();

    const own = await replyTo(h, () => h.driver.command(PEOPLE.requester, '/access', `token revoke ${id}`));
    expect(own.text).toContain(`Revoked token \`${id}\``);
    expect(await verify(token)).toBeNull();
    const twice = await replyTo(h, () => h.driver.command(PEOPLE.requester, '/access', `token revoke ${id}`));
    expect(twice.text).toContain('already revoked');
    const events = await h.sql`select actor, details from audit_events where action = 'token.revoked'`;
    expect(events.filter((e) => e.details.tokenId === id)).toEqual([
      { actor: PEOPLE.requester, details: { tokenId: id, name: 'to revoke', owner: PEOPLE.requester } },
    ]);

    const { token: other } = await makeToken(PEOPLE.other, 'admin revokes');
    const byAdmin = await replyTo(h, () => h.driver.command(PEOPLE.admin, '/access', `token revoke ${idOf(other)}`));
    expect(byAdmin.text).toContain('Revoked token');
    expect(await verify(other)).toBeNull();
  });

  it('an expired token is refused (and leaves the list)', async () => {
    const { token } = await makeToken(PEOPLE.requester, 'short --expires 1h');
    expect(await verify(token)).not.toBeNull();
    h.clock.advance(61);
    expect(await verify(token)).toBeNull();
    const list = await replyTo(h, () => h.driver.command(PEOPLE.requester, '/access', 'token list'));
    expect(list.text).not.toContain(idOf(token));
  });

  it('a wrong secret, another scheme or a bare token is refused', async () => {
    const { token } = await makeToken(PEOPLE.requester, 'forms');
    const service = h.app.services.personalTokens;
    expect(await service.verify(`Bearer ${token.slice(0, -4)}AAAA`)).toBeNull();
    expect(await service.verify(token)).toBeNull();
    expect(await service.verify(`Basic ${token}`)).toBeNull();
    expect(await service.verify(`bearer ${token}`)).not.toBeNull();
  });

  it('a deactivated person’s tokens are revoked by offboarding and refused', async () => {
    const { token } = await makeToken(LEAVER, 'leaver laptop');
    expect(await verify(token)).not.toBeNull();
    h.slack.deactivateUser(LEAVER);
    await h.driver.userChange(LEAVER);
    await waitFor(
      async () => (await h.sql`select revoked_at from personal_tokens where user_id = ${LEAVER}`)[0]!.revoked_at,
      'the token revoked',
    );
    expect(await verify(token)).toBeNull();
    const [event] = await h.sql`select actor, details from audit_events
      where action = 'token.revoked' and details->>'owner' = ${LEAVER}`;
    expect(event).toEqual({
      actor: 'system',
      details: { tokenId: idOf(token), name: 'leaver laptop', owner: LEAVER, reason: 'user_deactivated' },
    });
  });

  it('the periodic check revokes the tokens of someone whose departure no event reported', async () => {
    const quiet = 'U0BULK008';
    const { token } = await makeToken(quiet, 'quiet leaver');
    h.slack.deactivateUser(quiet);
    // No user_change: the check asks Slack about every token holder.
    await h.app.services.offboarding.reconcile();
    expect((await h.sql`select revoked_by from personal_tokens where id = ${idOf(token)}`)[0]!.revoked_by).toBe(
      'slack:user_deactivated',
    );
    expect(await verify(token)).toBeNull();
  });
});

describe('App Home', () => {
  async function openHome(user: string) {
    const before = h.slack.calls('views.publish').length;
    await h.driver.appHomeOpened(user);
    await until(() => h.slack.calls('views.publish').length > before, 'home published');
    return h.slack.home(user)!;
  }

  it('lists the person’s live tokens with a Revoke button that works, and never shows a secret', async () => {
    const { token } = await makeToken(PEOPLE.supporter, 'home laptop');
    const id = idOf(token);
    const home = await openHome(PEOPLE.supporter);
    const text = allText(home.blocks);
    expect(text).toContain('Your tokens');
    expect(text).toContain(id);
    expect(text).toContain('home laptop');
    expect(text).not.toContain(tokenSecret(token));

    const before = h.slack.calls('views.publish').length;
    await h.driver.clickButton(PEOPLE.supporter, { viewId: home.id }, 'token.revoke', { value: id });
    await until(() => h.slack.calls('views.publish').length > before, 'home published again');
    expect(await verify(token)).toBeNull();
    expect(allText(h.slack.home(PEOPLE.supporter)!.blocks)).not.toContain(id);
  });

  it('a forged Revoke click on someone else’s token changes nothing', async () => {
    const { token } = await makeToken(PEOPLE.requester, 'not yours');
    const home = await openHome(PEOPLE.other);
    await forgeViewAction(h, PEOPLE.other, home.id, {
      type: 'button',
      action_id: 'token.revoke',
      value: idOf(token),
      text: { type: 'plain_text', text: 'Revoke' },
    });
    // The listener runs after the ack: wait for its refusal in the log.
    await until(() => h.logs.some((l) => l.includes('home.token_revoke') && l.includes('not_found')), 'refused');
    expect(await verify(token)).not.toBeNull();
    expect((await h.sql`select revoked_at from personal_tokens where id = ${idOf(token)}`)[0]!.revoked_at).toBeNull();
  });
});
