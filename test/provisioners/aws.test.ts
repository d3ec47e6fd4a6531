import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAwsProvisioner } from '../../src/provisioners/aws/aws-provisioner.js';
import { PermanentProvisioningError, type GrantContext } from '../../src/provisioners/port.js';
import { startAwsDouble, type AwsDouble } from '../../doubles/aws/aws-double.js';

const ACCOUNT = '111122223333';
const RITA = { userName: 'rita', email: 'rita@example.com', userId: '9067-rita' };
const EXPIRES = new Date('2030-01-01T12:00:00.000Z');

function settings(d: AwsDouble, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    instance_arn: d.instanceArn,
    identity_store_id: d.identityStoreId,
    account_id: ACCOUNT,
    region: d.region,
    permission_sets: d.permissionSets,
    portal_url: 'https://d-9067000000.awsapps.com/start',
    endpoint: d.url,
    access_key_id: d.credentials.accessKeyId,
    secret_access_key: d.credentials.secretAccessKey,
    ...extra,
  };
}

function context(d: AwsDouble, overrides: Partial<GrantContext> = {}, roles = ['ReadOnly']): GrantContext {
  return {
    grantId: 'g-1',
    requestId: 'r-42',
    requesterId: 'U123',
    requesterEmail: RITA.email,
    sshPublicKey: null,
    resource: { name: 'aws-prod', type: 'cloud' },
    settings: settings(d),
    grant: { type: 'cloud', resource: 'aws-prod', roles },
    startsAt: new Date('2030-01-01T11:00:00.000Z'),
    expiresAt: EXPIRES,
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

/** Fast polling and no SDK retries unless a test asks: every refusal reaches the provisioner as AWS sent it. */
const aws = createAwsProvisioner({ pollIntervalMs: 1, maxAttempts: 1 });

describe('aws provisioner', () => {
  let d: AwsDouble;
  const mine = (arn: string) => ({
    accountId: ACCOUNT,
    permissionSetArn: arn,
    principalType: 'USER' as const,
    principalId: RITA.userId,
  });
  beforeEach(async () => {
    d = await startAwsDouble({
      accounts: [ACCOUNT],
      users: [RITA, { userName: 'bob', email: 'bob@example.com', userId: '9067-bob' }],
    });
  });
  afterEach(async () => d.stop());

  it('assigns each picked permission set to the user found by e-mail, following the asynchronous status', async () => {
    const result = await aws.provision(context(d, {}, ['ReadOnly', 'Admin']));
    expect(d.assignments()).toEqual([mine(d.permissionSets.ReadOnly!), mine(d.permissionSets.Admin!)]);
    // Each creation and the first describe answered IN_PROGRESS; the provisioner asked again until SUCCEEDED.
    const describes = d.requests.filter((r) => r.target.endsWith('DescribeAccountAssignmentCreationStatus'));
    expect(describes).toHaveLength(4);
    expect(d.inProgress()).toBe(0);
    const lookup = d.requests.find((r) => r.target === 'AWSIdentityStore.GetUserId')!;
    expect(lookup.input).toEqual({
      IdentityStoreId: d.identityStoreId,
      AlternateIdentifier: { UniqueAttribute: { AttributePath: 'emails.value', AttributeValue: RITA.email } },
    });
    expect(result.state).toEqual({
      instanceArn: d.instanceArn,
      accountId: ACCOUNT,
      userId: RITA.userId,
      permissionSets: { ReadOnly: d.permissionSets.ReadOnly, Admin: d.permissionSets.Admin },
    });
    expect(result.instructions).toBe(
      'Sign in through the AWS access portal, https://d-9067000000.awsapps.com/start, and pick account 111122223333 with permission set ReadOnly, Admin.',
    );
    expect(JSON.stringify(result)).not.toContain(d.credentials.secretAccessKey);
    expect(await aws.isPresent!(context(d, {}, ['ReadOnly', 'Admin']), result.state)).toBe(true);
  });

  it('matches the userName attribute when the settings say so', async () => {
    d.addUser({ userName: 'ada@example.com', email: 'ada.lovelace@corp.example', userId: '9067-ada' });
    const ctx = context(d, {
      requesterEmail: 'ada@example.com',
      settings: settings(d, { user_attribute: 'userName' }),
    });
    await aws.provision(ctx);
    expect(d.assignments().map((a) => a.principalId)).toEqual(['9067-ada']);
  });

  it('is idempotent: provisioning again creates nothing more', async () => {
    await aws.provision(context(d));
    const creates = () => d.calls().filter((c) => c === 'CreateAccountAssignment').length;
    expect(creates()).toBe(1);
    await aws.provision(context(d));
    expect(d.assignments()).toHaveLength(1);
    expect(creates()).toBe(1);
  });

  it('takes a ConflictException on create as success when the assignment exists (a concurrent attempt won)', async () => {
    d.failNext('CreateAccountAssignment', {
      status: 409,
      type: 'ConflictException',
      message: 'The specified account assignment already exists.',
      before: () => d.addAssignment(mine(d.permissionSets.ReadOnly!)),
    });
    await aws.provision(context(d));
    expect(d.assignments()).toEqual([mine(d.permissionSets.ReadOnly!)]);
  });

  it('leaves a ConflictException with no assignment (another change in progress) to the retry', async () => {
    d.failNext('CreateAccountAssignment', { status: 409, type: 'ConflictException' });
    const err = await rejection(aws.provision(context(d)));
    expect(err).not.toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain('in progress');
    await aws.provision(context(d));
    expect(d.assignments()).toHaveLength(1);
  });

  it('reports a FAILED creation with AWS reason, and takes back what this attempt had assigned', async () => {
    d.failNextCreation(
      d.permissionSets.Admin!,
      'Received a 409 status error: The role AWSReservedSSO_Admin could not be created in account 111122223333.',
    );
    const err = await rejection(aws.provision(context(d, {}, ['ReadOnly', 'Admin'])));
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toBe(
      'AWS could not complete the creation of the assignment of permission set Admin in account 111122223333: Received a 409 status error: The role AWSReservedSSO_Admin could not be created in account 111122223333.',
    );
    expect(d.assignments()).toEqual([]);
    expect(d.calls()).toContain('DeleteAccountAssignment');
  });

  it('keeps access the user already had when a later permission set fails', async () => {
    d.addAssignment(mine(d.permissionSets.ReadOnly!));
    d.failNextCreation(d.permissionSets.Admin!, 'boom');
    await rejection(aws.provision(context(d, {}, ['ReadOnly', 'Admin'])));
    expect(d.assignments()).toEqual([mine(d.permissionSets.ReadOnly!)]);
  });

  it('gives up on an operation still in progress after the bounded checks, for the outbox to retry', async () => {
    const patient = await startAwsDouble({ accounts: [ACCOUNT], users: [RITA], inProgressDescribes: 50 });
    try {
      const impatient = createAwsProvisioner({ pollIntervalMs: 1, pollAttempts: 3, maxAttempts: 1 });
      const err = await rejection(impatient.provision(context(patient)));
      expect(err).not.toBeInstanceOf(PermanentProvisioningError);
      expect(err.message).toContain('still in progress in AWS after 3 checks');
      patient.settle(); // AWS finishes in the background
      await impatient.provision(context(patient));
      expect(patient.assignments()).toHaveLength(1);
      expect(patient.calls().filter((c) => c === 'CreateAccountAssignment')).toHaveLength(1);
    } finally {
      await patient.stop();
    }
  });

  it('extend leaves AWS and the state alone', async () => {
    const { state } = await aws.provision(context(d));
    const before = d.requests.length;
    expect(await aws.extend!(context(d, { expiresAt: new Date('2030-01-02T00:00:00Z') }), state)).toEqual({ state });
    expect(d.requests).toHaveLength(before);
  });

  it('deprovisions after the deletion status completes; a second deprovision succeeds', async () => {
    const { state } = await aws.provision(context(d, {}, ['ReadOnly', 'Admin']));
    d.addAssignment({ accountId: ACCOUNT, permissionSetArn: d.permissionSets.ReadOnly!, principalId: '9067-bob' });
    await aws.deprovision(context(d, {}, ['ReadOnly', 'Admin']), state);
    expect(d.assignments()).toEqual([
      {
        accountId: ACCOUNT,
        permissionSetArn: d.permissionSets.ReadOnly,
        principalType: 'USER',
        principalId: '9067-bob',
      },
    ]);
    expect(d.calls().filter((c) => c === 'DescribeAccountAssignmentDeletionStatus')).toHaveLength(4);
    await aws.deprovision(context(d, {}, ['ReadOnly', 'Admin']), state);
    expect(await aws.isPresent!(context(d, {}, ['ReadOnly', 'Admin']), state)).toBe(false);
  });

  it('leaves the assignments another live grant relies on (keep), and removes the rest', async () => {
    const ctx = context(d, {}, ['ReadOnly', 'Admin']);
    const { state } = await aws.provision(ctx);
    const [readOnlyKey] = aws.sharedAccessKeys!(ctx);
    await aws.deprovision(ctx, state, new Set([readOnlyKey!]));
    expect(d.assignments().map((a) => a.permissionSetArn)).toEqual([d.permissionSets.ReadOnly]);
  });

  it('deprovisions with a lost state: the user is found again by e-mail', async () => {
    await aws.provision(context(d));
    await aws.deprovision(context(d), {});
    expect(d.assignments()).toEqual([]);
  });

  it('isPresent sees drift, through every page of ListAccountAssignments', async () => {
    const paged = await startAwsDouble({ accounts: [ACCOUNT], users: [RITA], pageSize: 2 });
    try {
      for (let i = 0; i < 5; i++)
        paged.addAssignment({
          accountId: ACCOUNT,
          permissionSetArn: paged.permissionSets.ReadOnly!,
          principalId: `9067-other-${i}`,
        });
      const { state } = await aws.provision(context(paged));
      expect(await aws.isPresent!(context(paged), state)).toBe(true);
      expect(
        paged.requests.filter((r) => r.target.endsWith('ListAccountAssignments') && r.input.NextToken).length,
      ).toBeGreaterThanOrEqual(2);
      paged.removeAssignment({
        accountId: ACCOUNT,
        permissionSetArn: paged.permissionSets.ReadOnly!,
        principalId: RITA.userId,
      });
      expect(await aws.isPresent!(context(paged), state)).toBe(false);
    } finally {
      await paged.stop();
    }
  });

  it('names the unknown e-mail in one sentence and grants nothing', async () => {
    const err = await rejection(aws.provision(context(d, { requesterEmail: 'nobody@example.com' })));
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toBe(
      'No AWS Identity Center user has the e-mail nobody@example.com (identity store d-9067000000), so nothing was granted on aws-prod',
    );
    expect(d.calls()).not.toContain('CreateAccountAssignment');
  });

  it('refuses a requester without e-mail before asking AWS', async () => {
    const err = await rejection(aws.provision(context(d, { requesterEmail: null })));
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain('no e-mail address in their Slack profile');
    expect(d.requests).toEqual([]);
  });

  it('refuses a permission set the settings do not name', async () => {
    const err = await rejection(aws.provision(context(d, {}, ['OrganizationAdmin'])));
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain('no permission set named "OrganizationAdmin"');
    expect(d.requests).toEqual([]);
  });

  it('is refused by the double with a wrong secret or an unknown key, as permanent and without echoing the secret', async () => {
    const wrong = await rejection(
      aws.provision(context(d, { settings: settings(d, { secret_access_key: 'not/the/right/secret/key' }) })),
    );
    expect(wrong).toBeInstanceOf(PermanentProvisioningError);
    expect(wrong.message).toContain('InvalidSignatureException');
    expect(wrong.message).not.toContain('not/the/right/secret/key');
    const unknown = await rejection(
      aws.provision(context(d, { settings: settings(d, { access_key_id: 'AKIAUNKNOWN000000000' }) })),
    );
    expect(unknown).toBeInstanceOf(PermanentProvisioningError);
    expect(unknown.message).toContain('UnrecognizedClientException');
    expect(d.requests.every((r) => r.status === 403)).toBe(true);
    expect(d.assignments()).toEqual([]);
  });

  it('refuses a signature 15 minutes old; the SDK, allowed a retry, corrects its clock from the Date header', async () => {
    const skewed = createAwsProvisioner({ pollIntervalMs: 1, maxAttempts: 1, systemClockOffsetMs: -15 * 60_000 });
    const err = await rejection(skewed.provision(context(d)));
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain('Signature expired');
    const correcting = createAwsProvisioner({ pollIntervalMs: 1, maxAttempts: 2, systemClockOffsetMs: -15 * 60_000 });
    await correcting.provision(context(d));
    expect(d.assignments()).toHaveLength(1);
  });

  it('reports missing IAM permissions (AccessDeniedException) as permanent, naming the action', async () => {
    d.failNext('CreateAccountAssignment', {
      status: 403,
      type: 'AccessDeniedException',
      message: 'User is not authorized to perform: sso:CreateAccountAssignment',
    });
    const err = await rejection(aws.provision(context(d)));
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain('must allow sso:CreateAccountAssignment');
  });

  it('reports an unknown permission set ARN (ResourceNotFoundException) as permanent', async () => {
    const arn = `${d.permissionSets.ReadOnly!.slice(0, -4)}ffff`;
    const err = await rejection(
      aws.provision(context(d, { settings: settings(d, { permission_sets: { ReadOnly: arn } }) })),
    );
    expect(err).toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain('ResourceNotFoundException');
  });

  it('throttling: the SDK waits and retries; past its attempts it is an ordinary error for the outbox', async () => {
    d.failNext('GetUserId', { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
    await createAwsProvisioner({ pollIntervalMs: 1, maxAttempts: 2 }).provision(context(d));
    expect(d.assignments()).toHaveLength(1);
    d.failNext('ListAccountAssignments', { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
    const err = await rejection(aws.provision(context(d)));
    expect(err).not.toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain('throttled');
  });

  it('leaves 5xx and an unreachable endpoint to the caller to retry', async () => {
    d.setDown(true);
    const err = await rejection(aws.provision(context(d)));
    expect(err).not.toBeInstanceOf(PermanentProvisioningError);
    expect(err.message).toContain('503');
    d.setDown(false);
    await aws.provision(context(d));
    expect(d.assignments()).toHaveLength(1);

    const ctx = context(d);
    await d.stop();
    const down = await rejection(aws.provision(ctx));
    expect(down).not.toBeInstanceOf(PermanentProvisioningError);
    expect(down.message).toContain('unreachable');
    expect(down.message).not.toContain(d.credentials.secretAccessKey);
    d = await startAwsDouble(); // for afterEach
  });
});

describe('aws settings and keys', () => {
  const base = {
    instance_arn: 'arn:aws:sso:::instance/ssoins-1234567890abcdef',
    identity_store_id: 'd-1234567890',
    account_id: '111122223333',
    region: 'eu-west-1',
    permission_sets: {
      ReadOnly: 'arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef',
      Admin: 'arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-abcdef1234567890',
    },
  };

  it('accepts a complete resource and offers its permission set names as roles', () => {
    expect(aws.validateSettings(base)).toBeNull();
    expect(
      aws.validateSettings({
        ...base,
        access_key_id: 'env:ACCESS_SECRET_AWS_KEY',
        secret_access_key: 'file:/run/secrets/aws',
        user_attribute: 'userName',
        portal_url: 'https://d-1234567890.awsapps.com/start',
      }),
    ).toBeNull();
    expect(aws.roleChoices!(base)).toEqual(['ReadOnly', 'Admin']);
  });

  it.each([
    [{ instance_arn: 'ssoins-1234' }, 'instance_arn'],
    [{ account_id: 111122223333 }, 'account_id'],
    [{ region: 'Europe' }, 'region'],
    [{ permission_sets: {} }, 'permission_sets'],
    [
      { permission_sets: { ReadOnly: 'arn:aws:sso:::permissionSet/ssoins-ffffffffffffffff/ps-1234567890abcdef' } },
      'another Identity Center instance',
    ],
    [{ access_key_id: 'AKIAREAL', secret_access_key: 'plain' }, 'secret references'],
    [{ access_key_id: 'env:ACCESS_SECRET_AWS_KEY' }, 'both'],
    [{ user_attribute: 'emails' }, 'user_attribute'],
    [{ portal_url: 'http://portal' }, 'portal_url'],
  ])('refuses %j', (change, words) => {
    expect(aws.validateSettings({ ...base, ...change })).toContain(words);
  });

  it('one shared key per account assignment: instance, account, permission set and person', () => {
    const ctx = (roles: string[], email = 'Rita@Example.com', grantId = 'g-1') =>
      ({
        grantId,
        requesterEmail: email,
        settings: base,
        grant: { type: 'cloud', resource: 'aws-prod', roles },
      }) as unknown as GrantContext;
    const keys = aws.sharedAccessKeys!(ctx(['ReadOnly', 'Admin']));
    const readOnly = `aws:${base.instance_arn}:111122223333:${base.permission_sets.ReadOnly}:emails.value=rita@example.com`;
    expect(keys).toEqual([
      readOnly,
      `aws:${base.instance_arn}:111122223333:${base.permission_sets.Admin}:emails.value=rita@example.com`,
    ]);
    // Another grant of the same person sharing only ReadOnly names the same ReadOnly assignment.
    expect(aws.sharedAccessKeys!(ctx(['ReadOnly'], 'rita@example.com', 'g-2'))).toEqual([readOnly]);
    expect(aws.sharedAccessKeys!(ctx(['ReadOnly'], 'bob@example.com'))).not.toEqual([readOnly]);
  });
});
