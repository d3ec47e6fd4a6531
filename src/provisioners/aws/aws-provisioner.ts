import { createHash } from 'node:crypto';
import type { IdentitystoreClient } from '@aws-sdk/client-identitystore';
import type { AccountAssignmentOperationStatus, SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { lazySdk } from '../lazy-sdk.js';
import type { GrantContext, Provisioner, ProvisionResult } from '../port.js';
import { PermanentProvisioningError } from '../port.js';
import { classifyAwsError, errorName } from './aws-errors.js';
import { permissionSetNames, readAwsSettings, validateAwsSettings, type AwsSettings } from './aws-settings.js';

export interface AwsProvisionerOptions {
  /** Wait between two status checks of an assignment being created or deleted (default 1000 ms). */
  pollIntervalMs?: number;
  /** Status checks before giving up on this attempt; the outbox retries later (default 30). */
  pollAttempts?: number;
  /** Attempts per AWS call, the SDK's own retry with backoff for throttling and 5xx (default 3). */
  maxAttempts?: number;
  /** Tests only: a wrong clock, to see AWS refuse stale signatures. */
  systemClockOffsetMs?: number;
}

// Imported on first use (see lazy-sdk.ts): the two clients and their Smithy runtime are about 20 MiB.
const awsSdk = lazySdk(async () => {
  const [ssoAdmin, identityStore] = await Promise.all([
    import('@aws-sdk/client-sso-admin'),
    import('@aws-sdk/client-identitystore'),
  ]);
  return { ssoAdmin, identityStore };
});
type AwsSdk = Awaited<ReturnType<typeof awsSdk.load>>;

/** Whether start-up loaded the AWS SDK: for tests and diagnostics. */
export const awsSdkState = awsSdk.state;

interface Clients {
  sso: SSOAdminClient;
  identityStore: IdentitystoreClient;
  sdk: AwsSdk;
  redact: (text: string) => string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * AWS IAM Identity Center: a grant is one account assignment (account, permission set, user) per
 * permission set the approver picked, made with CreateAccountAssignment and taken away with
 * DeleteAccountAssignment. Both are asynchronous in AWS, so each is followed until its status says
 * SUCCEEDED or FAILED. AWS keeps no expiry of its own: the bot's expiry job is what ends the access.
 */
export function createAwsProvisioner(opts: AwsProvisionerOptions = {}): Provisioner {
  const pollIntervalMs = opts.pollIntervalMs ?? 1000;
  const pollAttempts = opts.pollAttempts ?? 30;
  const clientCache = new Map<string, Clients>();

  /** One pair of clients per (region, endpoint, credentials): the credential chain is resolved once. */
  async function clients(s: AwsSettings): Promise<Clients> {
    const secretHash = s.credentials ? createHash('sha256').update(s.credentials.secretAccessKey).digest('hex') : '';
    const cacheKey = JSON.stringify([s.region, s.endpoint, s.credentials?.accessKeyId, secretHash]);
    const cached = clientCache.get(cacheKey);
    if (cached) return cached;
    const config = {
      region: s.region,
      maxAttempts: opts.maxAttempts ?? 3,
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 20_000 },
      ...(s.endpoint ? { endpoint: s.endpoint } : {}),
      ...(s.credentials ? { credentials: s.credentials } : {}),
      ...(opts.systemClockOffsetMs !== undefined ? { systemClockOffset: opts.systemClockOffsetMs } : {}),
    };
    const sdk = await awsSdk.load();
    const secret = s.credentials?.secretAccessKey;
    const made: Clients = {
      sso: new sdk.ssoAdmin.SSOAdminClient(config),
      identityStore: new sdk.identityStore.IdentitystoreClient(config),
      sdk,
      redact: (text) => (secret ? text.split(secret).join('[redacted]') : text),
    };
    clientCache.set(cacheKey, made);
    return made;
  }

  async function call<T>(c: Clients, operation: string, doing: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      throw classifyAwsError(e, operation, doing, c.redact);
    }
  }

  /** The permission sets of the grant, by name, each one the resource's settings allow. */
  function permissionSetsOf(ctx: GrantContext, s: AwsSettings): [string, string][] {
    if (ctx.grant.type !== 'cloud')
      throw new PermanentProvisioningError(
        `a ${ctx.grant.type} grant cannot be provisioned on AWS IAM Identity Center`,
      );
    return ctx.grant.roles.map((name) => {
      const arn = s.permissionSets[name];
      if (!arn)
        throw new PermanentProvisioningError(
          `${ctx.resource.name} has no permission set named "${name}" in its settings`,
        );
      return [name, arn];
    });
  }

  const attributeText = (s: AwsSettings) => (s.userAttribute === 'userName' ? 'the user name' : 'the e-mail');

  /** The requester's Identity Center user id, or null when the identity store has no such user. */
  async function findUser(c: Clients, s: AwsSettings, ctx: GrantContext): Promise<string | null> {
    if (!ctx.requesterEmail) {
      throw new PermanentProvisioningError(
        `The requester has no e-mail address in their Slack profile, so no AWS Identity Center user can be found for ${ctx.resource.name}`,
      );
    }
    const input = {
      IdentityStoreId: s.identityStoreId,
      AlternateIdentifier: { UniqueAttribute: { AttributePath: s.userAttribute, AttributeValue: ctx.requesterEmail } },
    };
    try {
      return (await c.identityStore.send(new c.sdk.identityStore.GetUserIdCommand(input))).UserId ?? null;
    } catch (e) {
      if (errorName(e) === 'ResourceNotFoundException') return null;
      throw classifyAwsError(
        e,
        'GetUserId',
        `looking up ${ctx.requesterEmail} in identity store ${s.identityStoreId}`,
        c.redact,
      );
    }
  }

  async function requireUser(c: Clients, s: AwsSettings, ctx: GrantContext): Promise<string> {
    const userId = await findUser(c, s, ctx);
    if (!userId)
      throw new PermanentProvisioningError(
        `No AWS Identity Center user has ${attributeText(s)} ${ctx.requesterEmail} (identity store ${s.identityStoreId}), so nothing was granted on ${ctx.resource.name}`,
      );
    return userId;
  }

  async function hasAssignment(c: Clients, s: AwsSettings, arn: string, userId: string): Promise<boolean> {
    const pages = c.sdk.ssoAdmin.paginateListAccountAssignments(
      { client: c.sso, pageSize: 100 },
      { InstanceArn: s.instanceArn, AccountId: s.accountId, PermissionSetArn: arn },
    );
    return call(
      c,
      'ListAccountAssignments',
      `listing the assignments of ${arn} in account ${s.accountId}`,
      async () => {
        for await (const page of pages) {
          if ((page.AccountAssignments ?? []).some((a) => a.PrincipalType === 'USER' && a.PrincipalId === userId))
            return true;
        }
        return false;
      },
    );
  }

  /** Follows an asynchronous operation until AWS says it SUCCEEDED; FAILED is permanent, with AWS's reason. */
  async function waitFor(
    c: Clients,
    first: AccountAssignmentOperationStatus | undefined,
    kind: 'creation' | 'deletion',
    what: string,
    describe: (requestId: string) => Promise<AccountAssignmentOperationStatus | undefined>,
  ) {
    let status = first;
    for (let n = 0; ; n++) {
      if (status?.Status === 'SUCCEEDED') return;
      if (status?.Status === 'FAILED') {
        throw new PermanentProvisioningError(
          `AWS could not complete the ${kind} of ${what}: ${c.redact(status.FailureReason ?? 'no reason given')}`,
        );
      }
      if (!status?.RequestId) throw new Error(`AWS gave no request id for the ${kind} of ${what}; will retry`);
      if (n >= pollAttempts)
        throw new Error(`the ${kind} of ${what} is still in progress in AWS after ${pollAttempts} checks; will retry`);
      await sleep(pollIntervalMs);
      status = await describe(status.RequestId);
    }
  }

  const assignmentInput = (s: AwsSettings, arn: string, userId: string) => ({
    InstanceArn: s.instanceArn,
    TargetId: s.accountId,
    TargetType: 'AWS_ACCOUNT' as const,
    PermissionSetArn: arn,
    PrincipalType: 'USER' as const,
    PrincipalId: userId,
  });

  async function assign(c: Clients, s: AwsSettings, name: string, arn: string, userId: string): Promise<void> {
    const what = `permission set ${name} in account ${s.accountId}`;
    let first: AccountAssignmentOperationStatus | undefined;
    try {
      first = (await c.sso.send(new c.sdk.ssoAdmin.CreateAccountAssignmentCommand(assignmentInput(s, arn, userId))))
        .AccountAssignmentCreationStatus;
    } catch (e) {
      if (errorName(e) !== 'ConflictException')
        throw classifyAwsError(e, 'CreateAccountAssignment', `assigning ${what}`, c.redact);
      // The assignment exists (a concurrent or earlier attempt made it), or another change to it is running.
      if (await hasAssignment(c, s, arn, userId)) return;
      throw new Error(`another change to the assignment of ${what} is in progress in AWS; will retry`);
    }
    const describe = (id: string) =>
      call(
        c,
        'DescribeAccountAssignmentCreationStatus',
        `checking the assignment of ${what}`,
        async () =>
          (
            await c.sso.send(
              new c.sdk.ssoAdmin.DescribeAccountAssignmentCreationStatusCommand({
                InstanceArn: s.instanceArn,
                AccountAssignmentCreationRequestId: id,
              }),
            )
          ).AccountAssignmentCreationStatus,
      );
    await waitFor(c, first, 'creation', `the assignment of ${what}`, describe);
  }

  async function unassign(c: Clients, s: AwsSettings, arn: string, userId: string): Promise<void> {
    const what = `the assignment of ${arn} in account ${s.accountId}`;
    let first: AccountAssignmentOperationStatus | undefined;
    try {
      first = (await c.sso.send(new c.sdk.ssoAdmin.DeleteAccountAssignmentCommand(assignmentInput(s, arn, userId))))
        .AccountAssignmentDeletionStatus;
    } catch (e) {
      if (errorName(e) === 'ResourceNotFoundException' && !(await hasAssignment(c, s, arn, userId))) return; // already gone
      if (errorName(e) === 'ConflictException')
        throw new Error(`another change to ${what} is in progress in AWS; will retry`);
      throw classifyAwsError(e, 'DeleteAccountAssignment', `removing ${what}`, c.redact);
    }
    const describe = (id: string) =>
      call(
        c,
        'DescribeAccountAssignmentDeletionStatus',
        `checking the removal of ${what}`,
        async () =>
          (
            await c.sso.send(
              new c.sdk.ssoAdmin.DescribeAccountAssignmentDeletionStatusCommand({
                InstanceArn: s.instanceArn,
                AccountAssignmentDeletionRequestId: id,
              }),
            )
          ).AccountAssignmentDeletionStatus,
      );
    await waitFor(c, first, 'deletion', what, describe);
  }

  /** Names one account assignment: instance, account, permission set and the person it is for. */
  const assignmentKey = (s: AwsSettings, arn: string, email: string) =>
    `aws:${s.instanceArn}:${s.accountId}:${arn}:${s.userAttribute}=${email.toLowerCase()}`;

  /** The permission sets to look at: from the grant, else from what provision recorded. */
  function targetSets(ctx: GrantContext, s: AwsSettings, state: Record<string, unknown>): string[] {
    const recorded =
      state.permissionSets && typeof state.permissionSets === 'object'
        ? Object.values(state.permissionSets as Record<string, unknown>).filter(
            (v): v is string => typeof v === 'string',
          )
        : [];
    const fromGrant =
      ctx.grant.type === 'cloud'
        ? ctx.grant.roles.flatMap((n) => (s.permissionSets[n] ? [s.permissionSets[n]] : []))
        : [];
    return [...new Set([...fromGrant, ...recorded])];
  }

  /** The user recorded at provisioning (it survives an e-mail change), else looked up again. */
  async function userOf(
    c: Clients,
    s: AwsSettings,
    ctx: GrantContext,
    state: Record<string, unknown>,
  ): Promise<string | null> {
    if (typeof state.userId === 'string' && state.userId !== '') return state.userId;
    if (!ctx.requesterEmail) return null;
    return findUser(c, s, ctx);
  }

  async function provision(ctx: GrantContext): Promise<ProvisionResult> {
    const s = readAwsSettings(ctx.settings);
    const sets = permissionSetsOf(ctx, s);
    const c = await clients(s);
    const userId = await requireUser(c, s, ctx);
    const made: string[] = [];
    try {
      for (const [name, arn] of sets) {
        if (await hasAssignment(c, s, arn, userId)) continue; // a retry, or access the user already had
        await assign(c, s, name, arn, userId);
        made.push(arn);
      }
    } catch (e) {
      // Nothing half-granted: what this attempt added goes again when a later permission set is refused.
      if (e instanceof PermanentProvisioningError)
        for (const arn of made) await unassign(c, s, arn, userId).catch(() => undefined);
      throw e;
    }
    const names = sets.map(([n]) => n);
    const where = s.portalUrl
      ? `Sign in through the AWS access portal, ${s.portalUrl}, and pick`
      : 'In the AWS access portal, pick';
    return {
      state: { instanceArn: s.instanceArn, accountId: s.accountId, userId, permissionSets: Object.fromEntries(sets) },
      instructions: `${where} account ${s.accountId} with ${names.length > 1 ? 'permission set' : 'the permission set'} ${names.join(', ')}.`,
    };
  }

  return {
    type: 'aws',
    warm: awsSdk.warm,
    validateSettings: validateAwsSettings,
    roleChoices: permissionSetNames,
    provision,

    // Identity Center has no expiry of its own: the assignment simply stays until the bot removes it.
    extend: async (_ctx, state) => ({ state }),

    async deprovision(ctx, state, keep) {
      const s = readAwsSettings(ctx.settings);
      const c = await clients(s);
      const userId = await userOf(c, s, ctx, state);
      if (!userId) return; // no such user in the identity store: nothing can be assigned to them
      for (const arn of targetSets(ctx, s, state)) {
        // Another live grant of this person relies on this assignment: it stays (see sharedAccessKeys).
        if (ctx.requesterEmail && keep?.has(assignmentKey(s, arn, ctx.requesterEmail))) continue;
        if (await hasAssignment(c, s, arn, userId)) await unassign(c, s, arn, userId);
      }
    },

    async isPresent(ctx, state) {
      const s = readAwsSettings(ctx.settings);
      const c = await clients(s);
      const userId = await userOf(c, s, ctx, state);
      if (!userId) return false;
      for (const arn of targetSets(ctx, s, state)) if (!(await hasAssignment(c, s, arn, userId))) return false;
      return true;
    },

    // One key per account assignment (permission set): two grants that share only ReadOnly keep ReadOnly
    // while either lasts, and Admin goes with the grant that had it.
    sharedAccessKeys(ctx) {
      if (ctx.grant.type !== 'cloud' || !ctx.requesterEmail) return [];
      let s: AwsSettings;
      try {
        s = readAwsSettings(ctx.settings);
      } catch {
        return [];
      }
      return ctx.grant.roles.map((n) => assignmentKey(s, s.permissionSets[n] ?? n, ctx.requesterEmail!));
    },
  };
}
