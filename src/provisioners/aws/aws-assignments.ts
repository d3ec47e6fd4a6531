import type { AccountAssignmentOperationStatus } from '@aws-sdk/client-sso-admin';
import { PermanentProvisioningError } from '../port.js';
import { call, type Clients } from './aws-clients.js';
import { classifyAwsError, errorName } from './aws-errors.js';
import type { AwsSettings } from './aws-settings.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The account assignments of IAM Identity Center: CreateAccountAssignment and DeleteAccountAssignment
 * are asynchronous in AWS, so each is followed until its status says SUCCEEDED or FAILED.
 */
export function createAssignmentOps(opts: { pollIntervalMs: number; pollAttempts: number }) {
  const { pollIntervalMs, pollAttempts } = opts;

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

  return { hasAssignment, assign, unassign };
}
