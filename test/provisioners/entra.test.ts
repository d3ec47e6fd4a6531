import https from 'node:https';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEntraProvisioner } from '../../src/provisioners/entra/entra-provisioner.js';
import { PermanentProvisioningError, type GrantContext } from '../../src/provisioners/port.js';
import {
  DOUBLE_CLIENT_ID,
  DOUBLE_CLIENT_SECRET,
  LEAST_PRIVILEGE,
  startEntraDouble,
  type EntraDouble,
} from '../../doubles/entra/entra-double.js';

const GROUP = '5b1f0c3e-7a2d-4e6b-9c8a-2f4d6e8a0b1c';
const ROLE_GROUP = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';
const ADA = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
// Graph without Retry-After waits `delaySeconds` + up to 1 s of jitter per retry: none in tests.
const FAST_RETRY = { maxRetries: 2, delaySeconds: 0, maxRetryAfterSeconds: 5 };

let d: EntraDouble;
let entra: ReturnType<typeof createEntraProvisioner>;

function settings(overrides: Record<string, unknown> = {}) {
  return {
    tenant_id: d.tenantId,
    client_id: DOUBLE_CLIENT_ID,
    client_secret: DOUBLE_CLIENT_SECRET,
    group_id: GROUP,
    authority_host: d.url,
    graph_url: d.url,
    ...overrides,
  };
}

function context(overrides: Partial<GrantContext> = {}, settingOverrides: Record<string, unknown> = {}): GrantContext {
  return {
    grantId: 'g-1',
    requestId: 'r-42',
    requesterId: 'U123',
    requesterEmail: 'ada@example.com',
    sshPublicKey: null,
    resource: { name: 'prod-admins', type: 'group' },
    settings: settings(settingOverrides),
    grant: { type: 'group', resource: 'prod-admins' },
    startsAt: new Date('2030-01-01T11:00:00.000Z'),
    expiresAt: new Date('2030-01-01T12:00:00.000Z'),
    ...overrides,
  };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

const writes = () => d.graphRequests().filter((r) => r.method === 'POST' || r.method === 'DELETE');

beforeEach(async () => {
  d = await startEntraDouble({
    users: [
      {
        id: ADA,
        mail: 'ada@example.com',
        userPrincipalName: 'ada.lovelace@contoso.onmicrosoft.com',
        displayName: 'Ada Lovelace',
      },
      { mail: 'bob@example.com', userPrincipalName: 'bob@contoso.onmicrosoft.com' },
    ],
    groups: [
      { id: GROUP, displayName: 'Prod admins' },
      { id: ROLE_GROUP, displayName: 'Helpdesk admins', isAssignableToRole: true },
    ],
  });
  entra = createEntraProvisioner({ ca: d.ca, retry: FAST_RETRY });
});
afterEach(async () => d.stop());

describe('entra provisioner', () => {
  it('adds the requester, found by e-mail, to the group with the least-privilege permissions, through a bearer token', async () => {
    expect(LEAST_PRIVILEGE).toEqual(['GroupMember.ReadWrite.All', 'User.ReadBasic.All']);
    const result = await entra.provision(context());
    expect(d.members(GROUP)).toEqual([ADA]);
    expect(d.members(ROLE_GROUP)).toEqual([]);
    expect(result.state).toEqual({
      tenantId: d.tenantId,
      groupId: GROUP,
      userId: ADA,
      userPrincipalName: 'ada.lovelace@contoso.onmicrosoft.com',
    });
    expect(result.instructions).toContain('"Prod admins"');
    expect(result.secret).toBeUndefined();
    const [add] = writes();
    expect(add).toMatchObject({ method: 'POST', path: `/v1.0/groups/${GROUP}/members/$ref` });
    expect(JSON.parse(add!.body)).toEqual({ '@odata.id': `${d.url}/v1.0/directoryObjects/${ADA}` });
    expect(
      d.graphRequests().every((r) => /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/.test(String(r.headers.authorization))),
    ).toBe(true);
    expect(await entra.isPresent!(context(), result.state)).toBe(true);
    // One sign-in serves every call until the token nears its end.
    expect(d.tokensIssued()).toBe(1);
  });

  it('provisioning again (an outbox retry) leaves one membership: "already exist" is success', async () => {
    await entra.provision(context());
    const again = await entra.provision(context());
    expect(d.members(GROUP)).toEqual([ADA]);
    expect(again.state.userId).toBe(ADA);
    expect(writes().map((r) => r.method)).toEqual(['POST', 'POST']);
  });

  it('a membership an admin added by hand already counts as granted', async () => {
    d.addMember(GROUP, ADA);
    await entra.provision(context());
    expect(d.members(GROUP)).toEqual([ADA]);
  });

  it('extending changes nothing in Entra (memberships have no end of their own)', async () => {
    const { state } = await entra.provision(context());
    const before = d.graphRequests().length;
    expect(await entra.extend!(context({ expiresAt: new Date('2030-01-01T18:00:00.000Z') }), state)).toEqual({ state });
    expect(d.graphRequests()).toHaveLength(before);
    expect(d.members(GROUP)).toEqual([ADA]);
  });

  it('deprovisions; removing again, or a membership already removed by hand, succeeds', async () => {
    const { state } = await entra.provision(context());
    await entra.deprovision(context(), state);
    expect(d.members(GROUP)).toEqual([]);
    await entra.deprovision(context(), state); // Graph answers 404 Request_ResourceNotFound
    expect(await entra.isPresent!(context(), state)).toBe(false);
    expect(writes().map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST /v1.0/groups/${GROUP}/members/$ref`,
      `DELETE /v1.0/groups/${GROUP}/members/${ADA}/$ref`,
      `DELETE /v1.0/groups/${GROUP}/members/${ADA}/$ref`,
    ]);
  });

  it('deprovisions and checks presence with a lost state, finding the user again by e-mail', async () => {
    await entra.provision(context());
    expect(await entra.isPresent!(context(), {})).toBe(true);
    await entra.deprovision(context(), {});
    expect(d.members(GROUP)).toEqual([]);
    expect(await entra.isPresent!(context(), {})).toBe(false);
    // Nobody to remove: no e-mail, or no such user.
    await entra.deprovision(context({ requesterEmail: null }), {});
    await entra.deprovision(context({ requesterEmail: 'gone@example.com' }), {});
  });

  it('isPresent reads direct members across pages (@odata.nextLink)', async () => {
    for (let i = 0; i < 1500; i++) d.addMember(GROUP, d.addUser({ mail: `filler${i}@example.com` }).id);
    expect(await entra.isPresent!(context(), { userId: ADA })).toBe(false);
    d.addMember(GROUP, ADA);
    expect(await entra.isPresent!(context(), { userId: ADA })).toBe(true);
    const listings = d.graphRequests().filter((r) => r.path.includes('/members?'));
    expect(listings.filter((r) => r.path.includes('$skiptoken'))).toHaveLength(2);
  });

  it('says so when the requester has no e-mail or no Entra ID user has it, and grants nothing', async () => {
    const none = await rejection(entra.provision(context({ requesterEmail: null })));
    expect(none).toBeInstanceOf(PermanentProvisioningError);
    expect(none.message).toBe(
      'The requester has no e-mail address in Slack, so no Entra ID user can be found for them.',
    );
    const unknown = await rejection(entra.provision(context({ requesterEmail: 'carol@example.com' })));
    expect(unknown).toBeInstanceOf(PermanentProvisioningError);
    expect(unknown.message).toBe('No Entra ID user has the e-mail carol@example.com.');
    expect(writes()).toEqual([]);
    expect(d.members(GROUP)).toEqual([]);
  });

  it('matches the user principal name too by default, or only the attribute the settings name', async () => {
    await entra.provision(context({ requesterEmail: 'ADA.LOVELACE@contoso.onmicrosoft.com' }));
    expect(d.members(GROUP)).toEqual([ADA]);
    d.removeMember(GROUP, ADA);

    const byMail = await rejection(
      entra.provision(context({ requesterEmail: 'ada.lovelace@contoso.onmicrosoft.com' }, { user_attribute: 'mail' })),
    );
    expect(byMail.message).toBe('No Entra ID user has the e-mail ada.lovelace@contoso.onmicrosoft.com.');

    await entra.provision(
      context({ requesterEmail: 'ada.lovelace@contoso.onmicrosoft.com' }, { user_attribute: 'userPrincipalName' }),
    );
    expect(d.members(GROUP)).toEqual([ADA]);
    expect(
      d.graphRequests().some((r) => r.path.startsWith('/v1.0/users/ada.lovelace%40contoso.onmicrosoft.com?')),
    ).toBe(true);
    const byUpn = await rejection(entra.provision(context({}, { user_attribute: 'userPrincipalName' })));
    expect(byUpn.message).toBe('No Entra ID user has the user principal name ada@example.com.');
  });

  it("quotes and encodes e-mails OData and URLs treat specially (+, ', #)", async () => {
    const odd = d.addUser({ mail: "o'brien+ops#1@example.com", userPrincipalName: 'obrien@contoso.onmicrosoft.com' });
    await entra.provision(context({ requesterEmail: "o'brien+ops#1@example.com" }));
    expect(d.members(GROUP)).toEqual([odd.id]);
  });

  it('refuses to guess when one user matches by mail and another by user principal name', async () => {
    d.addUser({ mail: 'shared@example.com', userPrincipalName: 'x@contoso.onmicrosoft.com' });
    d.addUser({ mail: null, userPrincipalName: 'shared@example.com' });
    const err = await rejection(entra.provision(context({ requesterEmail: 'shared@example.com' })));
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain('set user_attribute');
    expect(writes()).toEqual([]);
  });

  it('a wrong client secret is refused by the token endpoint: permanent, and the secret is never echoed', async () => {
    const err = await rejection(entra.provision(context({}, { client_secret: 'wrong-secret-value' })));
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain('invalid_client');
    expect(err.message).toContain('AADSTS7000215');
    expect(err.message).not.toContain('wrong-secret-value');
    expect(d.graphRequests()).toEqual([]);
    const unknownApp = await rejection(
      entra.provision(context({}, { client_id: '00000000-1111-4222-8333-444444444444' })),
    );
    expect(unknownApp).toBeInstanceOf(PermanentProvisioningError);
    expect(unknownApp.message).toContain('AADSTS700016');
  });

  it('Graph refuses a token it did not issue (401 InvalidAuthenticationToken)', async () => {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = https.request(
        `${d.url}/v1.0/groups/${GROUP}/members`,
        { ca: d.ca, headers: { authorization: 'Bearer aaa.bbb.ccc' } },
        (r) => {
          let body = '';
          r.on('data', (c: Buffer) => (body += c.toString()));
          r.on('end', () => resolve({ status: r.statusCode!, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body).error).toMatchObject({
      code: 'InvalidAuthenticationToken',
      innerError: { 'request-id': expect.any(String) },
    });
  });

  it('waits out a short 429 Retry-After inside the call (the SDK RetryHandler), and succeeds', async () => {
    d.throttle(1, 1, /^POST /);
    await entra.provision(context());
    expect(d.members(GROUP)).toEqual([ADA]);
    const posts = d.graphRequests().filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.headers['retry-attempt'])).toEqual([undefined, '1']);
  });

  it('does not wait out a long Retry-After: the call fails as transient and the outbox retries later', async () => {
    d.throttle(1, 120, /^POST /);
    const err = await rejection(entra.provision(context()));
    expect(err).not.toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain('429, Retry-After 120s');
    expect(d.graphRequests().filter((r) => r.method === 'POST')).toHaveLength(1);
    await entra.provision(context()); // the later retry converges
    expect(d.members(GROUP)).toEqual([ADA]);
  });

  it('retries a 503 a bounded number of times, then leaves it to the caller; a 500 likewise', async () => {
    d.failGraph(10, { status: 503, match: /^POST / });
    const err = await rejection(entra.provision(context()));
    expect(err).not.toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain('503');
    expect(
      d
        .graphRequests()
        .filter((r) => r.method === 'POST')
        .map((r) => r.headers['retry-attempt']),
    ).toEqual([undefined, '1', '2']);
    d.clearFaults();
    d.failGraph(1, { status: 500 });
    expect(await rejection(entra.provision(context()))).not.toBeInstanceOf(PermanentProvisioningError);
    await entra.provision(context());
    expect(d.members(GROUP)).toEqual([ADA]);
  });

  it('a token endpoint that fails for a while is transient too', async () => {
    d.failToken(100, 503);
    const err = await rejection(entra.provision(context()));
    expect(err).not.toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain('Could not get a token for Microsoft Graph');
    expect(d.graphRequests()).toEqual([]);
    d.clearFaults();
    // MSAL itself holds back token requests for 60 s after a 5xx (its throttling cache, per credential);
    // the outbox's later retry then finds the service back. A fresh provisioner stands for that later time.
    await createEntraProvisioner({ ca: d.ca, retry: FAST_RETRY }).provision(context());
    expect(d.members(GROUP)).toEqual([ADA]);
  });

  it('missing permissions are permanent and name what to grant (403 Authorization_RequestDenied)', async () => {
    d.failGraph(1, { status: 403, match: /^POST / });
    const denied = await rejection(entra.provision(context()));
    expect(denied).toBeInstanceOf(PermanentProvisioningError);
    expect(denied.message).toContain('Authorization_RequestDenied');
    expect(denied.message).toContain('GroupMember.ReadWrite.All');

    d.setAppRoles(DOUBLE_CLIENT_ID, ['GroupMember.ReadWrite.All']);
    const noUsers = await rejection(createEntraProvisioner({ ca: d.ca }).provision(context()));
    expect(noUsers).toBeInstanceOf(PermanentProvisioningError);
    expect(noUsers.message).toContain('User.ReadBasic.All');

    d.setAppRoles(DOUBLE_CLIENT_ID, LEAST_PRIVILEGE);
    const roleGroup = await rejection(
      createEntraProvisioner({ ca: d.ca }).provision(context({}, { group_id: ROLE_GROUP })),
    );
    expect(roleGroup).toBeInstanceOf(PermanentProvisioningError);
    expect(roleGroup.message).toContain('RoleManagement.ReadWrite.Directory');
    expect(d.members(ROLE_GROUP)).toEqual([]);
  });

  it('an unknown group is permanent', async () => {
    const err = await rejection(entra.provision(context({}, { group_id: '12345678-1234-4234-8234-123456789abc' })));
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toBe(
      `Entra ID group 12345678-1234-4234-8234-123456789abc does not exist in tenant ${d.tenantId}.`,
    );
  });

  it('an unreachable Entra is transient and never shows the secret', async () => {
    const url = d.url;
    await d.stop();
    const down = await rejection(
      createEntraProvisioner({ ca: d.ca, retry: FAST_RETRY }).provision(
        context({}, { authority_host: url, graph_url: url }),
      ),
    );
    expect(down).not.toBeInstanceOf(PermanentProvisioningError);
    expect(down.message).not.toContain(DOUBLE_CLIENT_SECRET);
    d = await startEntraDouble(); // for afterEach
  });

  it('names the shared object per tenant, group and person', () => {
    expect(entra.sharedAccessKeys!(context({ requesterEmail: 'Ada@Example.com' }))).toEqual([
      `entra:${d.tenantId}:${GROUP}:ada@example.com`,
    ]);
    expect(entra.sharedAccessKeys!(context({ requesterEmail: null }))).toEqual([]);
  });

  it('validates settings: secrets only as references, GUIDs, https URLs', () => {
    const ok = {
      tenant_id: 'contoso.onmicrosoft.com',
      client_id: DOUBLE_CLIENT_ID,
      client_secret: 'env:ACCESS_SECRET_ENTRA_CLIENT_SECRET',
      group_id: GROUP,
    };
    expect(entra.validateSettings(ok)).toBeNull();
    expect(
      entra.validateSettings({
        ...ok,
        user_attribute: 'userPrincipalName',
        authority_host: 'https://login.microsoftonline.us',
        graph_url: 'https://graph.microsoft.us',
      }),
    ).toBeNull();
    expect(entra.validateSettings({ ...ok, client_secret: 'abc~plain' })).toContain('secret reference');
    expect(entra.validateSettings({ ...ok, group_id: 'Prod admins' })).toContain('group_id');
    expect(entra.validateSettings({ ...ok, client_id: 'my-app' })).toContain('client_id');
    expect(entra.validateSettings({ ...ok, user_attribute: 'email' })).toContain('user_attribute');
    expect(entra.validateSettings({ ...ok, authority_host: 'http://login.example' })).toContain('https');
  });
});
