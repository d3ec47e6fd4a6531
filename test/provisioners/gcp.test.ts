import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createGcpProvisioner } from '../../src/provisioners/gcp/gcp-provisioner.js';
import { MAX_WRITE_ATTEMPTS } from '../../src/provisioners/gcp/iam-client.js';
import { PermanentProvisioningError, type GrantContext, type Provisioner } from '../../src/provisioners/port.js';
import { startGcpDouble, type GcpDouble } from '../../doubles/gcp/gcp-double.js';
import { makeServiceAccount, type TestServiceAccount } from '../support/gcp-key.js';

const PROJECT = 'projects/payments-prod';
const MEMBER = 'user:ada@example.com';
const END = new Date('2030-01-01T12:00:00.000Z');
const ROLES = ['roles/logging.viewer', 'roles/compute.viewer'];
const before = (d: Date) => new Date(d.getTime() - 1000);

let sa: TestServiceAccount;
let double: GcpDouble;
let gcp: Provisioner;

function context(overrides: Partial<GrantContext> = {}, settings: Record<string, unknown> = {}): GrantContext {
  return {
    grantId: 'grt_aaaaaaaaaa',
    requestId: 'req_1111111111',
    requesterId: 'U123',
    requesterEmail: 'Ada@Example.com',
    sshPublicKey: null,
    resource: { name: 'gcp-payments', type: 'cloud' },
    settings: {
      project: 'payments-prod',
      roles: [...ROLES, 'roles/cloudsql.client'],
      api_url: double.url,
      ...settings,
    },
    grant: { type: 'cloud', resource: 'gcp-payments', roles: ROLES },
    startsAt: new Date('2030-01-01T11:00:00.000Z'),
    expiresAt: END,
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

const ourBindings = () => double.bindingsOf(PROJECT, MEMBER);
const writes = () => double.calls.filter((c) => c.method === 'setIamPolicy');

beforeAll(() => {
  sa = makeServiceAccount();
});
afterAll(() => sa.remove());

beforeEach(async () => {
  double = await startGcpDouble({
    serviceAccounts: [sa],
    projects: ['payments-prod'],
    folders: ['123456789012'],
    knownUsers: ['ada@example.com', 'bob@example.com'],
  });
  // Application-default credentials, as in production: the key file GOOGLE_APPLICATION_CREDENTIALS names.
  vi.stubEnv('GOOGLE_APPLICATION_CREDENTIALS', sa.writeKeyFile(`${double.url}/token`));
  gcp = createGcpProvisioner();
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await double.stop();
});

describe('gcp provisioner: grant, extend, remove', () => {
  it('binds each granted role to the requester with a condition ending at the grant’s end; Google ends it by itself', async () => {
    const result = await gcp.provision(context());
    const condition = {
      title: 'Access Requests grant grt_aaaaaaaaaa',
      description: 'Made by Access Requests for req_1111111111 (gcp-payments); ends 2030-01-01T12:00:00Z.',
      expression: 'request.time < timestamp("2030-01-01T12:00:00Z")',
    };
    expect(ourBindings()).toEqual(ROLES.map((role) => ({ role, members: [MEMBER], condition })));
    // What was there before is kept.
    expect(double.policy(PROJECT).bindings).toContainEqual({
      role: 'roles/owner',
      members: ['user:owner@example.com'],
    });
    expect(double.hasAccess(MEMBER, 'roles/compute.viewer', before(END))).toBe(true);
    expect(double.hasAccess(MEMBER, 'roles/compute.viewer', END)).toBe(false);
    expect(double.hasAccess(MEMBER, 'roles/cloudsql.client', before(END))).toBe(false);

    expect(result.state).toEqual({
      resource: PROJECT,
      member: MEMBER,
      roles: ROLES,
      conditionTitle: condition.title,
      endsAt: '2030-01-01T12:00:00Z',
    });
    expect(result.instructions).toContain(
      'roles/logging.viewer, roles/compute.viewer on Google Cloud project payments-prod as user:ada@example.com',
    );
    expect(result.secret).toBeUndefined();
    // Read at version 3, written at version 3 with the etag read, with a token minted from the key file.
    const [get, set] = double.calls;
    expect(get).toMatchObject({
      method: 'getIamPolicy',
      status: 200,
      body: { options: { requestedPolicyVersion: 3 } },
    });
    expect(set).toMatchObject({ method: 'setIamPolicy', status: 200, body: { policy: { version: 3 } } });
    expect(double.tokenRequests).toEqual([{ status: 200 }]);
    expect(JSON.stringify(result)).not.toMatch(/ya29\./);
  });

  it('is idempotent: provisioning again writes nothing, and a retry with another end updates in place', async () => {
    await gcp.provision(context());
    await gcp.provision(context());
    expect(ourBindings()).toHaveLength(2);
    expect(writes()).toHaveLength(1);
    const later = new Date('2030-01-01T13:00:00.000Z');
    await gcp.provision(context({ expiresAt: later }));
    expect(ourBindings().map((b) => b.condition?.expression)).toEqual(
      ROLES.map(() => 'request.time < timestamp("2030-01-01T13:00:00Z")'),
    );
    // One token for all of it: the library caches it until it nears expiry.
    expect(double.tokenRequests).toHaveLength(1);
  });

  it('overlapping grants of the same role have their own bindings: ending one leaves the other', async () => {
    const later = new Date('2030-01-01T15:00:00.000Z');
    await gcp.provision(context());
    const second = context({
      grantId: 'grt_bbbbbbbbbb',
      requestId: 'req_2222222222',
      expiresAt: later,
      grant: { type: 'cloud', resource: 'gcp-payments', roles: ['roles/compute.viewer'] },
    });
    await gcp.provision(second);
    expect(ourBindings().filter((b) => b.role === 'roles/compute.viewer')).toHaveLength(2);
    await gcp.deprovision(context(), {});
    expect(ourBindings().map((b) => b.condition?.title)).toEqual(['Access Requests grant grt_bbbbbbbbbb']);
    expect(double.hasAccess(MEMBER, 'roles/compute.viewer', before(later))).toBe(true);
    expect(double.hasAccess(MEMBER, 'roles/logging.viewer', before(END))).toBe(false);
  });

  it('extend moves the condition’s timestamp, and puts back bindings removed by hand', async () => {
    const { state } = await gcp.provision(context());
    const later = new Date('2030-01-01T14:00:00.000Z');
    const extended = await gcp.extend!(context({ expiresAt: later }), state);
    expect(extended.state).toMatchObject({ endsAt: '2030-01-01T14:00:00Z' });
    expect(ourBindings()).toHaveLength(2);
    expect(double.hasAccess(MEMBER, 'roles/logging.viewer', before(later))).toBe(true);
    expect(double.hasAccess(MEMBER, 'roles/logging.viewer', later)).toBe(false);

    double.editPolicy(PROJECT, (bindings) => bindings.filter((b) => !b.condition));
    await gcp.extend!(context({ expiresAt: new Date('2030-01-01T16:00:00.000Z') }), state);
    expect(ourBindings().map((b) => b.condition?.expression)).toEqual(
      ROLES.map(() => 'request.time < timestamp("2030-01-01T16:00:00Z")'),
    );
  });

  it('deprovision removes the grant’s bindings; again, with lost state and with no e-mail, it succeeds', async () => {
    const { state } = await gcp.provision(context());
    await gcp.deprovision(context(), state);
    expect(ourBindings()).toEqual([]);
    expect(double.hasAccess(MEMBER, 'roles/logging.viewer', new Date('2029-01-01T00:00:00Z'))).toBe(false);
    await gcp.deprovision(context(), state);

    await gcp.provision(context());
    await gcp.deprovision(context({ requesterEmail: null }), {});
    expect(ourBindings()).toEqual([]);
    expect(double.policy(PROJECT).bindings).toEqual([{ role: 'roles/owner', members: ['user:owner@example.com'] }]);
  });

  it('isPresent: true while whole, false when a role was removed by hand, false when gone', async () => {
    const { state } = await gcp.provision(context());
    expect(await gcp.isPresent!(context(), state)).toBe(true);
    double.editPolicy(PROJECT, (bindings) => bindings.filter((b) => b.role !== 'roles/compute.viewer'));
    expect(await gcp.isPresent!(context(), state)).toBe(false);
    await gcp.deprovision(context(), state);
    expect(await gcp.isPresent!(context(), {})).toBe(false);
  });

  it('a folder works the same way, through the folders endpoints', async () => {
    const ctx = context({}, { project: undefined, folder: '123456789012' });
    delete ctx.settings.project;
    const result = await gcp.provision(ctx);
    expect(double.bindingsOf('folders/123456789012', MEMBER)).toHaveLength(2);
    expect(double.calls.every((c) => c.resource === 'folders/123456789012')).toBe(true);
    expect(result.instructions).toContain('folder 123456789012');
    await gcp.deprovision(ctx, result.state);
    expect(double.bindingsOf('folders/123456789012', MEMBER)).toEqual([]);
  });

  it('names the requester through the principal template', async () => {
    await gcp.provision(
      context({ requesterEmail: 'bob@slack.example' }, { principal: 'user:{email_local}@example.com' }),
    );
    expect(double.bindingsOf(PROJECT, 'user:bob@example.com')).toHaveLength(2);
  });
});

describe('gcp provisioner: identity and refusals', () => {
  it('no e-mail in Slack: a clear sentence, and Google is not asked', async () => {
    const err = await rejection(gcp.provision(context({ requesterEmail: null })));
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toBe(
      'the requester has no e-mail address in their Slack profile, so no Google account can be named for them; nothing was granted',
    );
    expect(double.calls).toEqual([]);
  });

  it('an e-mail with no Google account: the sentence, and nothing half-granted', async () => {
    const err = await rejection(gcp.provision(context({ requesterEmail: 'nobody@example.com' })));
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toMatch(
      /^No Google account has the e-mail nobody@example\.com \(Google refused the binding on projects\/payments-prod: User nobody@example\.com does not exist\.\); nothing was granted$/,
    );
    expect(double.policy(PROJECT).bindings).toEqual([{ role: 'roles/owner', members: ['user:owner@example.com'] }]);
  });

  it('an account outside the organization’s allowed domains: the sentence, and nothing granted', async () => {
    await double.stop();
    double = await startGcpDouble({
      serviceAccounts: [sa],
      projects: ['payments-prod'],
      allowedDomains: ['example.com'],
    });
    vi.stubEnv('GOOGLE_APPLICATION_CREDENTIALS', sa.writeKeyFile(`${double.url}/token`));
    const err = await rejection(createGcpProvisioner().provision(context({ requesterEmail: 'ada@gmail.com' })));
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toBe(
      'The organization policy of projects/payments-prod does not allow ada@gmail.com (One or more users named in the policy do not belong to a permitted customer.); nothing was granted',
    );
    expect(double.policy(PROJECT).bindings).toEqual([{ role: 'roles/owner', members: ['user:owner@example.com'] }]);
  });

  it('refuses a role the resource does not allow, before asking Google', async () => {
    const err = await rejection(
      gcp.provision(
        context({ grant: { type: 'cloud', resource: 'gcp-payments', roles: ['roles/iam.securityAdmin'] } }),
      ),
    );
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain('roles/iam.securityAdmin is not among the roles gcp-payments allows');
    expect(double.calls).toEqual([]);
  });

  it('a key Google does not know: the token endpoint refuses the assertion, permanently, and no policy is touched', async () => {
    const impostor = makeServiceAccount(sa.email);
    try {
      vi.stubEnv('GOOGLE_APPLICATION_CREDENTIALS', impostor.writeKeyFile(`${double.url}/token`));
      const err = await rejection(createGcpProvisioner().provision(context()));
      expect(err).toBeInstanceOf(PermanentProvisioningError);
      expect(err.message).toContain(
        "Google refused the bot's service-account credentials while reading the IAM policy of projects/payments-prod (invalid_grant: Invalid JWT Signature.)",
      );
      expect(double.tokenRequests).toEqual([{ status: 400, error: 'invalid_grant: Invalid JWT Signature.' }]);
      expect(double.calls).toEqual([]);
      expect(err.message).not.toContain('PRIVATE KEY');
    } finally {
      impostor.remove();
    }
  });

  it('a revoked token answers 401 UNAUTHENTICATED: the bot mints a fresh one once and goes on', async () => {
    await gcp.provision(context());
    double.revokeTokens();
    expect(await gcp.isPresent!(context(), {})).toBe(true);
    expect(double.calls.filter((c) => c.status === 401)).toHaveLength(1);
    expect(double.tokenRequests).toHaveLength(2);
  });

  it('401 again with a fresh token: a permanent sentence', async () => {
    double.failNext(2, 401);
    const err = await rejection(gcp.provision(context()));
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain(
      "Google refused the bot's access token while reading the IAM policy of projects/payments-prod (401 UNAUTHENTICATED",
    );
  });

  it('403: permanent, naming the least privilege; an unknown project likewise', async () => {
    double.setDenied(true);
    const err = await rejection(gcp.provision(context()));
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain('403 PERMISSION_DENIED');
    expect(err.message).toContain(
      'resourcemanager.projects.getIamPolicy and setIamPolicy (roles/resourcemanager.projectIamAdmin)',
    );
    double.setDenied(false);
    const unknown = await rejection(gcp.provision(context({}, { project: 'no-such-project' })));
    expect(unknown).toBeInstanceOf(PermanentProvisioningError);
    expect(unknown.message).toContain(
      "denied on resource '//cloudresourcemanager.googleapis.com/projects/no-such-project' (or it may not exist)",
    );
  });

  it.each([429, 500, 503])(
    '%i is transient: a plain error (the outbox retries), nothing written; then it works',
    async (status) => {
      double.failNext(1, status);
      const err = await rejection(gcp.provision(context()));
      expect(err).not.toBeInstanceOf(PermanentProvisioningError);
      expect(err.message).toMatch(new RegExp(`^Google answered ${status} (RESOURCE_EXHAUSTED|INTERNAL|UNAVAILABLE)`));
      expect(ourBindings()).toEqual([]);
      await gcp.provision(context());
      expect(ourBindings()).toHaveLength(2);
    },
  );

  it('a concurrent writer between read and write: 409 ABORTED, the bot reads again and both changes survive', async () => {
    double.concurrentWriteAfterNextReads(1);
    await gcp.provision(context());
    expect(writes().map((c) => c.status)).toEqual([409, 200]);
    expect(ourBindings()).toHaveLength(2);
    expect(
      double
        .policy(PROJECT)
        .bindings?.some(
          (b) => b.role === 'roles/logging.viewer' && b.members.includes('user:other-writer-1@example.com'),
        ),
    ).toBe(true);
  });

  it('a policy that keeps changing: a bounded number of attempts, then a plain error for the outbox', async () => {
    double.concurrentWriteAfterNextReads(100);
    const err = await rejection(gcp.provision(context()));
    expect(err).not.toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain(`kept changing during ${MAX_WRITE_ATTEMPTS} attempts`);
    expect(writes()).toHaveLength(MAX_WRITE_ATTEMPTS);
    expect(ourBindings()).toEqual([]);
  });
});

describe('gcp settings', () => {
  const base = { project: 'payments-prod', roles: ['roles/logging.viewer'] };
  it.each([
    [{ ...base }, null],
    [{ folder: '123456789012', roles: ['organizations/123/roles/jitReader'] }, null],
    [{ ...base, folder: '1' }, 'name exactly one of project'],
    [{ roles: base.roles }, 'name exactly one of project'],
    [{ ...base, project: 'Payments' }, 'project must be a Google Cloud project id'],
    [{ ...base, roles: [] }, 'roles must list the IAM roles'],
    [{ ...base, roles: ['logging.viewer'] }, 'is not an IAM role id'],
    [
      { ...base, roles: ['roles/editor'] },
      'roles/editor is a basic role: Google does not allow conditions on basic roles',
    ],
    [{ ...base, principal: 'group:{email}' }, 'principal must be a user:'],
    [{ ...base, principal: 'user:ada@example.com' }, 'principal must contain {email}'],
    [{ ...base, api_url: 'https://evil.example.com' }, 'api_url is for tests against a local Google double only'],
    [{ ...base, api_url: 'http://127.0.0.1:8080' }, null],
  ])('%j -> %s', (settings, problem) => {
    const answer = gcp.validateSettings(settings);
    if (problem === null) expect(answer).toBeNull();
    else expect(answer).toContain(problem);
  });

  it('offers the roles of the settings in the tuning modal', () => {
    expect(gcp.roleChoices!({ ...base, roles: ['roles/a', 'roles/b'] })).toEqual(['roles/a', 'roles/b']);
  });
});
