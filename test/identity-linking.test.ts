import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../doubles/slack/driver.js';
import { startOidcDouble, type OidcDouble } from '../doubles/oidc/oidc-double.js';
import { startHarness, type Harness } from './support/harness.js';
import { allText, approverMessage, myMessage, replyTo, requestAccess, statusOf } from './support/journey-steps.js';
import { PEOPLE } from './support/workspace.js';

/**
 * Identity linking and step-up for approval, end to end: the bot is an OpenID Connect client of the
 * provider double (discovery, JWKS, RS256 ID tokens); the test is the browser (fetch, following
 * redirects by hand so it can carry the state cookie as a browser does).
 */
const CLIENT_ID = 'access-bot';
const CLIENT_SECRET = 'oidc-double-client-secret';

const accessFile = `
resources:
  - { name: prod-db, type: database }
  - { name: staging-db, type: database }
  - { name: web-1, type: ssh }
  - { name: ops-db, type: database }
flows:
  - name: prod
    resources: { names: [prod-db] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
    identity: { step_up_minutes: 15, require_mfa: true }
  - name: staging
    resources: { names: [staging-db] }
    requesters: { users: [U0REQ, U0OTHER] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
    identity: { require_link: true }
  - name: web
    resources: { names: [web-1] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
    identity: { step_up_minutes: 15 }
  - name: ops
    resources: { names: [ops-db] }
    requesters: { users: [U0REQ] }
    approvers: { users: [U0APPR] }
    max_duration: 8h
    break_glass: { users: [U0DBA1], max_duration: 1h }
    identity: { step_up_minutes: 15 }
`;

const RITA = { sub: 'okta|rita', email: 'rita@corp.example', amr: ['pwd'] };
const ALEX = { sub: 'okta|alex', email: 'alex@corp.example', amr: ['pwd', 'mfa', 'otp'] };

/** A member whose e-mail at the identity provider is not the Slack one (an admin links him by hand). */
const BO = 'U0BULK001';

let idp: OidcDouble;
let h: Harness;

beforeAll(async () => {
  idp = await startOidcDouble({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    now: () => (h ? h.clock.now() : new Date()),
  });
  h = await startHarness({
    accessFile,
    env: { OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: CLIENT_ID, OIDC_CLIENT_SECRET: CLIENT_SECRET },
  });
  // A first link must carry the Slack profile's e-mail (any case: Rita's differs in case).
  h.slack.updateUser(PEOPLE.requester, { email: 'Rita@Corp.Example' });
  h.slack.updateUser(PEOPLE.workspaceAdmin, { email: 'wanda@corp.example' });
  h.slack.updateUser(BO, { email: 'bo@corp.example' });
  h.slack.updateUser(PEOPLE.approver, { email: 'alex@corp.example' });
  h.slack.updateUser(PEOPLE.dba, { email: 'dana@corp.example' });
  h.slack.updateUser(PEOPLE.other, { email: 'oscar@corp.example' });
  h.slack.updateUser(PEOPLE.admin, { email: 'ada@corp.example' });
});
afterAll(async () => {
  await h?.stop();
  await idp?.stop();
});

interface Page {
  status: number;
  text: string;
  /** The provider's redirect back to the bot (to replay it). */
  callback: string | null;
}

/** A browser opening a sign-in link: /oidc/start -> provider /authorize -> /oidc/callback, with the cookie. */
async function browse(link: string): Promise<Page> {
  let url = link;
  let cookie = '';
  let callback: string | null = null;
  for (let hop = 0; hop < 5; hop++) {
    const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    const set = res.headers.get('set-cookie');
    if (set && url.startsWith(`http://localhost:${h.port}`)) cookie = set.split(';')[0]!;
    const location = res.headers.get('location');
    if (res.status !== 302 || !location) return { status: res.status, text: await res.text(), callback };
    url = new URL(location, url).href;
    if (url.includes('/oidc/callback')) callback = url;
  }
  throw new Error('too many redirects');
}

/** `/access link` as `user`: the sign-in link from the button of the ephemeral reply. */
async function linkButtonUrl(user: string): Promise<string> {
  const reply = await replyTo(h, () => h.driver.command(user, '/access', 'link'));
  const url = /"url":"([^"]+)"/.exec(allText(reply.blocks))?.[1];
  if (!url) throw new Error(`no sign-in button in ${reply.text}`);
  return url;
}

async function linkOf(user: string) {
  const [row] =
    await h.sql`select issuer, subject, email, email_verified, auth_time, amr from identity_links where slack_user_id = ${user}`;
  return row;
}

/** Clicks Approve in the approver's DM; the ephemeral reply when there is one, else null (a modal opened). */
async function clickApprove(user: string, requestId: string) {
  h.slack.clearViews(user);
  const before = h.slack.responses().length;
  await h.driver.clickButton(user, approverMessage(h, user, requestId), 'review.approve');
  const reply = await until(
    () => h.slack.responses()[before] ?? (h.slack.topView(user) ? 'modal' : undefined),
    'a reply or a modal',
  );
  return reply === 'modal' ? null : reply.body;
}

describe('linking', () => {
  it('links a Slack user to the identity provider: the page says so, the link and its audit event are stored without tokens', async () => {
    idp.signInAs(RITA);
    const page = await browse(await linkButtonUrl(PEOPLE.requester));
    expect(page.status).toBe(200);
    expect(page.text).toContain('Linked as rita@corp.example. Go back to Slack.');
    // PKCE S256, state and nonce reached the provider; openid email is all that was asked.
    const q = idp.lastAuthorize()!;
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('state')).toBeTruthy();
    expect(q.get('nonce')).toBeTruthy();
    expect(q.get('scope')).toBe('openid email');
    // Who is expected: her Slack e-mail as login_hint (the provider may pre-fill it; the ID token decides).
    expect(q.get('login_hint')).toBe('Rita@Corp.Example');
    expect(await linkOf(PEOPLE.requester)).toMatchObject({
      issuer: idp.issuer,
      subject: 'okta|rita',
      email: 'rita@corp.example',
      email_verified: true,
    });
    const [event] =
      await h.sql`select details from audit_events where action = 'identity.linked' and actor = ${PEOPLE.requester}`;
    expect(event!.details).toEqual({
      issuer: idp.issuer,
      subject: 'okta|rita',
      email: 'rita@corp.example',
      email_verified: true,
    });
    const everything = allText(await h.sql`select details from audit_events`) + h.logs.join('');
    expect(everything).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./); // no JWT anywhere
  });

  it('the replayed callback (same state, same code) is refused and changes nothing', async () => {
    idp.signInAs({ sub: 'okta|oscar', email: 'oscar@corp.example' });
    const first = await browse(await linkButtonUrl(PEOPLE.other));
    expect(first.text).toContain('Linked as oscar@corp.example');
    await h.sql`delete from identity_links where slack_user_id = ${PEOPLE.other}`;
    const cookie = `oidc_state=${new URL(first.callback!).searchParams.get('state')}`;
    const again = await fetch(first.callback!, { headers: { cookie } });
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('already used or is too old');
    expect(await linkOf(PEOPLE.other)).toBeUndefined();
  });

  for (const [fault, sentence] of [
    ['expired', 'expired ID token'],
    ['wrong_key', 'signature'],
    ['wrong_audience', 'another application'],
    ['wrong_nonce', 'nonce'],
  ] as const) {
    it(`an ID token that is ${fault.replace('_', ' ')} is refused on the page and nothing is stored`, async () => {
      idp.signInAs({ sub: `okta|bad-${fault}`, email: 'mallory@corp.example' });
      idp.fault(fault);
      try {
        const page = await browse(await linkButtonUrl(PEOPLE.dba));
        expect(page.status).toBe(400);
        expect(page.text).toContain('Not linked');
        expect(page.text).toContain(sentence);
        expect(page.text).not.toMatch(/at .*\.ts|Error:/);
      } finally {
        idp.fault(null);
      }
      expect(await linkOf(PEOPLE.dba)).toBeUndefined();
    });
  }

  it('a PKCE verifier that does not match what was sent is refused by the provider: refused page, nothing stored', async () => {
    idp.signInAs({ sub: 'okta|dana', email: 'dana@corp.example' });
    const start = await fetch(await linkButtonUrl(PEOPLE.dba), { redirect: 'manual' });
    const cookie = start.headers.get('set-cookie')!.split(';')[0]!;
    const authorize = await fetch(start.headers.get('location')!, { redirect: 'manual' });
    const state = new URL(authorize.headers.get('location')!).searchParams.get('state')!;
    await h.sql`update oidc_logins set code_verifier = ${'x'.repeat(43)} where state = ${state}`;
    const res = await fetch(authorize.headers.get('location')!, { headers: { cookie } });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('the PKCE check failed');
    expect(idp.calls.at(-1)).toMatchObject({ path: '/token', status: 400, clientAuth: 'basic' });
    expect(await linkOf(PEOPLE.dba)).toBeUndefined();
  });

  it('a provider whose token endpoint fails answers a plain refusal page, no stack trace, nothing stored', async () => {
    idp.signInAs({ sub: 'okta|dana', email: 'dana@corp.example' });
    idp.failNextToken(503);
    const page = await browse(await linkButtonUrl(PEOPLE.dba));
    expect(page.status).toBe(400);
    expect(page.text).toContain('Not linked');
    expect(page.text).not.toMatch(/Error:|at .*\.(ts|js)/);
    expect(await linkOf(PEOPLE.dba)).toBeUndefined();
  });

  it('a callback without the browser cookie of its start is refused (a forwarded link)', async () => {
    idp.signInAs({ sub: 'okta|dana', email: 'dana@corp.example' });
    const start = await fetch(await linkButtonUrl(PEOPLE.dba), { redirect: 'manual' });
    const authorize = await fetch(start.headers.get('location')!, { redirect: 'manual' });
    const res = await fetch(authorize.headers.get('location')!);
    expect(res.status).toBe(400);
    expect(await linkOf(PEOPLE.dba)).toBeUndefined();
  });

  it('a tampered or expired start link is refused, and a bare user id is not a link', async () => {
    const link = new URL(await linkButtonUrl(PEOPLE.dba));
    const token = link.searchParams.get('token')!;
    const [body, sig] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), u: PEOPLE.approver }),
    ).toString('base64url');
    expect((await fetch(`${link.origin}/oidc/start?token=${forged}.${sig}`, { redirect: 'manual' })).status).toBe(403);
    expect((await fetch(`${link.origin}/oidc/start?user=${PEOPLE.approver}`, { redirect: 'manual' })).status).toBe(403);
    h.clock.advance(11);
    try {
      expect((await fetch(link.href, { redirect: 'manual' })).status).toBe(410);
    } finally {
      h.clock.advance(-11);
    }
  });

  it('a company identity already linked to another Slack user is refused', async () => {
    idp.signInAs(RITA);
    const page = await browse(await linkButtonUrl(PEOPLE.supporter));
    expect(page.status).toBe(409);
    expect(page.text).toContain('already linked to another Slack user');
    expect(await linkOf(PEOPLE.supporter)).toBeUndefined();
    expect((await linkOf(PEOPLE.requester))!.subject).toBe('okta|rita');
    const [refusal] =
      await h.sql`select details from audit_events where action = 'identity.link_refused' and actor = ${PEOPLE.supporter}`;
    expect(refusal!.details).toMatchObject({ subject: 'okta|rita', reason: 'linked_to_another_user' });
  });

  it('a linked person cannot re-link to another company identity on their own (a stolen Slack session could); an admin unlinks first', async () => {
    idp.signInAs({ sub: 'okta|thief', email: 'thief@corp.example' });
    const page = await browse(await linkButtonUrl(PEOPLE.requester));
    expect(page.text).toContain('ask an admin to unlink it first');
    expect((await linkOf(PEOPLE.requester))!.subject).toBe('okta|rita');
    const own = await replyTo(h, () => h.driver.command(PEOPLE.requester, '/access', `unlink ${PEOPLE.requester}`));
    expect(own.text).toContain('Only admins');
    expect(await linkOf(PEOPLE.requester)).toBeDefined();
    const done = await replyTo(h, () =>
      h.driver.command(PEOPLE.admin, '/access', `unlink <@${PEOPLE.requester}|rita>`),
    );
    expect(done.text).toContain('Unlinked the company identity');
    expect(await linkOf(PEOPLE.requester)).toBeUndefined();
    const [event] = await h.sql`select actor, details from audit_events where action = 'identity.unlinked'`;
    expect(event).toMatchObject({
      actor: PEOPLE.admin,
      details: { slack_user: PEOPLE.requester, subject: 'okta|rita' },
    });
    idp.signInAs(RITA);
    expect((await browse(await linkButtonUrl(PEOPLE.requester))).text).toContain('Linked as rita@corp.example');
  });

  it('a provider with thin ID tokens (e-mail only in UserInfo): the bot asks UserInfo with the access token and links the verified e-mail', async () => {
    await h.sql`delete from identity_links where slack_user_id = ${PEOPLE.dba}`;
    idp.signInAs({ sub: 'okta|dana', email: 'dana@corp.example' });
    idp.thinIdTokens(true);
    try {
      const page = await browse(await linkButtonUrl(PEOPLE.dba));
      expect(page.text).toContain('Linked as dana@corp.example');
    } finally {
      idp.thinIdTokens(false);
    }
    expect(idp.calls.at(-1)).toEqual({ path: '/userinfo', status: 200 });
    expect(await linkOf(PEOPLE.dba)).toMatchObject({
      subject: 'okta|dana',
      email: 'dana@corp.example',
      email_verified: true,
    });
  });

  it('a UserInfo answer about another subject than the ID token is refused: plain page, nothing stored', async () => {
    await h.sql`delete from identity_links where slack_user_id = ${PEOPLE.dba}`;
    idp.signInAs({ sub: 'okta|dana', email: 'dana@corp.example' });
    idp.thinIdTokens(true);
    idp.userInfoFault('wrong_subject');
    try {
      const page = await browse(await linkButtonUrl(PEOPLE.dba));
      expect(page.status).toBe(400);
      expect(page.text).toContain('Not linked');
      expect(page.text).toContain('about another person than the ID token (subject mismatch)');
    } finally {
      idp.thinIdTokens(false);
      idp.userInfoFault(null);
    }
    expect(await linkOf(PEOPLE.dba)).toBeUndefined();
  });

  it('a first link as an identity whose verified e-mail is not the Slack profile one is refused and audited', async () => {
    idp.signInAs({ sub: 'okta|mallory', email: 'mallory@corp.example' });
    const page = await browse(await linkButtonUrl(PEOPLE.workspaceAdmin));
    expect(page.status).toBe(403);
    expect(page.text).toContain('does not have the e-mail of the Slack user this link was made for');
    expect(page.text).toContain('ask an admin to link you by hand to your company identity okta|mallory');
    expect(page.text).not.toContain('wanda@corp.example');
    expect(await linkOf(PEOPLE.workspaceAdmin)).toBeUndefined();
    const [refusal] =
      await h.sql`select details from audit_events where action = 'identity.link_refused' and actor = ${PEOPLE.workspaceAdmin} and details->>'reason' = 'email_mismatch'`;
    expect(refusal!.details).toMatchObject({ subject: 'okta|mallory', email: 'mallory@corp.example' });
    // An unverified e-mail is no proof either, even the right one.
    idp.signInAs({ sub: 'okta|wanda', email: 'wanda@corp.example', emailVerified: false });
    expect((await browse(await linkButtonUrl(PEOPLE.workspaceAdmin))).text).toContain('did not give a verified e-mail');
    expect(await linkOf(PEOPLE.workspaceAdmin)).toBeUndefined();
    idp.signInAs({ sub: 'okta|wanda', email: 'wanda@corp.example' });
    expect((await browse(await linkButtonUrl(PEOPLE.workspaceAdmin))).text).toContain('Linked as wanda@corp.example');
  });

  it('an admin links by hand a person whose e-mail at the provider is not their Slack one; their sign-ins then work', async () => {
    // Bo is b.ops@ at the provider, bo@ in Slack: refused on his own.
    idp.signInAs({ sub: 'okta|bo', email: 'b.ops@corp.example' });
    const refused = await browse(await linkButtonUrl(BO));
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('your company identity okta|bo');
    // Not something a person can do for themselves (or for anyone).
    const own = await replyTo(h, () => h.driver.command(BO, '/access', `link <@${BO}|bo> okta|bo`));
    expect(own.text).toBe('Only admins link or unlink a person’s company identity.');
    expect(await linkOf(BO)).toBeUndefined();
    const usage = await replyTo(h, () => h.driver.command(PEOPLE.admin, '/access', `link <@${BO}|bo>`));
    expect(usage.text).toContain('/access link @person <subject>');
    const done = await replyTo(h, () => h.driver.command(PEOPLE.admin, '/access', `link <@${BO}|bo> okta|bo`));
    expect(done.text).toContain(`Linked <@${BO}> to the company identity \`okta|bo\``);
    expect(await linkOf(BO)).toMatchObject({ issuer: idp.issuer, subject: 'okta|bo', email: null });
    const [event] =
      await h.sql`select actor, details from audit_events where action = 'identity.linked' and details->>'slack_user' = ${BO}`;
    expect(event).toMatchObject({ actor: PEOPLE.admin, details: { subject: 'okta|bo', by_hand: true } });
    // A subject linked to someone else is refused by hand too.
    const taken = await replyTo(h, () =>
      h.driver.command(PEOPLE.admin, '/access', `link <@${PEOPLE.guest}|gus> okta|rita`),
    );
    expect(taken.text).toBe('That company identity is already linked to another Slack user.');
    // Bo's own sign-in as that identity now goes through and fills in the e-mail.
    expect((await browse(await linkButtonUrl(BO))).text).toContain('Linked as b.ops@corp.example');
    expect(await linkOf(BO)).toMatchObject({ email: 'b.ops@corp.example', email_verified: true });
  });

  it('a sign-in link opens once: a second opening (a forwarded copy) gets a clear page and starts nothing', async () => {
    idp.signInAs({ sub: 'okta|oscar', email: 'oscar@corp.example' });
    const link = await linkButtonUrl(PEOPLE.other);
    expect((await browse(link)).text).toContain('Linked as oscar@corp.example');
    const logins = (await h.sql`select count(*)::int as n from oidc_logins`)[0]!.n;
    const authorizeCalls = idp.calls.filter((c) => c.path === '/authorize').length;
    const again = await fetch(link, { redirect: 'manual' });
    expect(again.status).toBe(409);
    expect(again.headers.get('location')).toBeNull();
    expect(await again.text()).toContain('This sign-in link was opened already; each link works once.');
    expect((await h.sql`select count(*)::int as n from oidc_logins`)[0]!.n).toBe(logins);
    expect(idp.calls.filter((c) => c.path === '/authorize').length).toBe(authorizeCalls);
  });
});

describe('App Home', () => {
  it('says who the person is linked as, or that they are not, and its button gives a fresh sign-in link', async () => {
    await h.driver.appHomeOpened(PEOPLE.requester);
    await h.driver.appHomeOpened(PEOPLE.supporter);
    const rita = await until(() => h.slack.home(PEOPLE.requester), 'Rita’s home');
    const sam = await until(() => h.slack.home(PEOPLE.supporter), 'Sam’s home');
    expect(allText(rita.blocks)).toContain(`Linked as rita@corp.example (${new URL(idp.issuer).host})`);
    expect(allText(sam.blocks)).toContain('Not linked to a company identity');
    h.slack.clearViews(PEOPLE.supporter);
    await h.driver.clickButton(PEOPLE.supporter, { viewId: sam.id }, 'identity.home_link');
    const modal = await until(() => h.slack.topView(PEOPLE.supporter), 'the sign-in modal');
    expect(allText(modal.blocks)).toMatch(/"url":"http:\/\/localhost:\d+\/oidc\/start\?token=/);
  });
});

describe('step-up for approval', () => {
  it('an approver’s first step-up link opened by someone else links nothing (e-mail compared), and cannot be opened again', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'incident 6',
    });
    const reply = await clickApprove(PEOPLE.approver, id!);
    const url = /"url":"([^"]+)"/.exec(allText(reply!.blocks))![1]!;
    // Alex forwards the link; Mallory opens it and signs in as herself.
    idp.signInAs({ sub: 'okta|mallory', email: 'mallory@corp.example', amr: ['pwd', 'mfa'] });
    const page = await browse(url);
    expect(page.status).toBe(403);
    expect(page.text).toContain('does not have the e-mail of the Slack user this link was made for');
    expect(await linkOf(PEOPLE.approver)).toBeUndefined();
    const [refusal] =
      await h.sql`select request_id, details from audit_events where action = 'identity.link_refused' and actor = ${PEOPLE.approver}`;
    expect(refusal).toMatchObject({ request_id: id, details: { subject: 'okta|mallory', reason: 'email_mismatch' } });
    // The same link, opened again by anyone, starts nothing.
    idp.signInAs(ALEX);
    const again = await browse(url);
    expect(again.status).toBe(409);
    expect(again.text).toContain('opened already');
    expect(await linkOf(PEOPLE.approver)).toBeUndefined();
    expect(allText(await clickApprove(PEOPLE.approver, id!))).toContain('Sign in to approve');
    expect(await statusOf(h, id!)).toBe('pending');
  });

  it('an approver without a fresh sign-in gets "Sign in to approve" and no decision; after signing in the approval goes through with the claims in its audit event', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'incident 7',
    });
    const reply = await clickApprove(PEOPLE.approver, id!);
    expect(reply).not.toBeNull();
    expect(allText(reply)).toContain('Sign in to approve');
    expect(h.slack.topView(PEOPLE.approver)).toBeUndefined();
    expect((await h.sql`select count(*)::int as n from approvals where request_id = ${id!}`)[0]!.n).toBe(0);
    expect(await statusOf(h, id!)).toBe('pending');

    // An old sign-in at the provider: prompt=login makes it fresh (the double re-authenticates).
    idp.signInAs({ ...ALEX, authAgeSeconds: 3600 });
    const url = /"url":"([^"]+)"/.exec(allText(reply!.blocks))![1]!;
    const page = await browse(url);
    expect(idp.lastAuthorize()!.get('prompt')).toBe('login');
    expect(idp.lastAuthorize()!.get('max_age')).toBe('0');
    expect(page.text).toContain('Signed in as alex@corp.example. Go back to Slack and click Approve again.');

    expect(await clickApprove(PEOPLE.approver, id!)).toBeNull(); // the tuning modal opened
    const modal = h.slack.topView(PEOPLE.approver)!;
    await h.driver.submitView(PEOPLE.approver, modal.id, {});
    await h.settle();
    expect(await statusOf(h, id!)).toBe('active');
    const [event] =
      await h.sql`select details from audit_events where request_id = ${id!} and action = 'request.approved'`;
    const link = await linkOf(PEOPLE.approver);
    expect(event!.details.step_up).toEqual({
      issuer: idp.issuer,
      subject: 'okta|alex',
      auth_time: (link!.auth_time as Date).toISOString(),
      amr: ['pwd', 'mfa', 'otp'],
      acr: null,
    });
    // Provisioners and the authorization API map Rita by her linked, verified e-mail, not Slack's (Rita@Corp.Example).
    const [grant] = await h.sql`select requester_email from grants where request_id = ${id!}`;
    expect(grant!.requester_email).toBe('rita@corp.example');
  });

  it('break-glass under a step-up flow asks for a sign-in first; after it the grant is made and its audit event carries the claims', async () => {
    const refused = await replyTo(h, () =>
      h.driver.command(PEOPLE.dba, '/access', 'break-glass ops-db 30m INC-1 the database is down'),
    );
    expect(allText(refused)).toContain('recent sign-in');
    expect(
      (
        await h.sql`select count(*)::int as n from grants g join access_requests r on r.id = g.request_id where r.requester_id = ${PEOPLE.dba}`
      )[0]!.n,
    ).toBe(0);
    idp.signInAs({ sub: 'okta|dana', email: 'dana@corp.example', amr: ['hwk'] });
    const page = await browse(/"url":"([^"]+)"/.exec(allText(refused.blocks))![1]!);
    expect(page.text).toContain('Signed in as dana@corp.example');
    const granted = await replyTo(h, () =>
      h.driver.command(PEOPLE.dba, '/access', 'break-glass ops-db 30m INC-1 the database is down'),
    );
    expect(granted.text).toContain('Break-glass access granted');
    const [event] =
      await h.sql`select details from audit_events where action = 'request.break_glass' and actor = ${PEOPLE.dba}`;
    expect(event!.details.step_up).toMatchObject({ issuer: idp.issuer, subject: 'okta|dana', amr: ['hwk'] });
    // The grant knows Dana by the linked e-mail.
    const [grant] =
      await h.sql`select g.requester_email from grants g join access_requests r on r.id = g.request_id where r.requester_id = ${PEOPLE.dba}`;
    expect(grant!.requester_email).toBe('dana@corp.example');
  });

  it('a sign-in older than the flow allows is stale again: the next click asks again, and the decision re-checks it in its transaction', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'incident 8',
    });
    // Fresh now: the modal opens. Then 16 minutes pass before the submit.
    expect(await clickApprove(PEOPLE.approver, id!)).toBeNull();
    const modal = h.slack.topView(PEOPLE.approver)!;
    h.clock.advance(16);
    const res = await h.driver.submitView(PEOPLE.approver, modal.id, {});
    expect(allText(res.json)).toContain('recent sign-in with the company identity provider');
    expect(await statusOf(h, id!)).toBe('pending');
    expect(allText(await clickApprove(PEOPLE.approver, id!))).toContain('Sign in to approve');
  });

  it('a provider that ignores the request to authenticate again (old auth_time back) does not count as a step-up', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'incident 8b',
    });
    h.clock.advance(20);
    const before = await linkOf(PEOPLE.approver);
    const first = await clickApprove(PEOPLE.approver, id!);
    idp.signInAs({ ...ALEX, authAgeSeconds: 1200 });
    idp.ignoreReauthentication(true);
    try {
      const page = await browse(/"url":"([^"]+)"/.exec(allText(first!.blocks))![1]!);
      expect(idp.lastAuthorize()!.get('max_age')).toBe('0');
      expect(page.status).toBe(400);
      expect(page.text).toContain('did not ask you to sign in again');
    } finally {
      idp.ignoreReauthentication(false);
      idp.signInAs(ALEX);
    }
    expect((await linkOf(PEOPLE.approver))!.auth_time).toEqual(before!.auth_time);
    expect(allText(await clickApprove(PEOPLE.approver, id!))).toContain('Sign in to approve');
    expect(await statusOf(h, id!)).toBe('pending');
  });

  it('MFA required but the sign-in used only a password: refused, no decision', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'incident 9',
    });
    idp.signInAs({ ...ALEX, amr: ['pwd'] });
    const first = await clickApprove(PEOPLE.approver, id!);
    await browse(/"url":"([^"]+)"/.exec(allText(first!.blocks))![1]!);
    const again = await clickApprove(PEOPLE.approver, id!);
    expect(allText(again)).toContain('more than one factor (MFA)');
    expect(allText(again)).toContain('Sign in to approve');
    expect(await statusOf(h, id!)).toBe('pending');
  });

  it('a step-up sign-in as another company identity than the linked one does not count', async () => {
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['web-1'],
      duration: '60',
      justification: 'deploy',
    });
    idp.signInAs({ sub: 'okta|mallory', email: 'mallory@corp.example', amr: ['mfa'] });
    h.clock.advance(20);
    const first = await clickApprove(PEOPLE.approver, id!);
    const page = await browse(/"url":"([^"]+)"/.exec(allText(first!.blocks))![1]!);
    expect(page.text).toContain('different company identity');
    expect((await linkOf(PEOPLE.approver))!.subject).toBe('okta|alex');
    expect(allText(await clickApprove(PEOPLE.approver, id!))).toContain('Sign in to approve');
  });
});

describe('step-up for extensions', () => {
  it('an extension of a step-up flow needs the sign-in too, and its approval records the claims', async () => {
    idp.signInAs(ALEX);
    const signInAndApprove = async (requestId: string) => {
      const prompt = await clickApprove(PEOPLE.approver, requestId);
      if (prompt) await browse(/"url":"([^"]+)"/.exec(allText(prompt.blocks))![1]!);
      expect(await clickApprove(PEOPLE.approver, requestId)).toBeNull();
      await h.driver.submitView(PEOPLE.approver, h.slack.topView(PEOPLE.approver)!.id, {});
      h.slack.clearViews(PEOPLE.approver);
      await h.settle();
    };
    const [id] = await requestAccess(h, PEOPLE.requester, {
      resources: ['prod-db'],
      duration: '60',
      justification: 'incident 10',
    });
    await signInAndApprove(id!);
    expect(await statusOf(h, id!)).toBe('active');
    h.clock.advance(20); // the sign-in is stale again
    await h.driver.clickButton(PEOPLE.requester, myMessage(h, PEOPLE.requester, id!), 'request.extend');
    const modal = await until(() => h.slack.topView(PEOPLE.requester), 'extend modal');
    await h.driver.submitView(PEOPLE.requester, modal.id, {
      'extend.duration': '60',
      'extend.reason': 'incident 10 goes on',
    });
    h.slack.clearViews(PEOPLE.requester);
    await h.settle();
    const [ext] = await h.sql`select id from access_requests where extends_request_id = ${id!}`;
    expect(allText(await clickApprove(PEOPLE.approver, ext!.id as string))).toContain('Sign in to approve');
    await signInAndApprove(ext!.id as string);
    expect(await statusOf(h, ext!.id as string)).toBe('approved');
    const [event] =
      await h.sql`select details from audit_events where request_id = ${ext!.id as string} and action = 'request.approved'`;
    expect(event!.details.step_up).toMatchObject({
      issuer: idp.issuer,
      subject: 'okta|alex',
      amr: ['pwd', 'mfa', 'otp'],
    });
    // `/access audit` tells the step-up and the extension in words, never as JSON.
    const original = await auditTrail(PEOPLE.admin, id!);
    expect(original).toMatch(/extended the access by 1h \(extension req_\w+\): it now ends \S+ instead of \S+/);
    const extension = await auditTrail(PEOPLE.admin, ext!.id as string);
    expect(extension).toContain(`signed in again at ${idp.issuer} as okta|alex for a step-up, authenticated`);
    expect(extension).toMatch(
      /approved the extension of req_\w+: 1h more, until \S+; after a step-up sign-in as okta\|alex/,
    );
    for (const trail of [original, extension]) expect(trail).not.toMatch(/\{"|"\w+":/);
  });
});

/** The lines of `/access audit <id>` as `user` sees them in the modal (the section texts). */
async function auditTrail(user: string, requestId: string): Promise<string> {
  h.slack.clearViews(user);
  await h.driver.command(user, '/access', `audit ${requestId}`);
  const modal = await until(() => h.slack.topView(user), 'the audit modal');
  h.slack.clearViews(user);
  return (modal.view.blocks as Array<{ type: string; text?: { text: string } }>)
    .filter((b) => b.type === 'section')
    .map((b) => b.text!.text)
    .join('\n');
}

describe('require_link', () => {
  it('an unlinked requester is told in the request modal and cannot send it; once linked they can', async () => {
    h.slack.clearViews(PEOPLE.other);
    await h.sql`delete from identity_links where slack_user_id = ${PEOPLE.other}`;
    await h.driver.command(PEOPLE.other, '/access', 'request');
    const modal = await until(() => h.slack.topView(PEOPLE.other), 'the request modal');
    expect(allText(modal.blocks)).toContain('Link your company identity first: /access link');
    const res = await h.driver.submitView(PEOPLE.other, modal.id, {
      'request.resources': ['staging-db'],
      'request.duration': '60',
      'request.justification': 'tests',
    });
    expect(res.json?.response_action).toBe('errors');
    expect(allText(res.json)).toContain('Link your company identity first: /access link');
    expect(
      (await h.sql`select count(*)::int as n from access_requests where requester_id = ${PEOPLE.other}`)[0]!.n,
    ).toBe(0);

    idp.signInAs({ sub: 'okta|oscar', email: 'oscar@corp.example' });
    await browse(await linkButtonUrl(PEOPLE.other));
    const [id] = await requestAccess(h, PEOPLE.other, {
      resources: ['staging-db'],
      duration: '60',
      justification: 'tests',
    });
    expect(allText(approverMessage(h, PEOPLE.approver, id!).message.blocks)).toContain('oscar@corp.example');
  });
});

describe('the App Home flow editor', () => {
  it('sets require_link, step-up minutes and MFA on a flow, refuses MFA without step-up, and lists them', async () => {
    await h.driver.appHomeOpened(PEOPLE.admin);
    const home = await until(() => h.slack.home(PEOPLE.admin), 'admin home');
    const before = home.hash;
    await h.driver.clickButton(PEOPLE.admin, { viewId: home.id }, 'home.tab.flows');
    const flows = await until(
      () => h.slack.home(PEOPLE.admin)?.hash !== before && h.slack.home(PEOPLE.admin),
      'flows tab',
    );
    await h.driver.clickButton(PEOPLE.admin, { viewId: flows.id }, 'admin.flow.add');
    const modal = await until(() => h.slack.topView(PEOPLE.admin), 'flow modal');
    const values = {
      'af.name': 'stepped',
      'af.resources': ['ops-db'],
      'af.req.users': [PEOPLE.requester],
      'af.appr.users': [PEOPLE.approver],
      'af.max': '240',
    };
    const refused = await h.driver.submitView(PEOPLE.admin, modal.id, { ...values, 'af.identity': ['require_mfa'] });
    expect(refused.json?.response_action).toBe('errors');
    expect(allText(refused.json)).toContain('MFA is checked on the step-up sign-in');
    const res = await h.driver.submitView(PEOPLE.admin, modal.id, {
      ...values,
      'af.identity': ['require_link', 'require_mfa'],
      'af.stepup': '10',
    });
    expect(res.json?.response_action).not.toBe('errors');
    const [row] = await h.sql`select identity from flows where name = 'stepped'`;
    expect(row!.identity).toEqual({ requireLink: true, stepUpMinutes: 10, requireMfa: true });
    const listed = await until(
      () => allText(h.slack.home(PEOPLE.admin)?.view.blocks).includes('stepped') && h.slack.home(PEOPLE.admin),
      'the flow listed',
    );
    expect(allText(listed.view.blocks)).toContain('approvers sign in within 10m with MFA');
  });
});
