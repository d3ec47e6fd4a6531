import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOktaProvisioner } from '../../src/provisioners/okta/okta-provisioner.js';
import { PermanentProvisioningError, type GrantContext } from '../../src/provisioners/port.js';
import { startOktaDouble, type OktaDouble } from '../../doubles/okta/okta-double.js';

const TOKEN = '00abcdefSSWStoken0123456789';

async function rejection(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

describe('okta provisioner', () => {
  let okta: OktaDouble;
  let groupId: string;
  const provisioner = createOktaProvisioner();

  function context(overrides: Partial<GrantContext> = {}, settings: Record<string, unknown> = {}): GrantContext {
    return {
      grantId: 'g-1',
      requestId: 'r-42',
      requesterId: 'U123',
      requesterEmail: 'rita@example.com',
      sshPublicKey: null,
      resource: { name: 'okta-prod-admins', type: 'group' },
      settings: { org_url: okta.url, group_id: groupId, token: TOKEN, ...settings },
      grant: { type: 'group', resource: 'okta-prod-admins' },
      startsAt: new Date('2030-01-01T11:00:00.000Z'),
      expiresAt: new Date('2030-01-01T12:00:00.000Z'),
      ...overrides,
    };
  }
  const calls = (method: string, pathPart = '') =>
    okta.requests.filter((r) => r.method === method && r.path.includes(pathPart));

  beforeEach(async () => {
    // Two users a page, so that listing a group's members takes several pages.
    okta = await startOktaDouble({ token: TOKEN, pageSize: 2 });
    groupId = okta.addGroup({ name: 'Prod Admins' }).id;
    okta.addUser({ login: 'rita@example.com', firstName: 'Rita' });
    for (let i = 0; i < 5; i++) okta.addMember(groupId, okta.addUser({ login: `member${i}@example.com` }).login);
  });
  afterEach(async () => okta.stop());

  it('adds the requester, found by e-mail, to the group, and says how to use it', async () => {
    const result = await provisioner.provision(context());
    expect(okta.members(groupId)).toContain('rita@example.com');
    expect(okta.members(groupId)).toHaveLength(6);
    const rita = okta.directory.userByLogin('rita@example.com')!;
    expect(result.state).toEqual({ groupId, userId: rita.id, login: 'rita@example.com' });
    expect(result.instructions).toContain('Okta group Prod Admins as rita@example.com');
    expect(result.instructions).toContain(okta.url);
    expect(okta.requests.every((r) => r.authorized)).toBe(true);
    expect(calls('PUT', `/api/v1/groups/${groupId}/users/${rita.id}`)).toHaveLength(1);
    expect(await provisioner.isPresent!(context(), result.state)).toBe(true);
  });

  it('is idempotent: provisioning again leaves one membership and succeeds', async () => {
    await provisioner.provision(context());
    const again = await provisioner.provision(context());
    expect(okta.members(groupId).filter((m) => m === 'rita@example.com')).toHaveLength(1);
    expect(calls('PUT').map((r) => r.status)).toEqual([204, 204]);
    expect(again.state.userId).toBe(okta.directory.userByLogin('rita@example.com')!.id);
  });

  it('extends without touching Okta (memberships have no end there)', async () => {
    const { state } = await provisioner.provision(context());
    const before = okta.requests.length;
    const extended = await provisioner.extend!(context({ expiresAt: new Date('2030-01-01T15:00:00.000Z') }), state);
    expect(extended.state).toEqual(state);
    expect(okta.requests).toHaveLength(before);
    expect(okta.members(groupId)).toContain('rita@example.com');
  });

  it('removes the membership, and removing again succeeds', async () => {
    const { state } = await provisioner.provision(context());
    await provisioner.deprovision(context(), state);
    expect(okta.members(groupId)).not.toContain('rita@example.com');
    expect(okta.members(groupId)).toHaveLength(5);
    await provisioner.deprovision(context(), state);
    expect(calls('DELETE').map((r) => r.status)).toEqual([204, 204]);
    expect(await provisioner.isPresent!(context(), state)).toBe(false);
  });

  it('removes the membership where it was made, even after the resource moved to another group', async () => {
    const { state } = await provisioner.provision(context());
    const other = okta.addGroup({ name: 'Other Admins' }).id;
    await provisioner.deprovision(context({}, { group_id: other }), state);
    expect(okta.members(groupId)).not.toContain('rita@example.com');
  });

  it('removes with a lost state, finding the user by e-mail again', async () => {
    await provisioner.provision(context());
    await provisioner.deprovision(context(), {});
    expect(okta.members(groupId)).not.toContain('rita@example.com');
  });

  it('treats a user or group deleted in Okta as already removed', async () => {
    const { state } = await provisioner.provision(context());
    okta.directory.users.delete(String(state.userId));
    await provisioner.deprovision(context(), state);
    await provisioner.deprovision(context(), {});
    okta.directory.groups.delete(groupId);
    await provisioner.deprovision(context(), { ...state });
    expect(await provisioner.isPresent!(context(), state)).toBe(false);
  });

  it('sees drift both ways: a membership removed or added by hand', async () => {
    const { state } = await provisioner.provision(context());
    okta.removeMember(groupId, 'rita@example.com');
    expect(await provisioner.isPresent!(context(), state)).toBe(false);
    okta.addMember(groupId, 'rita@example.com');
    expect(await provisioner.isPresent!(context(), {})).toBe(true);
  });

  it('pages through the group members with the Link headers', async () => {
    const { state } = await provisioner.provision(context());
    okta.removeMember(groupId, 'rita@example.com');
    okta.requests.length = 0;
    expect(await provisioner.isPresent!(context(), state)).toBe(false);
    // Five members, two a page: three pages, each after the previous one's cursor.
    const pages = calls('GET', `/api/v1/groups/${groupId}/users`);
    expect(pages).toHaveLength(3);
    expect(pages.map((p) => p.query.after === undefined)).toEqual([true, false, false]);
    okta.addMember(groupId, 'rita@example.com');
    expect(await provisioner.isPresent!(context(), state)).toBe(true);
  });

  it('finds the user by login when user_attribute is login', async () => {
    okta.addUser({ login: 'lin@example.com', email: 'lin.private@mail.example' });
    const ctx = context({ requesterEmail: 'lin@example.com' }, { user_attribute: 'login' });
    await provisioner.provision(ctx);
    expect(okta.members(groupId)).toContain('lin@example.com');
    const byEmail = await rejection(provisioner.provision(context({ requesterEmail: 'lin@example.com' })));
    expect(byEmail).toBeInstanceOf(PermanentProvisioningError);
    expect(byEmail.message).toContain('No Okta user has the e-mail lin@example.com');
  });

  it('says in a sentence when no Okta user matches, and grants nothing', async () => {
    const err = await rejection(provisioner.provision(context({ requesterEmail: 'nobody@example.com' })));
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toMatch(/^No Okta user has the e-mail nobody@example.com \(in 127\.0\.0\.1:\d+\)/);
    const login = await rejection(
      provisioner.provision(context({ requesterEmail: 'nobody@example.com' }, { user_attribute: 'login' })),
    );
    expect(login.message).toContain('No Okta user has the login nobody@example.com');
    const none = await rejection(provisioner.provision(context({ requesterEmail: null })));
    expect(none).toBeInstanceOf(PermanentProvisioningError);
    expect(none.message).toContain('no e-mail address in their Slack profile');
    expect(calls('PUT')).toEqual([]);
    expect(okta.members(groupId)).toHaveLength(5);
  });

  it('refuses users who cannot sign in, and an e-mail shared by two live users; prefers the live one over a deactivated twin', async () => {
    okta.setStatus('rita@example.com', 'DEPROVISIONED');
    const deactivated = await rejection(provisioner.provision(context()));
    expect(deactivated).toBeInstanceOf(PermanentProvisioningError);
    expect(deactivated.message).toBe(
      'The Okta user rita@example.com is deactivated (DEPROVISIONED); an Okta admin must activate them before they can join Prod Admins',
    );
    okta.setStatus('rita@example.com', 'SUSPENDED');
    expect((await rejection(provisioner.provision(context()))).message).toContain('is suspended');
    expect(calls('PUT')).toEqual([]);

    okta.setStatus('rita@example.com', 'DEPROVISIONED');
    const twin = okta.addUser({ login: 'rita.new@example.com', email: 'rita@example.com' });
    const { state } = await provisioner.provision(context());
    expect(state.userId).toBe(twin.id);

    okta.setStatus('rita@example.com', 'ACTIVE');
    const ambiguous = await rejection(provisioner.provision(context()));
    expect(ambiguous).toBeInstanceOf(PermanentProvisioningError);
    expect(ambiguous.message).toContain('2 Okta users have the e-mail rita@example.com');
  });

  it('reports a wrong token as permanent, without echoing it', async () => {
    const err = await rejection(provisioner.provision(context({}, { token: 'wrong-token-value' })));
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain('refused the API token');
    expect(err.message).toContain('401 E0000011 Invalid token provided');
    expect(err.message).not.toContain('wrong-token-value');
    expect(okta.requests.at(-1)?.authorized).toBe(false);
    expect(okta.members(groupId)).toHaveLength(5);
  });

  it('reports missing rights on the group (403) as permanent, naming the role to give', async () => {
    okta.denyGroup(groupId);
    const err = await rejection(provisioner.provision(context()));
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain('403 E0000006');
    expect(err.message).toContain('Group Membership Admin');
  });

  it('reports an unknown group and a group it cannot manage as permanent', async () => {
    const missing = '00gDOESNOTEXIST00000';
    const unknown = await rejection(provisioner.provision(context({}, { group_id: missing })));
    expect(unknown).toBeInstanceOf(PermanentProvisioningError);
    expect(unknown.message).toContain(`Okta group ${missing} does not exist`);
    const app = okta.addGroup({ name: 'AD Admins', type: 'APP_GROUP' });
    const err = await rejection(provisioner.provision(context({}, { group_id: app.id })));
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain('of type APP_GROUP');
    expect(calls('PUT')).toEqual([]);
    // Read afresh each time (the SDK's response cache is off): a group deleted since the last call is seen.
    await rejection(provisioner.provision(context({ requesterEmail: 'nobody@example.com' })));
    okta.directory.groups.delete(groupId);
    expect((await rejection(provisioner.provision(context()))).message).toContain(
      `Okta group ${groupId} does not exist`,
    );
  });

  it('waits out a 429 whose window resets in a second, and the call succeeds', async () => {
    okta.rateLimit(1);
    await provisioner.provision(context());
    expect(okta.members(groupId)).toContain('rita@example.com');
    const limited = okta.requests.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    // The SDK retried the same call, marked as a retry, once the window had reset.
    const retried = okta.requests[okta.requests.indexOf(limited.at(-1)!) + 1]!;
    expect(retried).toMatchObject({ path: limited.at(-1)!.path, retryCount: limited.length, status: 200 });
  });

  it('does not sleep through a window that resets far ahead: an ordinary error, for the outbox to retry', async () => {
    okta.rateLimit(3600);
    const err = await rejection(provisioner.provision(context()));
    expect(err).not.toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain('rate limit');
    expect(okta.requests.filter((r) => r.status === 429)).toHaveLength(1);
    okta.rateLimit(0);
    await provisioner.provision(context());
    expect(okta.members(groupId)).toContain('rita@example.com');
  });

  it('leaves a 5xx and an unreachable org to the caller to retry', async () => {
    okta.failNext(1, 500);
    const err = await rejection(provisioner.provision(context()));
    expect(err).not.toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain('500 E0000009');
    await provisioner.provision(context());
    expect(okta.members(groupId)).toContain('rita@example.com');

    okta.setDown(true);
    expect(await rejection(provisioner.deprovision(context(), {}))).not.toBeInstanceOf(PermanentProvisioningError);
    okta.setDown(false);

    const url = okta.url;
    await okta.stop();
    const down = await rejection(provisioner.provision(context({}, { org_url: url })));
    expect(down).not.toBeInstanceOf(PermanentProvisioningError);
    expect(down.message).toContain('unreachable');
    expect(down.message).not.toContain(TOKEN);
    okta = await startOktaDouble({ token: TOKEN }); // for afterEach
  });

  it('is not steered by OKTA_CLIENT_* variables the SDK would read from the environment', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      OKTA_CLIENT_AUTHORIZATIONMODE: 'PrivateKey',
      OKTA_CLIENT_TOKEN: 'someone-elses-token',
      OKTA_CLIENT_ORGURL: 'https://other.okta.com',
    });
    try {
      await createOktaProvisioner().provision(context());
    } finally {
      for (const k of ['OKTA_CLIENT_AUTHORIZATIONMODE', 'OKTA_CLIENT_TOKEN', 'OKTA_CLIENT_ORGURL'])
        if (!(k in saved)) delete process.env[k];
    }
    expect(okta.members(groupId)).toContain('rita@example.com');
    expect(okta.requests.every((r) => r.scheme === 'SSWS')).toBe(true);
  });

  it('names one membership per org, group and person', () => {
    expect(provisioner.sharedAccessKeys!(context({ requesterEmail: 'Rita@Example.com' }))).toEqual([
      `okta:${new URL(okta.url).host}:${groupId}:rita@example.com`,
    ]);
    expect(provisioner.sharedAccessKeys!(context({ requesterEmail: null }))).toEqual([]);
  });
});

describe('okta provisioner with an OAuth 2.0 service app', () => {
  const pair = () =>
    generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
  const app = pair();
  const CLIENT_ID = '0oa1serviceapp2bot3x4';
  let okta: OktaDouble;
  let groupId: string;
  const provisioner = createOktaProvisioner();

  beforeEach(async () => {
    okta = await startOktaDouble({
      token: TOKEN,
      oauthClients: [
        { clientId: CLIENT_ID, publicKey: app.publicKey, scopes: ['okta.groups.manage', 'okta.users.read'] },
        {
          clientId: '0oa1readonlyapp2bot3x4',
          publicKey: app.publicKey,
          scopes: ['okta.groups.read', 'okta.users.read'],
        },
      ],
    });
    groupId = okta.addGroup({ name: 'Prod Admins' }).id;
    okta.addUser({ login: 'rita@example.com' });
  });
  afterEach(async () => okta.stop());

  const context = (settings: Record<string, unknown> = {}): GrantContext => ({
    grantId: 'g-1',
    requestId: 'r-42',
    requesterId: 'U123',
    requesterEmail: 'rita@example.com',
    sshPublicKey: null,
    resource: { name: 'okta-prod-admins', type: 'group' },
    settings: {
      org_url: okta.url,
      group_id: groupId,
      client_id: CLIENT_ID,
      private_key: app.privateKey,
      key_id: 'bot-key-1',
      ...settings,
    },
    grant: { type: 'group', resource: 'okta-prod-admins' },
    startsAt: new Date('2030-01-01T11:00:00.000Z'),
    expiresAt: new Date('2030-01-01T12:00:00.000Z'),
  });
  const tokenRequests = () => okta.requests.filter((r) => r.path === '/oauth2/v1/token');

  it('gets an access token with a signed client assertion, and calls the API with it', async () => {
    const { state } = await provisioner.provision(context());
    expect(okta.members(groupId)).toEqual(['rita@example.com']);
    expect(tokenRequests().map((r) => r.status)).toEqual([200]);
    expect(okta.requests.filter((r) => r.path.startsWith('/api/')).every((r) => r.scheme === 'Bearer')).toBe(true);
    // The access token is kept for the next calls.
    await provisioner.deprovision(context(), state);
    expect(okta.members(groupId)).toEqual([]);
    expect(tokenRequests()).toHaveLength(1);
  });

  it('gets a new access token when Okta no longer takes the old one', async () => {
    await provisioner.provision(context());
    okta.revokeAccessTokens();
    expect(await provisioner.isPresent!(context(), {})).toBe(true);
    expect(tokenRequests().map((r) => r.status)).toEqual([200, 200]);
  });

  it('reports a key Okta does not know, and an app without the scope to manage groups, as permanent', async () => {
    const stranger = pair();
    const wrongKey = await rejection(provisioner.provision(context({ private_key: stranger.privateKey })));
    expect(wrongKey).toBeInstanceOf(PermanentProvisioningError);
    expect(wrongKey.message).toContain("refused the service app's access token request");
    expect(wrongKey.message).not.toContain('PRIVATE KEY');
    const readOnly = await rejection(provisioner.provision(context({ client_id: '0oa1readonlyapp2bot3x4' })));
    expect(readOnly).toBeInstanceOf(PermanentProvisioningError);
    expect(readOnly.message).toContain('okta.groups.manage');
    const garbage = await rejection(provisioner.provision(context({ private_key: 'not a key' })));
    expect(garbage).toBeInstanceOf(PermanentProvisioningError);
    expect(okta.members(groupId)).toEqual([]);
  });
});

describe('okta settings', () => {
  const okta = createOktaProvisioner();
  const good = {
    org_url: 'https://example.okta.com',
    group_id: '00g1a2b3c4d5e6f7g8h9',
    token: 'env:ACCESS_SECRET_OKTA_API_TOKEN',
  };

  it('accepts a resource as documented', () => {
    expect(okta.validateSettings(good)).toBeNull();
    expect(okta.validateSettings({ ...good, user_attribute: 'login' })).toBeNull();
    expect(okta.validateSettings({ ...good, org_url: 'http://127.0.0.1:8080' })).toBeNull();
    const { token: _token, ...oauth } = good;
    expect(
      okta.validateSettings({
        ...oauth,
        client_id: '0oa1serviceapp2bot3x4',
        private_key: 'file:/run/secrets/okta_key.pem',
        key_id: 'k1',
      }),
    ).toBeNull();
  });

  it('refuses what would leak the token or could never work', () => {
    expect(okta.validateSettings({ ...good, token: '00abcdef-literal' })).toContain('secret reference');
    expect(okta.validateSettings({ ...good, org_url: 'http://example.okta.com' })).toContain('https');
    expect(okta.validateSettings({ ...good, org_url: 'https://example.okta.com/admin' })).toContain('no path');
    expect(okta.validateSettings({ ...good, group_id: 'Prod Admins' })).toContain('00g');
    expect(okta.validateSettings({ ...good, user_attribute: 'upn' })).toContain('user_attribute');
    expect(okta.validateSettings({ ...good, user_atribute: 'login' })).toContain('unknown okta setting user_atribute');
    expect(
      okta.validateSettings({ ...good, client_id: '0oa1serviceapp2bot3x4', private_key: 'env:ACCESS_SECRET_KEY' }),
    ).toContain('not both');
    const { token: _token, ...oauth } = good;
    expect(
      okta.validateSettings({
        ...oauth,
        client_id: '0oa1serviceapp2bot3x4',
        private_key: '-----BEGIN PRIVATE KEY-----',
      }),
    ).toContain('secret reference');
  });
});
